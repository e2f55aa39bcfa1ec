import { buildIvfIndex, IvfIndex, type IvfParts } from './ivf.js';

/**
 * The next-item model's weights (ADR 0093). V items (vocabulary row r+1 is itemIds[r]; row 0 is
 * the padding row), d dimensions, L positions (0 = the last item of the prefix):
 * - `embeddings` [V+1, d], `positions` [L, d];
 * - attention `attnItem` [d, d], `attnLast` [d, d], `attnBias` [d], `attnOut` [d];
 * - `output` [2d, d].
 * For a prefix (its last L known items) x_p = E[item_p] + P[p]; α_p = attnOut · σ(x_p A1 + x_0 A2 + b);
 * s = Σ α_p x_p; h = [s; x_0] W; score_j = scale · (h/|h|) · (E_j/|E_j|).
 */
export interface SequenceWeights {
  dim: number;
  maxLength: number;
  scale: number;
  embeddings: Float32Array;
  positions: Float32Array;
  attnItem: Float32Array;
  attnLast: Float32Array;
  attnBias: Float32Array;
  attnOut: Float32Array;
  output: Float32Array;
}

/** The seam of docs/specs/recommender.md: a trained next-item model, served without TensorFlow. */
export interface SequenceModel {
  /** The vocabulary it knows. */
  readonly itemIds: readonly string[];
  /**
   * The k items most likely to come next after `prefix` (oldest first), best first, not in
   * `exclude`. Items of the prefix may be returned (shoppers go back to items). Retrieval reads the
   * IVF index (a share of the catalogue), not every item; a prefix of unknown items only gives [].
   */
  topK(prefix: readonly string[], k: number, exclude?: ReadonlySet<string>): { itemId: string; score: number }[];
  /** Scores (the model's logits) of `itemIds` after `prefix`; NaN for an unknown item or a prefix of unknown items. */
  score(prefix: readonly string[], itemIds: readonly string[]): Float32Array;
  /** The versioned binary artifact (ADR 0094); `loadSequenceModel` reads it back. */
  toArtifact(): Uint8Array;
}

export const SEQUENCE_ARTIFACT_FORMAT = 'clickwise-sequence/1';
const MAGIC = 'CWSEQ\u0001';

/** Options of retrieval: how many IVF lists a request scans (more: better recall, slower). */
export interface RetrievalOptions {
  nprobe?: number;
}

/** What is stored besides the weights. */
export interface SequenceModelMeta {
  /** Free-form facts about the training run (backend, epochs, validation figures). */
  training?: Record<string, unknown>;
}

/** The pure-JS next-item model: forward pass on Float32Arrays, exact scoring and IVF retrieval. */
export class PureSequenceModel implements SequenceModel {
  readonly itemIds: readonly string[];
  private readonly index = new Map<string, number>();
  /** Unit-length item vectors [V, d] (row r = itemIds[r]). */
  readonly unitItems: Float32Array;
  readonly ivf: IvfIndex;
  nprobe: number;

  constructor(
    itemIds: readonly string[],
    readonly weights: SequenceWeights,
    ivf: IvfParts | undefined,
    readonly meta: SequenceModelMeta = {},
    options: RetrievalOptions = {},
  ) {
    const { dim, maxLength } = weights;
    const v = itemIds.length;
    const sizes: [string, Float32Array, number][] = [
      ['embeddings', weights.embeddings, (v + 1) * dim],
      ['positions', weights.positions, maxLength * dim],
      ['attnItem', weights.attnItem, dim * dim],
      ['attnLast', weights.attnLast, dim * dim],
      ['attnBias', weights.attnBias, dim],
      ['attnOut', weights.attnOut, dim],
      ['output', weights.output, 2 * dim * dim],
    ];
    for (const [name, a, n] of sizes) if (a.length !== n) throw new Error(`sequence model: ${name} has ${a.length} values, expected ${n}`);
    this.itemIds = itemIds;
    itemIds.forEach((id, r) => {
      if (this.index.has(id)) throw new Error(`sequence model: item ${id} appears twice in the vocabulary`);
      this.index.set(id, r);
    });
    this.unitItems = new Float32Array(v * dim);
    for (let r = 0; r < v; r++) {
      const src = (r + 1) * dim;
      let n = 0;
      for (let c = 0; c < dim; c++) n += weights.embeddings[src + c]! ** 2;
      const inv = 1 / Math.max(Math.sqrt(n), 1e-12);
      for (let c = 0; c < dim; c++) this.unitItems[r * dim + c] = weights.embeddings[src + c]! * inv;
    }
    this.ivf = new IvfIndex(this.unitItems, dim, ivf ?? buildIvfIndex(this.unitItems, dim, { lists: 1, seed: 1 }));
    this.nprobe = Math.min(options.nprobe ?? defaultNprobe(this.ivf.lists), this.ivf.lists);
  }

  /** Vocabulary rows (1-based, 0 = padding) of the last maxLength known items, last first. */
  rowsOf(prefix: readonly string[]): number[] {
    const rows: number[] = [];
    for (let i = prefix.length - 1; i >= 0 && rows.length < this.weights.maxLength; i--) {
      const r = this.index.get(prefix[i]!);
      if (r !== undefined) rows.push(r + 1);
    }
    return rows;
  }

  /** The unit-length session vector h/|h| (times scale), or undefined for no known item. */
  sessionVector(prefix: readonly string[]): Float32Array | undefined {
    const rows = this.rowsOf(prefix);
    if (rows.length === 0) return undefined;
    return this.forwardRows(rows);
  }

  /** The forward pass on vocabulary rows (last first): scale · h/|h|. */
  forwardRows(rows: readonly number[]): Float32Array {
    const w = this.weights;
    const d = w.dim;
    const n = rows.length;
    const x = new Float32Array(n * d);
    for (let p = 0; p < n; p++) {
      const e = rows[p]! * d;
      for (let c = 0; c < d; c++) x[p * d + c] = w.embeddings[e + c]! + w.positions[p * d + c]!;
    }
    // q = x_0 A2 + b
    const q = new Float32Array(d);
    for (let c = 0; c < d; c++) q[c] = w.attnBias[c]!;
    for (let i = 0; i < d; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      const rowOff = i * d;
      for (let c = 0; c < d; c++) q[c]! += xi * w.attnLast[rowOff + c]!;
    }
    const s = new Float32Array(d);
    const a = new Float32Array(d);
    for (let p = 0; p < n; p++) {
      a.set(q);
      const xo = p * d;
      for (let i = 0; i < d; i++) {
        const xi = x[xo + i]!;
        const rowOff = i * d;
        for (let c = 0; c < d; c++) a[c]! += xi * w.attnItem[rowOff + c]!;
      }
      let alpha = 0;
      for (let c = 0; c < d; c++) alpha += w.attnOut[c]! / (1 + Math.exp(-a[c]!));
      for (let c = 0; c < d; c++) s[c]! += alpha * x[xo + c]!;
    }
    // h = [s; x_0] W
    const h = new Float32Array(d);
    for (let i = 0; i < d; i++) {
      const si = s[i]!;
      const rowOff = i * d;
      for (let c = 0; c < d; c++) h[c]! += si * w.output[rowOff + c]!;
    }
    for (let i = 0; i < d; i++) {
      const xi = x[i]!;
      const rowOff = (d + i) * d;
      for (let c = 0; c < d; c++) h[c]! += xi * w.output[rowOff + c]!;
    }
    let norm = 0;
    for (let c = 0; c < d; c++) norm += h[c]! * h[c]!;
    const k = w.scale / Math.max(Math.sqrt(norm), 1e-12);
    for (let c = 0; c < d; c++) h[c] = h[c]! * k;
    return h;
  }

  score(prefix: readonly string[], itemIds: readonly string[]): Float32Array {
    const out = new Float32Array(itemIds.length).fill(Number.NaN);
    const h = this.sessionVector(prefix);
    if (!h) return out;
    const d = this.weights.dim;
    itemIds.forEach((id, i) => {
      const r = this.index.get(id);
      if (r === undefined) return;
      out[i] = dot(h, this.unitItems, r * d, d);
    });
    return out;
  }

  /** Scores of every item (row order of itemIds) after the prefix: exact, for offline evaluation. */
  scoreAll(prefix: readonly string[]): Float32Array | undefined {
    const h = this.sessionVector(prefix);
    if (!h) return undefined;
    const d = this.weights.dim;
    const v = this.itemIds.length;
    const out = new Float32Array(v);
    for (let r = 0; r < v; r++) out[r] = dot(h, this.unitItems, r * d, d);
    return out;
  }

  topK(prefix: readonly string[], k: number, exclude?: ReadonlySet<string>): { itemId: string; score: number }[] {
    const h = this.sessionVector(prefix);
    if (!h || k <= 0) return [];
    const excluded = exclude && exclude.size > 0 ? new Set([...exclude].map((id) => this.index.get(id)).filter((r) => r !== undefined)) : undefined;
    return this.ivf.search(h, k, this.nprobe, excluded).map(({ row, score }) => ({ itemId: this.itemIds[row]!, score }));
  }

  /** The exact top k over the whole vocabulary (what retrieval approximates). */
  exactTopK(prefix: readonly string[], k: number, exclude?: ReadonlySet<string>): { itemId: string; score: number }[] {
    const h = this.sessionVector(prefix);
    if (!h || k <= 0) return [];
    const excluded = exclude && exclude.size > 0 ? new Set([...exclude].map((id) => this.index.get(id)).filter((r) => r !== undefined)) : undefined;
    return this.ivf.exact(h, k, excluded).map(({ row, score }) => ({ itemId: this.itemIds[row]!, score }));
  }

  toArtifact(): Uint8Array {
    return encodeArtifact(this);
  }
}

export function dot(h: Float32Array, m: Float32Array, off: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += h[c]! * m[off + c]!;
  return s;
}

function defaultNprobe(lists: number): number {
  return lists <= 1 ? 1 : Math.max(1, Math.round(lists / 8));
}

const TENSORS = ['embeddings', 'positions', 'attnItem', 'attnLast', 'attnBias', 'attnOut', 'output'] as const;

/**
 * Artifact layout (ADR 0094): the 6 bytes "CWSEQ\x01", a little-endian uint32 header length, the
 * UTF-8 JSON header (format, dims, item ids, tensor names with offsets, IVF sizes, meta), zero
 * padding to a multiple of 4, then the float32 and int32 arrays (little-endian) at the header's offsets.
 */
export function encodeArtifact(model: PureSequenceModel): Uint8Array {
  const w = model.weights;
  const arrays: { name: string; data: Float32Array | Int32Array; dtype: 'float32' | 'int32' }[] = TENSORS.map((name) => ({ name, data: w[name], dtype: 'float32' as const }));
  const ivf = model.ivf.parts;
  arrays.push({ name: 'ivf.centroids', data: ivf.centroids, dtype: 'float32' }, { name: 'ivf.offsets', data: ivf.offsets, dtype: 'int32' }, { name: 'ivf.rows', data: ivf.rows, dtype: 'int32' });
  let offset = 0;
  const layout = arrays.map((a) => {
    const entry = { name: a.name, dtype: a.dtype, offset, length: a.data.length };
    offset += a.data.length * 4;
    return entry;
  });
  const header = {
    format: SEQUENCE_ARTIFACT_FORMAT,
    dim: w.dim,
    maxLength: w.maxLength,
    scale: w.scale,
    ivfLists: ivf.lists,
    nprobe: model.nprobe,
    itemIds: model.itemIds,
    tensors: layout,
    meta: model.meta,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const start = align4(MAGIC.length + 4 + headerBytes.length);
  const out = new Uint8Array(start + offset);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(MAGIC.length, headerBytes.length, true);
  out.set(headerBytes, MAGIC.length + 4);
  arrays.forEach((a, i) => {
    const base = start + layout[i]!.offset;
    for (let j = 0; j < a.data.length; j++) {
      if (a.dtype === 'float32') view.setFloat32(base + j * 4, a.data[j]!, true);
      else view.setInt32(base + j * 4, a.data[j]!, true);
    }
  });
  return out;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Reads an artifact of `encodeArtifact` (no TensorFlow needed); refuses another format or a truncated file. */
export function loadSequenceModel(bytes: Uint8Array, options: RetrievalOptions = {}): PureSequenceModel {
  if (bytes.length < MAGIC.length + 4) throw new Error('not a sequence model artifact: too short');
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw new Error(`not a sequence model artifact (expected the magic bytes of ${SEQUENCE_ARTIFACT_FORMAT})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + headerLength > bytes.length) throw new Error('sequence model artifact truncated in its header');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength))) as {
    format: string;
    dim: number;
    maxLength: number;
    scale: number;
    ivfLists: number;
    nprobe: number;
    itemIds: string[];
    tensors: { name: string; dtype: 'float32' | 'int32'; offset: number; length: number }[];
    meta: SequenceModelMeta;
  };
  if (header.format !== SEQUENCE_ARTIFACT_FORMAT) throw new Error(`unsupported sequence model format ${header.format} (this build reads ${SEQUENCE_ARTIFACT_FORMAT})`);
  const start = align4(MAGIC.length + 4 + headerLength);
  const read = (name: string): Float32Array | Int32Array => {
    const t = header.tensors.find((x) => x.name === name);
    if (!t) throw new Error(`sequence model artifact has no tensor ${name}`);
    const base = start + t.offset;
    if (base + t.length * 4 > bytes.length) throw new Error(`sequence model artifact truncated in tensor ${name}`);
    const out = t.dtype === 'float32' ? new Float32Array(t.length) : new Int32Array(t.length);
    for (let j = 0; j < t.length; j++) out[j] = t.dtype === 'float32' ? view.getFloat32(base + j * 4, true) : view.getInt32(base + j * 4, true);
    return out;
  };
  const f = (name: (typeof TENSORS)[number]) => read(name) as Float32Array;
  const weights: SequenceWeights = {
    dim: header.dim,
    maxLength: header.maxLength,
    scale: header.scale,
    embeddings: f('embeddings'),
    positions: f('positions'),
    attnItem: f('attnItem'),
    attnLast: f('attnLast'),
    attnBias: f('attnBias'),
    attnOut: f('attnOut'),
    output: f('output'),
  };
  const ivf: IvfParts = {
    lists: header.ivfLists,
    centroids: read('ivf.centroids') as Float32Array,
    offsets: read('ivf.offsets') as Int32Array,
    rows: read('ivf.rows') as Int32Array,
  };
  return new PureSequenceModel(header.itemIds, weights, ivf, header.meta, { nprobe: options.nprobe ?? header.nprobe });
}
