import { DAY_MS } from '@clickwise/features';
import { expectedCalibrationError } from '@clickwise/evaluation';
import { loadTensorflow } from '@clickwise/tf';
import { PurchaseScorer } from './artifact.js';
import { anchorToPrior, applyCalibration, IDENTITY_CALIBRATION } from './calibration.js';
import { MLP, type ModelConfig } from './models.js';
import { logits, trainOnSplit, type TrainPurchaseOptions } from './pipeline.js';
import { boundsFor, timeSplit, type SplitBounds, type TimeSplit } from './split.js';
import { subset, type TrainingSet } from './training-set.js';

/**
 * The backtest folds before a split's test days, which they never read: every example at or
 * after the real test bound is dropped first. Fold k (1…count) takes the k-th day before the real
 * test days as its pseudo-test day, the day before that as its validation day and everything
 * earlier as training.
 */
function* folds(set: TrainingSet, real: SplitBounds, count: number): Generator<{ testFromMs: number; split: TimeSplit }> {
  for (let k = 1; k <= count; k++) {
    const testFromMs = real.validationFromMs - (k - 1) * DAY_MS;
    const bounds: SplitBounds = { validationFromMs: testFromMs - DAY_MS, testFromMs, rule: real.rule };
    const keep: number[] = [];
    const endMs = Math.min(testFromMs + DAY_MS, real.testFromMs);
    for (let i = 0; i < set.labels.length; i++) if (set.timesMs[i]! < endMs) keep.push(i);
    yield { testFromMs, split: timeSplit(subset(set, keep), bounds) };
  }
}

export interface CalibrationBacktestFold {
  /** The fold's pseudo-test day (the day after its validation day), ISO start. */
  testFrom: string;
  positiveShare: { train: number; validation: number; test: number };
  /** ECE on the fold's pseudo-test day of each base-rate option. */
  ece: { validation: number; pooled: number };
}

/**
 * Backtests the base-rate options of the Platt calibration (ADR 0065) on days before the real
 * test days, which it never reads ({@link folds}): per fold it trains the configuration (default
 * the MLP ensemble) and scores both options' ECE on the fold's pseudo-test day.
 */
export async function backtestBaseRate(set: TrainingSet, options: { folds?: number; configs?: readonly ModelConfig[]; bounds?: SplitBounds } & Pick<TrainPurchaseOptions, 'backend'> = {}): Promise<CalibrationBacktestFold[]> {
  const real = options.bounds ?? boundsFor(set);
  const { tf, backend } = await loadTensorflow(options.backend ? { backend: options.backend } : {});
  const out: CalibrationBacktestFold[] = [];
  for (const { testFromMs, split } of folds(set, real, options.folds ?? 2)) {
    const run = await trainOnSplit(split, { tf, backendName: backend, configs: options.configs ?? [MLP], bootstrapReps: 0, calibration: 'platt', baseRate: 'validation' });
    const raw = new PurchaseScorer({ ...run.model, calibration: IDENTITY_CALIBRATION });
    const zv = logits(raw, split.validation.rows);
    const zt = logits(raw, split.test.rows);
    const plain = run.model.calibration;
    const anchored = anchorToPrior(plain, zv, run.calibration.baseRate.pooled);
    const share = (p: TrainingSet) => p.stats.positives / Math.max(1, p.stats.examples);
    out.push({
      testFrom: new Date(testFromMs).toISOString(),
      positiveShare: { train: share(split.train), validation: share(split.validation), test: share(split.test) },
      ece: { validation: expectedCalibrationError(applyCalibration(plain, zt), split.test.labels), pooled: expectedCalibrationError(applyCalibration(anchored, zt), split.test.labels) },
    });
  }
  return out;
}

export interface RefitBacktestFold {
  /** The fold's pseudo-test day, ISO start. */
  testFrom: string;
  examples: { train: number; validation: number; test: number; testPositives: number };
  /** The pseudo-test day's figures of the chosen candidate trained on training only, and refit on training + validation. */
  trainOnly: { roc_auc: number; pr_auc: number; log_loss: number; ece: number };
  refit: { roc_auc: number; pr_auc: number; log_loss: number; ece: number; epochs: number };
}

/**
 * Backtests the refit of the chosen candidate on training + validation (ADR 0029) on the days
 * before the real test days, which it never reads ({@link folds}): per
 * fold the whole pipeline runs twice, without and with the refit, and both are scored on the
 * fold's pseudo-test day.
 */
export async function backtestRefit(set: TrainingSet, options: { folds?: number; configs?: readonly ModelConfig[]; bounds?: SplitBounds } & Pick<TrainPurchaseOptions, 'backend'> = {}): Promise<RefitBacktestFold[]> {
  const real = options.bounds ?? boundsFor(set);
  const { tf, backend } = await loadTensorflow(options.backend ? { backend: options.backend } : {});
  const out: RefitBacktestFold[] = [];
  for (const { testFromMs, split } of folds(set, real, options.folds ?? 3)) {
    const figures = async (refit: boolean) => {
      const run = await trainOnSplit(split, { tf, backendName: backend, ...(options.configs ? { configs: options.configs } : {}), bootstrapReps: 0, refit });
      const m = run.metrics;
      const epochs = (run.model.info.refit as { epochs?: number } | undefined)?.epochs ?? 0;
      return { roc_auc: m.roc_auc.value, pr_auc: m.pr_auc.value, log_loss: m.log_loss.value, ece: m.ece.value, epochs };
    };
    const plain = await figures(false);
    const refit = await figures(true);
    out.push({
      testFrom: new Date(testFromMs).toISOString(),
      examples: { train: split.train.stats.examples, validation: split.validation.stats.examples, test: split.test.stats.examples, testPositives: split.test.stats.positives },
      trainOnly: { roc_auc: plain.roc_auc, pr_auc: plain.pr_auc, log_loss: plain.log_loss, ece: plain.ece },
      refit,
    });
  }
  return out;
}
