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

/** Predicted probabilities of a tf model over model inputs. */
export function tfPredict(tf: Tf, model: Sequential, x: Float32Array, width: number): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor2d(x, [x.length / width, width]);
    return (model.predict(input, { batchSize: 4096 }) as Tensor).dataSync() as Float32Array;
  });
}

/** A network's layers from its kept weights, in the artifact's layout (row-major `in × out` kernels). */
function sequentialOf(tf: Tf, layers: readonly DenseLayer[]): Sequential {
  const model = tf.sequential();
  for (const [i, l] of layers.entries()) {
    model.add(tf.layers.dense({ units: l.out, activation: l.activation === 'relu' ? 'relu' : 'sigmoid', ...(i === 0 ? { inputShape: [l.in] } : {}) }));
  }
  model.setWeights(layers.flatMap((l) => [tf.tensor2d(l.weights, [l.in, l.out]), tf.tensor1d(l.bias)]));
  return model;
}

/**
 * Trains `members` networks of one configuration at once (ADR 0064): their weights are stacked
 * (the first layer's kernels side by side in one `d × members·units` matrix, the later ones as a
 * batch of matrices), so one step of Adam, binary cross-entropy on the logits with class weights
 * and L2 on the kernels, updates every network with a few dozen tensor ops whatever their number.
 * The networks share the seeded batch order; each has its own initial weights (seeds
 * `seeds[m]`, `seeds[m] + 1`, …) and dropout masks. Each keeps the weights of its epoch with the
 * best validation ROC-AUC (early stopping, patience 3); the loop ends when every network has
 * stopped. The loss of a network only reaches its own weights, and Adam is per weight, so this is
 * the same training as one network at a time, without its per-batch overhead ×members.
 */
async function fitStacked(tf: Tf, config: ModelConfig, seeds: readonly number[], train: Dataset, validation: Dataset | { fixedEpochs: number }, onEpoch?: (member: number, epoch: number, auc: number) => void): Promise<FittedModel[]> {
  const n = train.y.length;
  const d = train.width;
  const m = seeds.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += train.y[i]!;
  const ratio = (n - pos) / Math.max(1, pos);
  const positiveWeight = config.positiveWeight === 'balanced' ? ratio : config.positiveWeight === 'sqrt' ? Math.sqrt(ratio) : config.positiveWeight;
  const units = [...config.hidden, 1];
  const activations: DenseLayer['activation'][] = units.map((_, i) => (i < units.length - 1 ? 'relu' : 'sigmoid'));

  // Initial weights, network by network (He normal for ReLU layers, Glorot uniform for the output).
  const initial = seeds.map((seed0) => {
    let seed = seed0;
    return units.map((u, i) => {
      const nIn = i === 0 ? d : units[i - 1]!;
      const init = i < units.length - 1 ? tf.initializers.heNormal({ seed: seed++ }) : tf.initializers.glorotUniform({ seed });
      if (i < units.length - 1 && config.dropout > 0) seed++;
      return tf.tidy(() => init.apply([nIn, u]).dataSync() as Float32Array);
    });
  });
  const kernels: ReturnType<Tf['variable']>[] = [];
  const biases: ReturnType<Tf['variable']>[] = [];
  for (const [i, u] of units.entries()) {
    const nIn = i === 0 ? d : units[i - 1]!;
    if (i === 0) {
      const k = new Float32Array(d * m * u);
      for (let net = 0; net < m; net++) for (let r = 0; r < d; r++) for (let c = 0; c < u; c++) k[r * m * u + net * u + c] = initial[net]![0]![r * u + c]!;
      kernels.push(tf.variable(tf.tensor2d(k, [d, m * u])));
      biases.push(tf.variable(tf.zeros([m * u])));
    } else {
      const k = new Float32Array(m * nIn * u);
      for (let net = 0; net < m; net++) k.set(initial[net]![i]!, net * nIn * u);
      kernels.push(tf.variable(tf.tensor3d(k, [m, nIn, u])));
      biases.push(tf.variable(tf.zeros([m, 1, u])));
    }
  }
  const variables = [...kernels, ...biases];

  let maskSeed = seeds[0]! * 104_729 + 7;
  /** Logits [rows, m] of every network; dropout only while training. */
  const forward = (x: Tensor, training: boolean): Tensor => {
    const rows = x.shape[0];
    let h: Tensor = tf.add(tf.matMul(x, kernels[0]!), biases[0]!);
    if (units.length === 1) return h;
    h = tf.transpose(tf.reshape(h, [rows, m, units[0]!]), [1, 0, 2]);
    for (let i = 0; i < units.length; i++) {
      if (i > 0) h = tf.add(tf.matMul(h, kernels[i]!), biases[i]!);
      if (i === units.length - 1) break;
      h = tf.relu(h);
      if (training && config.dropout > 0) {
        const keep = tf.cast(tf.greaterEqual(tf.randomUniform(h.shape, 0, 1, 'float32', maskSeed++), config.dropout), 'float32');
        h = tf.mul(h, tf.mul(keep, 1 / (1 - config.dropout)));
      }
    }
    return tf.transpose(tf.reshape(h, [m, rows]));
  };

  const optimizer = tf.train.adam(config.learningRate);
  // The batch order is ours, seeded (ADR 0063): the same seeds give the same weights on one backend.
  const random = mulberry32(config.seed * 7919 + 17);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const bx = new Float32Array(n * d);
  const by = new Float32Array(n);
  const best = seeds.map(() => ({ auc: -Infinity, pr: NaN, epoch: 0, layers: [] as DenseLayer[] }));
  const stopped = seeds.map(() => false);
  let epochs = 0;
  const started = performance.now();
  let lastYield = performance.now();
  try {
    const lastEpoch = 'fixedEpochs' in validation ? validation.fixedEpochs : config.epochs;
    for (let epoch = 1; epoch <= lastEpoch && stopped.includes(false); epoch++) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      for (let k = 0; k < n; k++) {
        const i = order[k]!;
        bx.set(train.x.subarray(i * d, (i + 1) * d), k * d);
        by[k] = train.y[i]!;
      }
      for (let start = 0; start < n; start += config.batchSize) {
        const rows = Math.min(config.batchSize, n - start);
        tf.tidy(() => {
          const xs = tf.tensor2d(bx.subarray(start * d, (start + rows) * d), [rows, d]);
          const ys = tf.tensor2d(by.subarray(start, start + rows), [rows, 1]);
          const weights = tf.add(1, tf.mul(ys, positiveWeight - 1));
          optimizer.minimize(() => {
            const z = forward(xs, true);
            // Binary cross-entropy on the logit, stable: max(z, 0) − z·y + log(1 + e^−|z|).
            const bce = tf.add(tf.sub(tf.relu(z), tf.mul(z, ys)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
            let loss = tf.sum(tf.mean(tf.mul(bce, weights), 0));
            if (config.l2 > 0) for (const k of kernels) loss = tf.add(loss, tf.mul(config.l2, tf.sum(tf.square(k))));
            return loss as ReturnType<Tf['scalar']>;
          }, false, variables);
        });
        // Yield to the event loop now and then (the trainer's lease and /status, ADR 0061).
        if (performance.now() - lastYield > 50) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
      epochs = epoch;
      if ('fixedEpochs' in validation) {
        // A refit (ADR 0029): no validation part; every network keeps its weights of the last epoch.
        if (epoch < lastEpoch) continue;
        const values = variables.map((v) => v.dataSync() as Float32Array);
        for (let net = 0; net < m; net++) best[net] = { auc: NaN, pr: NaN, epoch, layers: networkOf(values, units, d, m, net, activations) };
        break;
      }
      const z = tf.tidy(() => forward(tf.tensor2d(validation.x, [validation.y.length, d]), false).dataSync() as Float32Array);
      const snapshot = variables.map((v) => v.dataSync() as Float32Array);
      for (let net = 0; net < m; net++) {
        if (stopped[net]) continue;
        const zi = new Float64Array(validation.y.length);
        for (let i = 0; i < zi.length; i++) zi[i] = z[i * m + net]!;
        const auc = rocAuc(zi, validation.y);
        onEpoch?.(net, epoch, auc);
        if (auc > best[net]!.auc) best[net] = { auc, pr: prAuc(zi, validation.y), epoch, layers: networkOf(snapshot, units, d, m, net, activations) };
        else if (epoch - best[net]!.epoch >= 3) stopped[net] = true;
      }
    }
  } finally {
    tf.dispose(variables);
    optimizer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  return best.map((b) => ({
    config,
    layers: b.layers,
    bestEpoch: b.epoch,
    validationRocAuc: b.auc,
    validationPrAuc: b.pr,
    epochsRun: epochs,
    samplesPerSecond: (n * epochs * m) / Math.max(1e-9, seconds),
    model: sequentialOf(tf, b.layers),
  }));
}

/** Network `net`'s layers out of the stacked variables' values (kernels, then biases). */
function networkOf(values: readonly Float32Array[], units: readonly number[], d: number, m: number, net: number, activations: readonly DenseLayer['activation'][]): DenseLayer[] {
  return units.map((u, i) => {
    const nIn = i === 0 ? d : units[i - 1]!;
    const k = values[i]!;
    const b = values[units.length + i]!;
    const weights = new Array<number>(nIn * u);
    if (i === 0) {
      for (let r = 0; r < nIn; r++) for (let c = 0; c < u; c++) weights[r * u + c] = k[r * m * u + net * u + c]!;
      return { in: nIn, out: u, weights, bias: Array.from(b.subarray(net * u, (net + 1) * u)), activation: activations[i]! };
    }
    for (let j = 0; j < nIn * u; j++) weights[j] = k[net * nIn * u + j]!;
    return { in: nIn, out: u, weights, bias: Array.from(b.subarray(net * u, (net + 1) * u)), activation: activations[i]! };
  });
}

/**
 * Trains one network of a configuration with TensorFlow.js (Adam, binary cross-entropy, class
 * weights, seed `config.seed`); keeps the weights of the epoch with the best validation ROC-AUC.
 */
export async function fitModel(tf: Tf, config: ModelConfig, train: Dataset, validation: Dataset, onEpoch?: (epoch: number, auc: number) => void): Promise<FittedModel> {
  const [fitted] = await fitStacked(tf, config, [config.seed], train, validation, (_, epoch, auc) => onEpoch?.(epoch, auc));
  return fitted!;
}

export interface FittedEnsemble {
  config: ModelConfig;
  networks: DenseLayer[][];
  members: FittedModel[];
  /** Validation figures of the averaged logits. */
  validationRocAuc: number;
  validationPrAuc: number;
  /** Training samples per second, counted per network (all of them train at once). */
  samplesPerSecond: number;
}

/**
 * Trains `config.members` networks (the seeds of {@link fitEnsemble}) for exactly `epochs` epochs
 * on `data`, with no validation part, and returns their layers: the refit of a chosen candidate on
 * training and validation together (ADR 0029).
 */
export async function refitEnsemble(tf: Tf, config: ModelConfig, data: Dataset, epochs: number): Promise<DenseLayer[][]> {
  const seeds = Array.from({ length: Math.max(1, config.members) }, (_, m) => config.seed + m * 101);
  const members = await fitStacked(tf, config, seeds, data, { fixedEpochs: Math.max(1, Math.round(epochs)) });
  for (const fitted of members) fitted.model.dispose();
  return members.map((fitted) => fitted.layers);
}

/** Trains `config.members` networks from seeds seed, seed + 101, … at once; the ensemble averages their logits. */
export async function fitEnsemble(tf: Tf, config: ModelConfig, train: Dataset, validation: Dataset, onEpoch?: (member: number, epoch: number, auc: number) => void): Promise<FittedEnsemble> {
  const seeds = Array.from({ length: Math.max(1, config.members) }, (_, m) => config.seed + m * 101);
  const members = await fitStacked(tf, config, seeds, train, validation, onEpoch);
  const sum = new Float64Array(validation.y.length);
  for (const fitted of members) {
    const p = tfPredict(tf, fitted.model, validation.x, validation.width);
    for (let i = 0; i < p.length; i++) sum[i]! += logitOf(p[i]!);
  }
  return { config, networks: members.map((f) => f.layers), members, validationRocAuc: rocAuc(sum, validation.y), validationPrAuc: prAuc(sum, validation.y), samplesPerSecond: members[0]!.samplesPerSecond };
}

export function logitOf(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
}

export function disposeEnsemble(e: FittedEnsemble): void {
  for (const m of e.members) m.model.dispose();
}
