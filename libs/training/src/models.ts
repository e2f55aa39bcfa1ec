import type { Tf } from '@clickwise/tf';
import type { DenseLayer } from './artifact.js';
import { mulberry32, prAuc, rocAuc } from '@clickwise/evaluation';

type Sequential = ReturnType<Tf['sequential']>;
type Tensor = ReturnType<Tf['tensor']>;

/** One model configuration tried on validation. */
export interface ModelConfig {
  /** `logistic_regression` (no hidden layer) or `mlp`. */
  kind: 'logistic_regression' | 'mlp';
  hidden: number[];
  dropout: number;
  l2: number;
  learningRate: number;
  batchSize: number;
  /** Most epochs; the epoch with the best validation ROC-AUC is kept (early stopping, patience 3). */
  epochs: number;
  /**
   * Class imbalance: positives weigh `positiveWeight` in the loss (`balanced` = negatives /
   * positives of the training part, `sqrt` its square root). Probabilities are calibrated
   * afterwards, on validation.
   */
  positiveWeight: number | 'balanced' | 'sqrt';
  /** Networks trained from seeds seed, seed+1, …; their logits are averaged (1: a single network). */
  members: number;
  seed: number;
}

export const LOGISTIC_REGRESSION: ModelConfig = { kind: 'logistic_regression', hidden: [], dropout: 0, l2: 1e-4, learningRate: 0.01, batchSize: 256, epochs: 12, positiveWeight: 'balanced', members: 1, seed: 1 };
export const MLP: ModelConfig = { kind: 'mlp', hidden: [64, 32], dropout: 0.2, l2: 1e-4, learningRate: 0.002, batchSize: 256, epochs: 10, positiveWeight: 'sqrt', members: 5, seed: 10 };

/** The candidates tried by default: the logistic-regression baseline and the MLP ensemble. */
export const DEFAULT_CONFIGS: readonly ModelConfig[] = [LOGISTIC_REGRESSION, MLP];

export interface Dataset {
  /** n × width model inputs (after preprocessing). */
  x: Float32Array;
  y: Uint8Array;
  width: number;
}

export interface FittedModel {
  config: ModelConfig;
  layers: DenseLayer[];
  /** Best epoch (1-based) and its validation figures. */
  bestEpoch: number;
  validationRocAuc: number;
  validationPrAuc: number;
  epochsRun: number;
  samplesPerSecond: number;
  /** The tf model with the kept weights (for the equality test and the bench); dispose when done. */
  model: Sequential;
}

function layerWeights(model: Sequential, activations: DenseLayer['activation'][]): DenseLayer[] {
  const out: DenseLayer[] = [];
  let a = 0;
  for (const layer of model.layers) {
    const w = layer.getWeights();
    if (w.length !== 2) continue;
    const [kernel, bias] = w as [Tensor, Tensor];
    const [nIn, nOut] = kernel.shape as [number, number];
    out.push({ in: nIn, out: nOut, weights: Array.from(kernel.dataSync()), bias: Array.from(bias.dataSync()), activation: activations[a++]! });
  }
  return out;
}

/** Predicted probabilities of a tf model over model inputs. */
export function tfPredict(tf: Tf, model: Sequential, x: Float32Array, width: number): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor2d(x, [x.length / width, width]);
    return (model.predict(input, { batchSize: 4096 }) as Tensor).dataSync() as Float32Array;
  });
}

/**
 * Trains one configuration with TensorFlow.js (Adam, binary cross-entropy, class weights), one
 * epoch at a time; keeps the weights of the epoch with the best validation ROC-AUC.
 */
export async function fitModel(tf: Tf, config: ModelConfig, train: Dataset, validation: Dataset, onEpoch?: (epoch: number, auc: number) => void): Promise<FittedModel> {
  const n = train.y.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += train.y[i]!;
  const ratio = (n - pos) / Math.max(1, pos);
  const positiveWeight = config.positiveWeight === 'balanced' ? ratio : config.positiveWeight === 'sqrt' ? Math.sqrt(ratio) : config.positiveWeight;
  const model = tf.sequential();
  const activations: DenseLayer['activation'][] = [];
  let inputShape: number[] | undefined = [train.width];
  let seed = config.seed;
  for (const units of config.hidden) {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        ...(inputShape ? { inputShape } : {}),
        kernelInitializer: tf.initializers.heNormal({ seed: seed++ }),
        kernelRegularizer: tf.regularizers.l2({ l2: config.l2 }),
      }),
    );
    activations.push('relu');
    inputShape = undefined;
    if (config.dropout > 0) model.add(tf.layers.dropout({ rate: config.dropout, seed: seed++ }));
  }
  model.add(
    tf.layers.dense({
      units: 1,
      activation: 'sigmoid',
      ...(inputShape ? { inputShape } : {}),
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      kernelRegularizer: tf.regularizers.l2({ l2: config.l2 }),
    }),
  );
  activations.push('sigmoid');
  model.compile({ optimizer: tf.train.adam(config.learningRate), loss: 'binaryCrossentropy' });

  // The batch order is ours, seeded (tfjs's own shuffle draws from Math.random): the same seed
  // gives the same batches, so the same weights and metrics on one backend.
  const random = mulberry32(config.seed * 7919 + 17);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const bx = new Float32Array(n * train.width);
  const by = new Float32Array(n);
  let best = { auc: -Infinity, pr: NaN, epoch: 0, weights: [] as Tensor[] };
  let epochs = 0;
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      for (let k = 0; k < n; k++) {
        const i = order[k]!;
        bx.set(train.x.subarray(i * train.width, (i + 1) * train.width), k * train.width);
        by[k] = train.y[i]!;
      }
      const xs = tf.tensor2d(bx, [n, train.width]);
      const ys = tf.tensor2d(by, [n, 1]);
      try {
        await model.fit(xs, ys, { epochs: 1, batchSize: config.batchSize, shuffle: false, verbose: 0, classWeight: { 0: 1, 1: positiveWeight } });
      } finally {
        tf.dispose([xs, ys]);
      }
      epochs = epoch;
      const p = tfPredict(tf, model, validation.x, validation.width);
      const auc = rocAuc(p, validation.y);
      onEpoch?.(epoch, auc);
      if (auc > best.auc) {
        tf.dispose(best.weights);
        best = { auc, pr: prAuc(p, validation.y), epoch, weights: model.getWeights().map((w) => w.clone()) };
      } else if (epoch - best.epoch >= 3) break;
    }
  } catch (error) {
    tf.dispose(best.weights);
    model.dispose();
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  model.setWeights(best.weights);
  tf.dispose(best.weights);
  return {
    config,
    layers: layerWeights(model, activations),
    bestEpoch: best.epoch,
    validationRocAuc: best.auc,
    validationPrAuc: best.pr,
    epochsRun: epochs,
    samplesPerSecond: (n * epochs) / Math.max(1e-9, seconds),
    model,
  };
}

export interface FittedEnsemble {
  config: ModelConfig;
  networks: DenseLayer[][];
  members: FittedModel[];
  /** Validation figures of the averaged logits. */
  validationRocAuc: number;
  validationPrAuc: number;
  samplesPerSecond: number;
}

/** Trains `config.members` networks from consecutive seeds; the ensemble averages their logits. */
export async function fitEnsemble(tf: Tf, config: ModelConfig, train: Dataset, validation: Dataset, onEpoch?: (member: number, epoch: number, auc: number) => void): Promise<FittedEnsemble> {
  const members: FittedModel[] = [];
  const sum = new Float64Array(validation.y.length);
  for (let m = 0; m < Math.max(1, config.members); m++) {
    const fitted = await fitModel(tf, { ...config, seed: config.seed + m * 101 }, train, validation, (epoch, auc) => onEpoch?.(m, epoch, auc));
    const p = tfPredict(tf, fitted.model, validation.x, validation.width);
    for (let i = 0; i < p.length; i++) sum[i]! += logitOf(p[i]!);
    members.push(fitted);
  }
  const samples = members.reduce((s, f) => s + f.samplesPerSecond, 0) / members.length;
  return { config, networks: members.map((f) => f.layers), members, validationRocAuc: rocAuc(sum, validation.y), validationPrAuc: prAuc(sum, validation.y), samplesPerSecond: samples };
}

export function logitOf(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
}

export function disposeEnsemble(e: FittedEnsemble): void {
  for (const m of e.members) m.model.dispose();
}
