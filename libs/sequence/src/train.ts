import { mulberry32 } from '@clickwise/random';
import { gatherRows, loadTensorflow, type BackendChoice, type BackendName, type LoadedTensorflow, type Tf } from '@clickwise/tf';
import { buildIvfIndex } from './ivf.js';
import { LazyAdamTable } from './lazy-adam.js';
import { PureSequenceModel, type SequenceModelMeta, type SequenceWeights } from './model.js';

type Tensor = ReturnType<Tf['tensor']>;
type Variable = ReturnType<Tf['variable']>;

export interface TrainSequenceOptions {
  /** TensorFlow.js to use (from loadTensorflow), or the backend to load (default: TF_BACKEND or auto). */
  tf?: LoadedTensorflow;
  backend?: BackendChoice;
  seed?: number;
  /** Embedding size d (default 100). */
  dim?: number;
  /** Items of the prefix the model reads, the latest ones (default 10). */
  maxLength?: number;
  /** Logit scale 1/τ on cosine similarities (default 12). */
  scale?: number;
  batchSize?: number;
  /** Negatives sampled per batch from the label distribution, on top of the batch's own labels (default 2048). */
  negatives?: number;
  learningRate?: number;
  /**
   * The learning rate is multiplied by this after each epoch (default 1: constant). A warm start
   * continues the schedule after the initial model's epochs (its `meta.training.bestEpoch`).
   */
  learningRateDecay?: number;
  /** Share of the prefix's item-embedding values zeroed in training (inverted dropout, seeded; default 0). */
  dropout?: number;
  /** Most epochs (default 8); training stops earlier when validation HR@20 did not improve for `patience` epochs. */
  epochs?: number;
  patience?: number;
  /** Stop after the epoch that passes this many seconds of training (default: no limit). */
  maxSeconds?: number;
  /** Share of the sessions, from the END (the latest), held out for model selection (default 0.1; 0 with `validationSessions`). */
  validationFraction?: number;
  /**
   * Sessions that select the epoch in place of a share of `sessions` (which then all train): for a
   * caller that holds its own validation split out, as `evaluate recs` does.
   */
  validationSessions?: readonly (readonly string[])[];
  /**
   * Starts from this model's weights (a warm start): its items keep their rows and come first in
   * the vocabulary, items new in `sessions` get fresh seeded rows after them.
   */
  initial?: { readonly itemIds: readonly string[]; readonly weights: SequenceWeights; readonly meta?: SequenceModelMeta };
  /** Validation cases scored per epoch, sampled (seeded) from the validation prefixes (default 20000). */
  maxValidationCases?: number;
  /** IVF lists (default: ≈ 2·√items) and lists a request scans (default lists/8). */
  ivfLists?: number;
  nprobe?: number;
  /** Items seen fewer times than this in the training part are left out of the vocabulary (default 1). */
  minCount?: number;
  onProgress?: (stage: string, done: number, total: number, note?: string) => void;
  /** Stops training between batches. */
  signal?: AbortSignal;
}

export interface EpochReport {
  epoch: number;
  /** The learning rate of this epoch (the schedule's). */
  learningRate: number;
  loss: number;
  seconds: number;
  examplesPerSecond: number;
  validation: { hr20: number; mrr20: number };
}

export interface SequenceTrainReport {
  backend: BackendName;
  tfBackendName: string;
  items: number;
  trainSessions: number;
  validationSessions: number;
  trainExamples: number;
  validationCases: number;
  epochs: EpochReport[];
  bestEpoch: number;
  /** Validation HR@20 / MRR@20 (%) of the kept epoch. */
  validation: { hr20: number; mrr20: number };
  trainSeconds: number;
  seconds: number;
  retrieval: { lists: number; nprobe: number; scannedShare: number; recallAt20: number; cases: number };
  options: Record<string, number>;
}

/** Vocabulary rows and the training examples of a set of sessions. */
export interface Examples {
  /** [n, L] vocabulary rows (1-based, 0 padding), position 0 = the last item of the prefix. */
  prefixes: Int32Array;
  labels: Int32Array;
  count: number;
}

/** Every prefix of every session (data augmentation), restricted to known items: prefix → next item. */
export function buildExamples(sessions: readonly (readonly string[])[], index: ReadonlyMap<string, number>, maxLength: number): Examples {
  const prefixes: number[] = [];
  const labels: number[] = [];
  for (const session of sessions) {
    const rows = session.map((id) => index.get(id));
    for (let t = 1; t < rows.length; t++) {
      const label = rows[t];
      if (label === undefined) continue;
      const window: number[] = [];
      for (let i = t - 1; i >= 0 && window.length < maxLength; i--) {
        const r = rows[i];
        if (r !== undefined) window.push(r + 1);
      }
      if (window.length === 0) continue;
      for (let p = 0; p < maxLength; p++) prefixes.push(window[p] ?? 0);
      labels.push(label + 1);
    }
  }
  return { prefixes: Int32Array.from(prefixes), labels: Int32Array.from(labels), count: labels.length };
}

/** The model's variables in TensorFlow.js and its forward pass (the same math as PureSequenceModel). */
export class TfSequenceNet {
  readonly vars: Record<'embeddings' | 'positions' | 'attnItem' | 'attnLast' | 'attnBias' | 'attnOut' | 'output', Variable>;

  constructor(
    private readonly tf: Tf,
    readonly vocabulary: number,
    readonly dim: number,
    readonly maxLength: number,
    readonly scale: number,
    init: SequenceWeights,
  ) {
    const v = (a: Float32Array, shape: number[]) => {
      const t = tf.tensor(a, shape, 'float32');
      const variable = tf.variable(t);
      t.dispose(); // the variable holds its own reference to the data
      return variable;
    };
    this.vars = {
      embeddings: v(init.embeddings, [vocabulary + 1, dim]),
      positions: v(init.positions, [maxLength, dim]),
      attnItem: v(init.attnItem, [dim, dim]),
      attnLast: v(init.attnLast, [dim, dim]),
      attnBias: v(init.attnBias, [dim]),
      attnOut: v(init.attnOut, [dim]),
      output: v(init.output, [2 * dim, dim]),
    };
  }

  /**
   * scale · h/|h| for a batch: `items` int32 [B, L] (rows, 0 = padding). Every reduction is a
   * matMul (by the ones column, or batched): tfjs's `sum` gradient allocates a JS array of ones of
   * its input's shape ([B, L, d] here) per step, and that churn made major GCs the cost of a step.
   */
  sessionVectors(items: Tensor, gathered?: Tensor): Tensor {
    const { tf, vars, dim, maxLength } = this;
    const b = items.shape[0];
    const mask = tf.cast(tf.greater(items, 0), 'float32');
    const x = tf.add(gathered ?? gatherRows(tf, vars.embeddings, items), vars.positions);
    const x0 = tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, dim]), [b, dim]);
    const q = tf.add(tf.matMul(x0, vars.attnLast), vars.attnBias);
    const a = tf.add(tf.reshape(tf.matMul(tf.reshape(x, [b * maxLength, dim]), vars.attnItem), [b, maxLength, dim]), tf.expandDims(q, 1));
    const alpha = tf.mul(tf.reshape(tf.matMul(tf.reshape(tf.sigmoid(a), [b * maxLength, dim]), tf.reshape(vars.attnOut, [dim, 1])), [b, maxLength]), mask);
    const s = tf.reshape(tf.matMul(tf.expandDims(alpha, 1), x), [b, dim]);
    const h = tf.matMul(tf.concat([s, x0], 1), vars.output);
    return tf.mul(h, tf.div(tf.scalar(this.scale), tf.maximum(this.rowNorms(h), 1e-12)));
  }

  /** |row| of a [n, d] tensor as [n, 1], the sum of squares by a matMul (see sessionVectors). */
  rowNorms(t: Tensor): Tensor {
    return this.tf.sqrt(this.rowDots(t, t));
  }

  /** Row-wise dot products of two [n, d] tensors as [n, 1]. */
  rowDots(a: Tensor, b: Tensor): Tensor {
    const { tf } = this;
    this.onesColumn ??= tf.keep(tf.ones([this.dim, 1]));
    return tf.matMul(tf.mul(a, b), this.onesColumn);
  }

  private onesColumn: Tensor | undefined;

  /** Unit rows of the embeddings for `rows` (int32 [C]). */
  unitItems(rows: Tensor, gathered?: Tensor): Tensor {
    const { tf } = this;
    const e = gathered ?? gatherRows(tf, this.vars.embeddings, rows);
    return tf.div(e, tf.maximum(this.rowNorms(e), 1e-12));
  }

  weights(): SequenceWeights {
    const f = (t: Variable) => Float32Array.from(t.dataSync() as Float32Array);
    return {
      dim: this.dim,
      maxLength: this.maxLength,
      scale: this.scale,
      embeddings: f(this.vars.embeddings),
      positions: f(this.vars.positions),
      attnItem: f(this.vars.attnItem),
      attnLast: f(this.vars.attnLast),
      attnBias: f(this.vars.attnBias),
      attnOut: f(this.vars.attnOut),
      output: f(this.vars.output),
    };
  }

  assign(w: SequenceWeights): void {
    const { tf } = this;
    for (const name of Object.keys(this.vars) as (keyof TfSequenceNet['vars'])[]) {
      const t = tf.tensor(w[name], this.vars[name].shape, 'float32');
      this.vars[name].assign(t);
      t.dispose();
    }
  }

  dispose(): void {
    for (const v of Object.values(this.vars)) v.dispose();
    this.onesColumn?.dispose();
    this.onesColumn = undefined;
  }
}

/** Seeded initial weights: normal(0, 0.1) embeddings, Glorot-uniform matrices. */
export function initialWeights(vocabulary: number, dim: number, maxLength: number, scale: number, seed: number): SequenceWeights {
  const rand = mulberry32(seed);
  const normal = (n: number, std: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = Math.max(rand(), 1e-12);
      const v = rand();
      const r = Math.sqrt(-2 * Math.log(u)) * std;
      a[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < n) a[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
    return a;
  };
  const glorot = (rows: number, cols: number) => {
    const limit = Math.sqrt(6 / (rows + cols));
    return Float32Array.from({ length: rows * cols }, () => (rand() * 2 - 1) * limit);
  };
  return {
    dim,
    maxLength,
    scale,
    embeddings: normal((vocabulary + 1) * dim, 0.1),
    positions: normal(maxLength * dim, 0.02),
    attnItem: glorot(dim, dim),
    attnLast: glorot(dim, dim),
    attnBias: new Float32Array(dim),
    attnOut: glorot(dim, 1),
    output: glorot(2 * dim, dim),
  };
}

/** Ranks of the labels among every item (0 = top), exact, on TensorFlow: for validation. */
export function labelRanksTf(tf: Tf, net: TfSequenceNet, examples: Examples, batchSize = 256): Int32Array {
  const ranks = new Int32Array(examples.count);
  const allRows = tf.range(1, net.vocabulary + 1, 1, 'int32');
  const unit = tf.tidy(() => tf.transpose(net.unitItems(allRows)));
  const L = net.maxLength;
  for (let start = 0; start < examples.count; start += batchSize) {
    const n = Math.min(batchSize, examples.count - start);
    const r = tf.tidy(() => {
      const items = tf.tensor2d(examples.prefixes.subarray(start * L, (start + n) * L), [n, L], 'int32');
      const scores = tf.matMul(net.sessionVectors(items), unit);
      // Each row's label score read from the flattened scores (row i · V + label), without a [n, V] one-hot.
      const labelScores = tf.gather(tf.reshape(scores, [-1]), tf.tensor1d(Int32Array.from(examples.labels.subarray(start, start + n), (x, i) => i * net.vocabulary + x - 1), 'int32'));
      return tf.sum(tf.cast(tf.greater(scores, tf.expandDims(labelScores, 1)), 'int32'), 1);
    });
    ranks.set(r.dataSync(), start);
    r.dispose();
  }
  tf.dispose([allRows, unit]);
  return ranks;
}

/** HR@k and MRR@k (%) from label ranks (0-based). */
export function hitAndMrr(ranks: ArrayLike<number>, k: number): { hr: number; mrr: number } {
  let hits = 0;
  let rr = 0;
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i]!;
    if (r >= 0 && r < k) {
      hits++;
      rr += 1 / (r + 1);
    }
  }
  const n = Math.max(ranks.length, 1);
  return { hr: (100 * hits) / n, mrr: (100 * rr) / n };
}

function shuffleInPlace(a: Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

function subsample(examples: Examples, max: number, L: number, rand: () => number): Examples {
  if (examples.count <= max) return examples;
  const order = Int32Array.from({ length: examples.count }, (_, i) => i);
  shuffleInPlace(order, rand);
  const keep = Array.from(order.subarray(0, max)).sort((a, b) => a - b);
  const prefixes = new Int32Array(max * L);
  const labels = new Int32Array(max);
  keep.forEach((e, i) => {
    prefixes.set(examples.prefixes.subarray(e * L, (e + 1) * L), i * L);
    labels[i] = examples.labels[e]!;
  });
  return { prefixes, labels, count: max };
}

/**
 * Trains the next-item model (ADR 0093) on sessions in time order (each an array of item ids,
 * oldest first): the latest `validationFraction` of them select the epoch; the rest train it, on
 * every prefix, with a sampled softmax over the batch's labels plus `negatives` items drawn from
 * the label distribution, corrected by log q. Seeded and deterministic for a backend.
 */
export async function trainSequenceModel(
  sessions: readonly (readonly string[])[],
  options: TrainSequenceOptions = {},
): Promise<{ model: PureSequenceModel; report: SequenceTrainReport }> {
  const started = performance.now();
  const loaded = options.tf ?? (await loadTensorflow(options.backend ? { backend: options.backend } : {}));
  const { tf } = loaded;
  const seed = options.seed ?? 17;
  const dim = options.dim ?? 100;
  const L = options.maxLength ?? 10;
  const scale = options.scale ?? 12;
  const batchSize = options.batchSize ?? 512;
  const negatives = options.negatives ?? 2048;
  const lr = options.learningRate ?? 0.002;
  const lrDecay = options.learningRateDecay ?? 1;
  if (!(lrDecay > 0 && lrDecay <= 1)) throw new Error(`learningRateDecay ${lrDecay}: expected a number in (0, 1]`);
  const maxEpochs = options.epochs ?? 8;
  const patience = options.patience ?? 2;
  const valFraction = options.validationFraction ?? (options.validationSessions ? 0 : 0.1);
  const minCount = options.minCount ?? 1;
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`dropout ${dropout}: expected a number in [0, 1)`);
  const progress = options.onProgress ?? (() => {});

  const usable = sessions.filter((s) => s.length >= 2);
  const nVal = Math.floor(usable.length * valFraction);
  const trainSessions = usable.slice(0, usable.length - nVal);
  const valSessions = [...usable.slice(usable.length - nVal), ...(options.validationSessions ?? []).filter((s) => s.length >= 2)];
  if (trainSessions.length < 2) throw new Error(`${usable.length} sessions of 2 or more items: too few to train the sequence model`);
  const initial = options.initial;
  if (initial && (initial.weights.dim !== dim || initial.weights.maxLength !== L)) {
    throw new Error(`the initial model has d ${initial.weights.dim} and L ${initial.weights.maxLength}; this training asks d ${dim} and L ${L}`);
  }

  // Vocabulary: the initial model's items, then training items in order of first appearance (deterministic).
  const counts = new Map<string, number>();
  for (const s of trainSessions) for (const id of s) counts.set(id, (counts.get(id) ?? 0) + 1);
  const known = new Set(initial?.itemIds ?? []);
  const itemIds = [...(initial?.itemIds ?? []), ...[...counts.keys()].filter((id) => !known.has(id) && counts.get(id)! >= minCount)];
  const index = new Map(itemIds.map((id, r) => [id, r] as const));
  const V = itemIds.length;

  const train = buildExamples(trainSessions, index, L);
  if (train.count === 0) throw new Error('no training example: every session has a single known item');
  const rand = mulberry32(seed ^ 0x5eed);
  const validation = subsample(buildExamples(valSessions, index, L), options.maxValidationCases ?? 20_000, L, rand);

  // The label distribution q (what in-batch and sampled negatives are drawn from) and log q.
  const labelCounts = new Float64Array(V + 1);
  for (let i = 0; i < train.count; i++) labelCounts[train.labels[i]!]!++;
  const cumulative = new Float64Array(V + 1);
  const logQ = new Float32Array(V + 1);
  let total = 0;
  for (let r = 0; r <= V; r++) {
    const c = r === 0 ? 0 : labelCounts[r]! + 0.5; // smoothed: an item never a label can still be drawn
    total += c;
    cumulative[r] = total;
  }
  for (let r = 1; r <= V; r++) logQ[r] = Math.log((labelCounts[r]! + 0.5) / total);
  const draw = (): number => {
    const u = rand() * total;
    let lo = 1;
    let hi = V;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! >= u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };

  const init = initialWeights(V, dim, L, scale, seed);
  if (initial) {
    // Rows 0..|initial| (padding and the initial items) and every other weight from the initial model.
    init.embeddings.set(initial.weights.embeddings);
    for (const name of ['positions', 'attnItem', 'attnLast', 'attnBias', 'attnOut', 'output'] as const) init[name] = Float32Array.from(initial.weights[name]);
  }
  const net = new TfSequenceNet(tf, V, dim, L, scale, init);
  // The embedding table trains outside TensorFlow by lazy Adam (ADR 0067); the rest of the net by tf.train.adam.
  const table = new LazyAdamTable(Float32Array.from(init.embeddings), dim, { learningRate: lr });
  const dense = (Object.keys(net.vars) as (keyof TfSequenceNet['vars'])[]).filter((name) => name !== 'embeddings').map((name) => net.vars[name]);
  const syncEmbeddings = () => {
    table.flush();
    const t = tf.tensor2d(table.values, [V + 1, dim], 'float32');
    net.vars.embeddings.assign(t);
    t.dispose();
  };
  // log Σ exp over a row, its gradient the softmax (tf.logSumExp's gradient allocates [b, c] ones in JS per step).
  const logSumExpRows: (logits: Tensor) => Tensor = tf.customGrad<Tensor>(((logits: Tensor, save: (tensors: Tensor[]) => void) => {
    const value = tf.logSumExp(logits, 1);
    save([logits, value]);
    return { value, gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(tf.expandDims(dy, 1), tf.exp(tf.sub(saved[0]!, tf.expandDims(saved[1]!, 1)))) };
  }) as unknown as Parameters<Tf['customGrad']>[0]);
  const optimizer = tf.train.adam(lr);
  const logQTensor = tf.tensor1d(logQ);
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  const epochs: EpochReport[] = [];
  let best: { epoch: number; hr20: number; mrr20: number; weights: SequenceWeights } | undefined;
  let trainSeconds = 0;
  const batchItems = new Int32Array(batchSize * L);
  const batchLabels = new Int32Array(batchSize);
  const maxRows = batchSize * L + batchSize + negatives;
  // A batch's embedding rows: its prefixes' items (flattened), then the candidates (its labels, then the draws).
  const rows = new Int32Array(maxRows);
  const gathered = new Float32Array(maxRows * dim);
  // The mask of a candidate equal to a row's label in another column (-1e9 there, else 0), reset after each batch.
  const dup = new Float32Array(batchSize * (batchSize + negatives));
  const dupAt: number[] = [];
  // Candidate columns by item: head (per item, stamped per batch) and next column with the same item.
  const headOf = new Int32Array(V + 1);
  const headStamp = new Int32Array(V + 1);
  const nextColumn = new Int32Array(batchSize + negatives);
  const dropMask = dropout > 0 ? new Float32Array(batchSize * L * dim) : undefined;
  try {
    const epochsBefore = typeof initial?.meta?.training?.['bestEpoch'] === 'number' ? initial.meta.training['bestEpoch'] : 0;
    for (let epoch = 1; epoch <= maxEpochs; epoch++) {
      const t0 = performance.now();
      const epochLr = lr * lrDecay ** (epochsBefore + epoch - 1);
      table.setLearningRate(epochLr); // a no-op when the rate is unchanged
      (optimizer as unknown as { learningRate: number }).learningRate = epochLr; // tf.train.adam reads it at each step
      shuffleInPlace(order, rand);
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < train.count; start += batchSize) {
        options.signal?.throwIfAborted();
        const b = Math.min(batchSize, train.count - start);
        for (let i = 0; i < b; i++) {
          const e = order[start + i]!;
          batchItems.set(train.prefixes.subarray(e * L, (e + 1) * L), i * L);
          batchLabels[i] = train.labels[e]!;
        }
        const c = b + negatives;
        const cand = rows.subarray(b * L, b * L + c);
        rows.set(batchItems.subarray(0, b * L), 0);
        cand.set(batchLabels.subarray(0, b));
        for (let j = 0; j < negatives; j++) cand[b + j] = draw();
        // A candidate equal to a row's label (other than its own column) is not a negative for that row.
        const stamp = batches + 1 + (epoch - 1) * Math.ceil(train.count / batchSize);
        for (let j = c - 1; j >= 0; j--) {
          const item = cand[j]!;
          nextColumn[j] = headStamp[item] === stamp ? headOf[item]! : -1;
          headStamp[item] = stamp;
          headOf[item] = j;
        }
        for (let i = 0; i < b; i++) {
          for (let j = headOf[batchLabels[i]!]!; j >= 0; j = nextColumn[j]!) {
            if (j === i) continue;
            dup[i * c + j] = -1e9;
            dupAt.push(i * c + j);
          }
        }
        const n = b * L + c;
        table.gather(rows, n, gathered);
        const gatheredT = tf.tensor2d(gathered.subarray(0, n * dim), [n, dim], 'float32');
        const embeddingRows = tf.variable(gatheredT, true);
        gatheredT.dispose(); // the variable holds its own reference to the data
        if (dropMask) {
          const keep = 1 / (1 - dropout);
          for (let i = 0; i < b * L * dim; i++) dropMask[i] = rand() < dropout ? 0 : keep;
        }
        const { cost, rowGrads } = tf.tidy(() => {
          const items = tf.tensor2d(batchItems.subarray(0, b * L), [b, L], 'int32');
          const maskT = dropMask ? tf.tensor3d(dropMask.subarray(0, b * L * dim), [b, L, dim]) : undefined;
          const candT = tf.tensor1d(cand, 'int32');
          const dupT = tf.tensor2d(dup.subarray(0, b * c), [b, c]);
          const { value, grads } = tf.variableGrads(() => {
            const [xi, xc] = tf.split(embeddingRows, [b * L, c]);
            const prefixRows = tf.reshape(xi!, [b, L, dim]);
            const h = net.sessionVectors(items, maskT ? tf.mul(prefixRows, maskT) : prefixRows);
            const e = net.unitItems(candT, xc);
            const candLogQ = tf.gather(logQTensor, candT);
            const logits = tf.add(tf.sub(tf.matMul(h, e, false, true), candLogQ), dupT);
            const lse = logSumExpRows(logits);
            // Row i's own label is column i: its logit, without a [b, c] one-hot.
            const own = tf.sub(tf.reshape(net.rowDots(h, tf.slice(e, [0, 0], [b, dim])), [b]), tf.slice(candLogQ, [0], [b]));
            return tf.mean<ReturnType<Tf['scalar']>>(tf.sub(lse, own));
          }, [...dense, embeddingRows]);
          const rowGrads = grads[embeddingRows.name]!;
          delete grads[embeddingRows.name];
          optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
          return { cost: value, rowGrads };
        });
        table.apply(rows, n, rowGrads.dataSync() as Float32Array);
        lossSum += cost.dataSync()[0]!;
        tf.dispose([cost, rowGrads, embeddingRows]);
        for (const at of dupAt) dup[at] = 0;
        dupAt.length = 0;
        batches++;
        if (batches % 50 === 0) {
          progress('train', start + b, train.count, `epoch ${epoch}, loss ${(lossSum / batches).toFixed(4)}`);
          await new Promise((r) => setImmediate(r));
        }
      }
      syncEmbeddings();
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      const val = validation.count > 0 ? hitAndMrr(labelRanksTf(tf, net, validation), 20) : { hr: 0, mrr: 0 };
      const report: EpochReport = {
        epoch,
        learningRate: epochLr,
        loss: lossSum / batches,
        seconds,
        examplesPerSecond: train.count / seconds,
        validation: { hr20: val.hr, mrr20: val.mrr },
      };
      epochs.push(report);
      const judged = validation.count > 0 ? `validation HR@20 ${val.hr.toFixed(2)} MRR@20 ${val.mrr.toFixed(2)}` : 'nothing held out';
      progress('epoch', epoch, maxEpochs, `loss ${report.loss.toFixed(4)}, ${judged}, lr ${epochLr.toPrecision(3)}, ${seconds.toFixed(1)} s`);
      if (!best || val.hr > best.hr20 || validation.count === 0) best = { epoch, hr20: val.hr, mrr20: val.mrr, weights: net.weights() };
      if (epoch - best.epoch >= patience) break;
      if (options.maxSeconds !== undefined && trainSeconds >= options.maxSeconds) break;
    }
  } finally {
    optimizer.dispose();
    logQTensor.dispose();
    net.dispose();
  }
  const chosen = best!;

  // Retrieval: an IVF index over the unit item vectors; its recall@20 against the exact top 20 on validation prefixes.
  const lists = options.ivfLists ?? Math.max(1, Math.round(2 * Math.sqrt(V)));
  const exactModel = new PureSequenceModel(itemIds, chosen.weights, undefined);
  const ivf = buildIvfIndex(exactModel.unitItems, dim, { lists, seed });
  const nprobe = options.nprobe ?? Math.max(1, Math.round(lists / 8));
  const model = new PureSequenceModel(itemIds, chosen.weights, ivf, {}, { nprobe });
  const recallCases = Math.min(validation.count, 500);
  let found = 0;
  let wanted = 0;
  for (let i = 0; i < recallCases; i++) {
    const rows = Array.from(validation.prefixes.subarray(i * L, (i + 1) * L)).filter((r) => r > 0);
    const h = model.forwardRows(rows);
    const exact = new Set(model.ivf.exact(h, 20).map((x) => x.row));
    for (const x of model.ivf.search(h, 20, nprobe)) if (exact.has(x.row)) found++;
    wanted += exact.size;
  }
  const report: SequenceTrainReport = {
    backend: loaded.backend,
    tfBackendName: loaded.tfBackendName,
    items: V,
    trainSessions: trainSessions.length,
    validationSessions: valSessions.length,
    trainExamples: train.count,
    validationCases: validation.count,
    epochs,
    bestEpoch: chosen.epoch,
    validation: { hr20: chosen.hr20, mrr20: chosen.mrr20 },
    trainSeconds,
    seconds: (performance.now() - started) / 1000,
    retrieval: { lists, nprobe, scannedShare: model.ivf.scannedShare(nprobe), recallAt20: wanted > 0 ? found / wanted : 1, cases: recallCases },
    options: { seed, dim, maxLength: L, scale, batchSize, negatives, learningRate: lr, learningRateDecay: lrDecay, dropout, epochs: maxEpochs, patience, validationFraction: valFraction, minCount, ...(initial ? { initialItems: initial.itemIds.length } : {}) },
  };
  model.meta.training = { backend: report.backend, bestEpoch: report.bestEpoch, validation: report.validation, trainExamples: report.trainExamples, items: V };
  return { model, report };
}

/**
 * HR and MRR at 10 and 20 (%) of a trained model on test cases, exact over every item, computed on
 * TensorFlow.js with the model's own weights (the same math as the pure-JS pass, checked equal
 * within 1e-4 by the spec): for scoring a large test file fast. Unknown labels and prefixes of
 * unknown items are misses.
 */
export function evaluateOnTf(tf: Tf, model: PureSequenceModel, cases: readonly { prefix: readonly string[]; label: string }[]): { hr20: number; mrr20: number; hr10: number; mrr10: number; cases: number } {
  const w = model.weights;
  const L = w.maxLength;
  const rowOf = new Map(model.itemIds.map((id, r) => [id, r] as const));
  const usable: number[] = [];
  const prefixes: number[] = [];
  const labels: number[] = [];
  cases.forEach((c, i) => {
    const label = rowOf.get(c.label);
    const rows = model.rowsOf(c.prefix);
    if (label === undefined || rows.length === 0) return;
    usable.push(i);
    for (let p = 0; p < L; p++) prefixes.push(rows[p] ?? 0);
    labels.push(label + 1);
  });
  const net = new TfSequenceNet(tf, model.itemIds.length, w.dim, L, w.scale, w);
  try {
    const ranks = labelRanksTf(tf, net, { prefixes: Int32Array.from(prefixes), labels: Int32Array.from(labels), count: labels.length });
    const all = new Int32Array(cases.length).fill(-1);
    usable.forEach((i, j) => (all[i] = ranks[j]!));
    const at20 = hitAndMrr(all, 20);
    const at10 = hitAndMrr(all, 10);
    return { hr20: at20.hr, mrr20: at20.mrr, hr10: at10.hr, mrr10: at10.mrr, cases: cases.length };
  } finally {
    net.dispose();
  }
}
