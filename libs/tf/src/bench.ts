import type { LayersModel, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { gatherRows } from './gather.js';
import { loadTensorflow, type BackendName, type Tf } from './load.js';

/**
 * The training workloads measured on each backend:
 * - `mlp`: dense 64→64 (relu)→1 (sigmoid), binary cross-entropy, Adam, batch 256 (the shape of the
 *   purchase-propensity network);
 * - `gru`: next-item model: item embedding (10k × 64, gathered with {@link gatherRows}), GRU with
 *   100 units over 10 steps, full 10k-way softmax, Adam, batch 512 (the recommender's shape).
 */
export type BenchModel = 'mlp' | 'gru';
export const BENCH_MODELS: readonly BenchModel[] = ['mlp', 'gru'];

export interface BenchOptions {
  /** Default: native, wasm, cpu. A backend that does not load is reported with its reason. */
  backends?: readonly BackendName[];
  /** Default: both. */
  models?: readonly BenchModel[];
  /** Measure each pair for at least this long, after one warm-up step (default 3 s). */
  minSeconds?: number;
  /** `quick` shrinks the workloads (GRU: 1k items, batch 64) for smoke tests. Default `full`. */
  size?: 'full' | 'quick';
}

export interface BenchResult {
  model: BenchModel;
  backend: BackendName;
  /** The workload, e.g. `MLP 64→64→1, batch 256`. */
  workload: string;
  /** Training samples per second over the measured steps (`null` when the backend failed). */
  samplesPerSecond: number | null;
  samples: number;
  seconds: number;
  /** Loss of the first (warm-up) step: the same seeded start and data on every backend, so these agree. */
  firstLoss: number | null;
  /** Why the backend could not be measured. */
  error?: string;
}

/**
 * Trains each model on each backend in this process and reports samples/s (`./clickwise bench
 * train` prints it). The weights start from the same seeded values on every backend.
 */
export async function benchmarkBackends(options: BenchOptions = {}): Promise<BenchResult[]> {
  const backends = options.backends ?? (['native', 'wasm', 'cpu'] as const);
  const models = options.models ?? BENCH_MODELS;
  const minSeconds = options.minSeconds ?? 3;
  const size = options.size ?? 'full';
  for (const m of models) if (!BENCH_MODELS.includes(m)) throw new Error(`benchmarkBackends: unknown model "${String(m)}"; use one of ${BENCH_MODELS.join(', ')}`);
  const results: BenchResult[] = [];
  for (const model of models) {
    for (const backend of backends) {
      let tf: Tf;
      try {
        tf = (await loadTensorflow({ backend })).tf;
      } catch (error) {
        const workload = model === 'mlp' ? describeMlp() : describeGru(gruShape(size));
        results.push({ model, backend, workload, samplesPerSecond: null, samples: 0, seconds: 0, firstLoss: null, error: error instanceof Error ? error.message : String(error) });
        continue;
      }
      const run = model === 'mlp' ? await benchMlp(tf, minSeconds) : await benchGru(tf, minSeconds, gruShape(size));
      results.push({ model, backend, ...run });
    }
  }
  return results;
}

interface Run {
  workload: string;
  samplesPerSecond: number;
  samples: number;
  seconds: number;
  firstLoss: number;
}

/** Repeats `step` (after one warm-up call) until `minSeconds` have passed; `step` returns its loss. */
async function measure(step: () => Promise<number>, samplesPerStep: number, minSeconds: number): Promise<Omit<Run, 'workload'>> {
  const firstLoss = await step();
  let steps = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    await step();
    steps++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < minSeconds);
  const samples = steps * samplesPerStep;
  return { samplesPerSecond: samples / elapsed, samples, seconds: elapsed, firstLoss };
}

const MLP_BATCH = 256;
const MLP_ROWS = 4096;
const describeMlp = () => `MLP 64→64→1, batch ${MLP_BATCH}`;

async function benchMlp(tf: Tf, minSeconds: number): Promise<Run> {
  const x = seededUniform(MLP_ROWS * 64, 11, 1);
  const w = seededUniform(64, 12, 1);
  const y = new Float32Array(MLP_ROWS);
  for (let r = 0; r < MLP_ROWS; r++) {
    let s = 0;
    for (let c = 0; c < 64; c++) s += x[r * 64 + c]! * w[c]!;
    y[r] = s > 0 ? 1 : 0;
  }
  const xs = tf.tensor2d(x, [MLP_ROWS, 64]);
  const ys = tf.tensor2d(y, [MLP_ROWS, 1]);
  const model = buildMlp(tf);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  try {
    const run = await measure(async () => {
      const h = await model.fit(xs, ys, { batchSize: MLP_BATCH, epochs: 1, shuffle: false, verbose: 0 });
      return h.history.loss!.at(-1) as number;
    }, MLP_ROWS, minSeconds);
    return { workload: describeMlp(), ...run };
  } finally {
    model.dispose();
    tf.dispose([xs, ys]);
  }
}

/** The 64→64→1 network with seeded weights (the same start on every backend). */
export function buildMlp(tf: Tf): LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 64, activation: 'relu', inputShape: [64] }), tf.layers.dense({ units: 1, activation: 'sigmoid' })],
  });
  seedWeights(tf, model.getWeights(), (values) => model.setWeights(values));
  return model;
}

interface GruShape {
  items: number;
  embedding: number;
  hidden: number;
  length: number;
  batch: number;
}

function gruShape(size: 'full' | 'quick'): GruShape {
  return size === 'full'
    ? { items: 10_000, embedding: 64, hidden: 100, length: 10, batch: 512 }
    : { items: 1_000, embedding: 16, hidden: 32, length: 5, batch: 64 };
}

const describeGru = (s: GruShape) =>
  `GRU next-item: ${s.items} items × ${s.embedding} (gatherRows), ${s.hidden} units × ${s.length} steps, ${s.items}-way softmax, batch ${s.batch}`;

async function benchGru(tf: Tf, minSeconds: number, s: GruShape): Promise<Run> {
  const seq = new Int32Array(s.batch * s.length);
  const next = new Int32Array(s.batch);
  const r = seededUniform(seq.length + next.length, 21, 1);
  for (let i = 0; i < seq.length; i++) seq[i] = Math.floor(((r[i]! + 1) / 2) * s.items) % s.items;
  // The next item depends on the last one, so there is something to learn.
  for (let b = 0; b < s.batch; b++) next[b] = (seq[b * s.length + s.length - 1]! * 7 + 3) % s.items;
  const seqs = tf.tensor2d(seq, [s.batch, s.length], 'int32');
  const targets = tf.oneHot(tf.tensor1d(next, 'int32'), s.items).toFloat();
  const table = tf.variable(tf.tensor2d(seededUniform(s.items * s.embedding, 22, 0.05), [s.items, s.embedding]));
  // Glorot instead of the default orthogonal recurrent start: seedWeights replaces it anyway.
  const gru = tf.layers.gru({ units: s.hidden, recurrentInitializer: 'glorotUniform' });
  const out = tf.layers.dense({ units: s.items });
  const forward = () => out.apply(gru.apply(gatherRows(tf, table, seqs))) as Tensor;
  tf.tidy(() => forward()); // builds the layers' weights
  seedWeights(tf, gru.getWeights(), (v) => gru.setWeights(v), 23);
  seedWeights(tf, out.getWeights(), (v) => out.setWeights(v), 24);
  const vars = [table, ...[...gru.trainableWeights, ...out.trainableWeights].map((w) => w.read() as Variable)];
  const optimizer = tf.train.adam(1e-3);
  try {
    const run = await measure(async () => {
      const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy<Tensor, Scalar>(targets, forward()), true, vars)!;
      const loss = (await cost.data())[0]!;
      cost.dispose();
      return loss;
    }, s.batch, minSeconds);
    return { workload: describeGru(s), ...run };
  } finally {
    optimizer.dispose();
    gru.dispose();
    out.dispose();
    tf.dispose([seqs, targets, table]);
  }
}

/** Replaces `weights` by seeded values: kernels uniform in ±√(6/(fan-in+fan-out)), biases 0. */
function seedWeights(tf: Tf, weights: Tensor[], set: (values: Tensor[]) => void, seed = 1): void {
  const values = weights.map((w, i) => {
    if (w.rank < 2) return tf.zeros(w.shape);
    const limit = Math.sqrt(6 / (w.shape[0] + w.shape.at(-1)!));
    return tf.tensor(seededUniform(w.size, seed * 1000 + i, limit), w.shape);
  });
  set(values);
  tf.dispose(values);
}

/** `n` values uniform in [-scale, scale) from a fixed generator (the same on every backend and run). */
export function seededUniform(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    // xorshift32
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = (state / 4294967296) * 2 * scale - scale;
  }
  return out;
}
