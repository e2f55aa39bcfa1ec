import type { ErasureList, FeatureEngine } from '@clickwise/features';
import { loadTensorflow, type BackendChoice, type Tf } from '@clickwise/tf';
import { ARTIFACT_FORMAT, assertDefinitions, encodeArtifact, PurchaseScorer, type Calibration, type DenseLayer, type PurchaseArtifact } from './artifact.js';
import { binaryMetrics, type BinaryMetrics } from './bootstrap.js';
import { anchorToPrior, applyCalibration, chooseCalibration, fitIsotonic, fitPlatt, IDENTITY_CALIBRATION } from './calibration.js';
import type { TrainingSource } from './events.js';
import { expectedCalibrationError, prAuc, rocAuc } from '@clickwise/evaluation';
import { DEFAULT_CONFIGS, disposeEnsemble, fitEnsemble, LOGISTIC_REGRESSION, refitEnsemble, type Dataset, type FittedEnsemble, type ModelConfig } from './models.js';
import { fitPreprocessing, transformRows, type Preprocessing } from './preprocess.js';
import { timeSplit, type SplitBounds, type TimeSplit } from './split.js';
import { buildTrainingSet, type TrainingSet, type TrainingSetStats } from './training-set.js';

export type TrainingStage = 'replay' | 'train' | 'evaluate';
export type BaseRate = 'validation' | 'pooled';

export interface TrainPurchaseOptions {
  /** TensorFlow.js backend (default: TF_BACKEND, else the best that loads). */
  backend?: BackendChoice;
  /** Configurations tried; the best validation ROC-AUC wins (default: LR and an MLP). */
  configs?: readonly ModelConfig[];
  engine?: FeatureEngine;
  erasures?: ErasureList;
  /** Bootstrap samples for the intervals (default 200; 0: no intervals). */
  bootstrapReps?: number;
  /** Progress of each stage. */
  onProgress?: (stage: TrainingStage, done: number, total: number, note?: string) => void;
  /** Split bounds other than the rule's (tests). */
  bounds?: SplitBounds;
  /** Calibration: `choose` (default: Platt or isotonic on validation, ADR 0062), or one of them. */
  calibration?: 'choose' | 'platt' | 'isotonic';
  /**
   * The base rate a Platt map is anchored to (ADR 0065): `validation` (the plain fit) or `pooled`
   * (its intercept moved so the mean validation probability is the positive share of training
   * and validation together). Default `pooled`: lower mean ECE than `validation` in the
   * backtest on the days before the RetailRocket week's test days (`bench calibration-backtest`).
   */
  baseRate?: BaseRate;
  /** How long after a session's last event it counts as over (open sessions' clicks have no label yet; default 30 min). */
  openSessionMs?: number;
  /**
   * Refit the chosen candidate on training and validation together, for the mean of its networks'
   * early-stopped epochs, before it is calibrated and tested (ADR 0029). Default true: it won the
   * backtest on the days before the RetailRocket week's test days (`bench refit-backtest`).
   */
  refit?: boolean;
}

export interface CandidateResult {
  name: string;
  config: ModelConfig;
  /** Best epoch of each member network. */
  bestEpochs: number[];
  validationRocAuc: number;
  validationPrAuc: number;
  samplesPerSecond: number;
}

export interface PurchaseTrainingResult {
  /** The champion's artifact bytes (encodeArtifact), ready for the registry. */
  artifact: Uint8Array;
  model: PurchaseArtifact;
  /** The backend that trained it. */
  backend: string;
  featureDefinitionsVersion: string;
  split: { bounds: SplitBounds; train: TrainingSetStats; validation: TrainingSetStats; test: TrainingSetStats };
  /** The champion on the test part, calibrated. */
  metrics: BinaryMetrics;
  /**
   * The calibration chosen on validation (Platt or isotonic by cross-fitted log loss over
   * validation sessions, then fitted on all of it), and ECE on test before and after it.
   */
  calibration: {
    method: 'platt' | 'isotonic';
    parameters: Calibration;
    crossFittedLogLoss?: { platt: number; isotonic: number };
    /** The base rate option and the positive shares it reads (a Platt map only is anchored). */
    baseRate: { option: BaseRate; anchored: boolean; validation: number; pooled: number };
    eceBefore: number;
    eceAfter: number;
  };
  /** The naive baselines on the same test part. */
  baselines: Record<string, BinaryMetrics>;
  candidates: CandidateResult[];
  /** Test scores of the champion and its labels and sessions (for the report's plots). */
  test: { scores: Float64Array; labels: Uint8Array; groupKeys: string[]; baselineScores: Record<string, Float64Array> };
  seconds: { replay: number; train: number; evaluate: number; total: number };
}

/** The rule "has added to cart in this session". */
export const RULE_BASELINE = 'rule_session_add_to_cart';
/** Logistic regression on the shopper's prior views and purchases (7 d counts). */
export const COUNTS_BASELINE = 'lr_shopper_views_purchases';
const COUNT_COLUMNS = ['shopper_product_view_count_7d', 'shopper_purchase_count_7d'];
/** Blends tried: the LR's network added this many times to a multi-network ensemble (ADR 0062). */
const BLEND_LR_COPIES = [1, 2, 5];

function dataset(p: Preprocessing, set: TrainingSet): Dataset {
  return { x: transformRows(p, set.rows), y: set.labels, width: p.width };
}

function concatFloat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function column(set: TrainingSet, name: string): number {
  const j = set.columns.indexOf(name);
  if (j < 0) throw new Error(`the training set has no column ${name}`);
  return j;
}

function candidateName(c: ModelConfig): string {
  return c.kind === 'mlp' ? `mlp_${c.hidden.join('x')}${c.members > 1 ? `_x${c.members}` : ''}` : 'logistic_regression';
}

function artifactOf(set: TrainingSet, p: Preprocessing, kind: string, networks: DenseLayer[][], calibration: Calibration, info: Record<string, unknown>): PurchaseArtifact {
  return {
    format: ARTIFACT_FORMAT,
    model: kind,
    featureDefinitionsVersion: set.featureDefinitionsVersion,
    createdAt: new Date().toISOString(),
    columns: set.columnSpecs,
    preprocessing: p,
    networks,
    calibration,
    info,
  };
}

/** The scorer's logits over rows of raw columns. */
export function logits(scorer: PurchaseScorer, rows: Float32Array): Float64Array {
  const d = scorer.columns.length;
  const out = new Float64Array(rows.length / d);
  for (let i = 0; i < out.length; i++) out[i] = scorer.logit(rows.subarray(i * d, (i + 1) * d));
  return out;
}

/** Splits, fits on training, selects and calibrates on validation; the test part is only scored. */
export async function trainOnSplit(split: TimeSplit, options: TrainPurchaseOptions & { tf?: Tf; backendName?: string } = {}): Promise<Omit<PurchaseTrainingResult, 'seconds'> & { seconds: { train: number; evaluate: number } }> {
  const { tf, backend } = options.tf ? { tf: options.tf, backend: options.backendName ?? options.tf.getBackend() } : await loadTensorflow(options.backend ? { backend: options.backend } : {});
  const { train, validation, test } = split;
  const d = train.columns.length;
  const started = performance.now();
  const progress = options.onProgress;

  const pre = fitPreprocessing(train.rows, d);
  const trainData = dataset(pre, train);
  const validationData = dataset(pre, validation);
  const configs = options.configs ?? DEFAULT_CONFIGS;
  const maxEpochs = configs.reduce((s, c) => s + c.epochs * Math.max(1, c.members), 0) + LOGISTIC_REGRESSION.epochs;
  let epochsDone = 0;
  const candidates: CandidateResult[] = [];
  const fits: FittedEnsemble[] = [];
  for (const config of configs) {
    const fitted = await fitEnsemble(tf, config, trainData, validationData, (member, epoch, auc) =>
      progress?.('train', ++epochsDone, maxEpochs, `${candidateName(config)}${config.members > 1 ? ` #${member + 1}` : ''} epoch ${epoch} validation ROC-AUC ${auc.toFixed(3)}`),
    );
    candidates.push({
      name: candidateName(config),
      config,
      bestEpochs: fitted.members.map((m) => m.bestEpoch),
      validationRocAuc: fitted.validationRocAuc,
      validationPrAuc: fitted.validationPrAuc,
      samplesPerSecond: fitted.samplesPerSecond,
    });
    fits.push(fitted);
  }
  if (fits.length === 0) throw new Error('no model configuration to train');

  // Blends: an ensemble of several networks with the logistic regression's network added k times
  // (the artifact averages its networks' logits, so the LR weighs k / (members + k)); scored on
  // validation beside the single candidates, and the best validation ROC-AUC wins.
  type Chosen = { name: string; kind: string; networks: DenseLayer[][]; fit: FittedEnsemble; lrCopies: number };
  const options_: (Chosen & { auc: number; pr: number })[] = fits.map((f, i) => ({ name: candidates[i]!.name, kind: f.config.kind, networks: f.networks, fit: f, lrCopies: 0, auc: f.validationRocAuc, pr: f.validationPrAuc }));
  const lr = fits.find((f) => f.config.kind === 'logistic_regression' && f.networks.length === 1);
  for (const f of fits) {
    if (!lr || f === lr || f.networks.length < 2) continue;
    for (const k of BLEND_LR_COPIES) {
      const networks = [...f.networks, ...Array.from({ length: k }, () => lr.networks[0]!)];
      const scorer = new PurchaseScorer(artifactOf(train, pre, 'blend', networks, IDENTITY_CALIBRATION, {}));
      const z = logits(scorer, validation.rows);
      const name = `${candidateName(f.config)}+lr_${k}of${networks.length}`;
      const auc = rocAuc(z, validation.labels);
      const pr = prAuc(z, validation.labels);
      candidates.push({ name, config: f.config, bestEpochs: [], validationRocAuc: auc, validationPrAuc: pr, samplesPerSecond: NaN });
      options_.push({ name, kind: `${f.config.kind}+logistic_regression`, networks, fit: f, lrCopies: k, auc, pr });
    }
  }
  const best = options_.reduce((a, b) => (b.auc > a.auc ? b : a));
  for (const f of fits) disposeEnsemble(f);

  // Refit (ADR 0029): the chosen candidate trained again on training and validation together (its
  // preprocessing unchanged), each ensemble for the mean of its networks' early-stopped epochs.
  // Validation then holds no example the final networks did not see, so calibration below is
  // fitted on the logits of the networks trained without it, which saw nothing of validation.
  let finalNetworks = best.networks;
  let refit: { epochs: number; examples: number; positives: number; lrEpochs?: number } | undefined;
  if (options.refit ?? true) {
    const meanEpochs = (f: FittedEnsemble) => Math.max(1, Math.round(f.members.reduce((a, m) => a + m.bestEpoch, 0) / Math.max(1, f.members.length)));
    const both: Dataset = { x: concatFloat(trainData.x, validationData.x), y: concatBytes(trainData.y, validationData.y), width: trainData.width };
    const epochs = meanEpochs(best.fit);
    progress?.('train', maxEpochs, maxEpochs, `refit ${best.name} on training + validation, ${epochs} epochs`);
    finalNetworks = await refitEnsemble(tf, best.fit.config, both, epochs);
    refit = { epochs, examples: both.y.length, positives: train.stats.positives + validation.stats.positives };
    if (best.lrCopies > 0 && lr) {
      const lrEpochs = meanEpochs(lr);
      const [lrNetwork] = await refitEnsemble(tf, lr.config, both, lrEpochs);
      finalNetworks = [...finalNetworks, ...Array.from({ length: best.lrCopies }, () => lrNetwork!)];
      refit.lrEpochs = lrEpochs;
    }
  }

  // Baseline: LR on the two shopper counts (same trainer, same preprocessing rules, own columns).
  const countCols = COUNT_COLUMNS.map((name) => column(train, name));
  const countPre = fitPreprocessing(train.rows, d, countCols);
  const countFit = await fitEnsemble(tf, LOGISTIC_REGRESSION, dataset(countPre, train), dataset(countPre, validation), () => progress?.('train', ++epochsDone, maxEpochs, 'baseline'));
  disposeEnsemble(countFit);
  progress?.('train', maxEpochs, maxEpochs);
  const trainSeconds = (performance.now() - started) / 1000;

  // Calibration on validation: Platt or isotonic, whichever has the lower cross-fitted log loss
  // over validation's sessions (ADR 0062), then fitted on all of validation.
  const evaluateStarted = performance.now();
  const identity: Calibration = IDENTITY_CALIBRATION;
  const raw = artifactOf(train, pre, best.kind, best.networks, identity, {});
  const rawScorer = new PurchaseScorer(raw);
  const validationLogits = logits(rawScorer, validation.rows);
  const choice = options.calibration && options.calibration !== 'choose' ? undefined : chooseCalibration(validationLogits, validation.labels, validation.groupKeys);
  const method = choice?.method ?? (options.calibration === 'isotonic' ? 'isotonic' : 'platt');
  const baseRateOption = options.baseRate ?? 'pooled';
  const validationRate = validation.stats.positives / Math.max(1, validation.stats.examples);
  const pooledRate = (train.stats.positives + validation.stats.positives) / Math.max(1, train.stats.examples + validation.stats.examples);
  const anchored = baseRateOption === 'pooled' && method === 'platt';
  const plain = fitPlatt(validationLogits, validation.labels);
  const platt = anchored ? anchorToPrior(plain, validationLogits, pooledRate) : plain;
  const calibration: Calibration = method === 'isotonic' ? { ...platt, kind: 'isotonic', isotonic: fitIsotonic(validationLogits, validation.labels) } : platt;
  const testLogits = refit ? logits(new PurchaseScorer(artifactOf(train, pre, best.kind, finalNetworks, identity, {})), test.rows) : logits(rawScorer, test.rows);
  const uncalibrated = applyCalibration(identity, testLogits);
  const scores = applyCalibration(calibration, testLogits);

  const reps = options.bootstrapReps ?? 200;
  const metrics = binaryMetrics(scores, test.labels, test.groupKeys, { reps });
  const rule = new Float64Array(test.labels.length);
  const cartCol = column(test, 'session_add_to_carts_24h');
  for (let i = 0; i < rule.length; i++) rule[i] = test.rows[i * d + cartCol]! > 0 ? 1 : 0;
  const countArtifact = artifactOf(train, countPre, countFit.config.kind, countFit.networks, identity, {});
  const countScorer = new PurchaseScorer(countArtifact);
  const countCalibration = fitPlatt(logits(countScorer, validation.rows), validation.labels);
  const countScores = applyCalibration(countCalibration, logits(countScorer, test.rows));
  const baselines = {
    [RULE_BASELINE]: binaryMetrics(rule, test.labels, test.groupKeys, { reps, probabilities: false }),
    [COUNTS_BASELINE]: binaryMetrics(countScores, test.labels, test.groupKeys, { reps }),
  };
  const evaluateSeconds = (performance.now() - evaluateStarted) / 1000;

  const calibrationResult = {
    method,
    parameters: calibration,
    ...(choice ? { crossFittedLogLoss: choice.crossFitted } : {}),
    baseRate: { option: baseRateOption, anchored, validation: validationRate, pooled: pooledRate },
    eceBefore: expectedCalibrationError(uncalibrated, test.labels),
    eceAfter: metrics.ece.value,
  };
  const trainedTo = refit ? validation.stats.lastTimeMs : train.stats.lastTimeMs;
  const model = artifactOf(train, pre, best.kind, finalNetworks, calibration, {
    chosen: best.name,
    backend,
    trainedOn: { examples: refit?.examples ?? train.stats.examples, positives: refit?.positives ?? train.stats.positives, from: new Date(train.stats.firstTimeMs).toISOString(), to: new Date(trainedTo).toISOString() },
    ...(refit ? { refit } : {}),
    candidates: candidates.map((c) => ({ name: c.name, validationRocAuc: c.validationRocAuc, validationPrAuc: c.validationPrAuc, bestEpochs: c.bestEpochs })),
    test: { roc_auc: metrics.roc_auc, pr_auc: metrics.pr_auc, log_loss: metrics.log_loss, ece: metrics.ece },
    calibration: calibrationResult,
  });
  return {
    artifact: encodeArtifact(model),
    model,
    backend,
    featureDefinitionsVersion: train.featureDefinitionsVersion,
    split: { bounds: split.bounds, train: train.stats, validation: validation.stats, test: test.stats },
    metrics,
    calibration: calibrationResult,
    baselines,
    candidates,
    test: { scores, labels: test.labels, groupKeys: test.groupKeys, baselineScores: { [RULE_BASELINE]: rule, [COUNTS_BASELINE]: countScores } },
    seconds: { train: trainSeconds, evaluate: evaluateSeconds },
  };
}

/**
 * The whole pipeline, as the trainer service and `clickwise evaluate purchase` run it: replay the
 * source through the offline executor into a training set, split by time (ADR 0052), train the
 * candidates, pick and calibrate on validation, score the test part beside the baselines (ADR 0053).
 */
export async function trainPurchaseModel(source: TrainingSource | TrainingSet, options: TrainPurchaseOptions = {}): Promise<PurchaseTrainingResult & { trainingSet: TrainingSet }> {
  const started = performance.now();
  const set =
    'events' in source
      ? await buildTrainingSet(source, {
          ...(options.engine ? { engine: options.engine } : {}),
          ...(options.erasures ? { erasures: options.erasures } : {}),
          ...(options.openSessionMs === undefined ? {} : { openSessionMs: options.openSessionMs }),
          onProgress: (done, total) => options.onProgress?.('replay', done, total),
        })
      : source;
  const replaySeconds = (performance.now() - started) / 1000;
  const split = timeSplit(set, options.bounds);
  const result = await trainOnSplit(split, options);
  return { ...result, trainingSet: set, seconds: { replay: replaySeconds, ...result.seconds, total: (performance.now() - started) / 1000 } };
}

/**
 * Scores another artifact (e.g. the current champion) on the same test part as a run, for the
 * registry's "beats the champion on the same hold-out" rule. Refuses an artifact trained on other
 * feature definitions or other columns, by name.
 */
export function evaluateOnHoldout(set: TrainingSet, artifactBytes: Uint8Array, options: { bounds?: SplitBounds; bootstrapReps?: number } = {}): BinaryMetrics {
  const scorer = PurchaseScorer.fromBytes(artifactBytes);
  assertDefinitions(scorer.artifact, set.featureDefinitionsVersion);
  const names = scorer.columns.map((c) => c.name).join(',');
  if (names !== set.columns.join(',')) throw new Error(`model ${scorer.artifact.model} reads other columns than this training set: retrain it`);
  const { test } = timeSplit(set, options.bounds);
  return binaryMetrics(scorer.scoreRows(test.rows), test.labels, test.groupKeys, { reps: options.bootstrapReps ?? 200 });
}
