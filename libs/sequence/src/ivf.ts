import { mulberry32 } from '@clickwise/random';

/**
 * An inverted-file index over unit item vectors (ADR 0094): `lists` spherical k-means centroids;
 * list i holds rows[offsets[i] .. offsets[i+1]). A query scores the centroids, scans the items of
 * the `nprobe` best lists only, and keeps the top k by the exact dot product.
 */
export interface IvfParts {
  lists: number;
  /** [lists, d] unit centroids. */
  centroids: Float32Array;
  /** lists + 1 entries. */
  offsets: Int32Array;
  /** Item rows grouped by list. */
  rows: Int32Array;
}

export interface IvfBuildOptions {
  lists: number;
  seed: number;
  iterations?: number;
  /** Rows sampled to fit the centroids (all rows are then assigned). */
  sampleSize?: number;
}

/** Seeded spherical k-means (k-means++-free: centroids start on distinct random rows). */
export function buildIvfIndex(unit: Float32Array, dim: number, options: IvfBuildOptions): IvfParts {
  const n = unit.length / dim;
  const lists = Math.max(1, Math.min(options.lists, n));
  const rand = mulberry32(options.seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const sample = order.slice(0, Math.min(n, options.sampleSize ?? Math.max(lists * 40, 4096)));
  const centroids = new Float32Array(lists * dim);
  for (let c = 0; c < lists; c++) centroids.set(unit.subarray(sample[c % sample.length]! * dim, (sample[c % sample.length]! + 1) * dim), c * dim);
  const iterations = options.iterations ?? 8;
  const assign = new Int32Array(n);
  for (let it = 0; it < iterations && lists > 1; it++) {
    const sums = new Float64Array(lists * dim);
    const counts = new Int32Array(lists);
    for (const r of sample) {
      const c = nearest(unit, r * dim, centroids, lists, dim);
      counts[c]!++;
      for (let k = 0; k < dim; k++) sums[c * dim + k]! += unit[r * dim + k]!;
    }
    for (let c = 0; c < lists; c++) {
      if (counts[c] === 0) {
        const r = sample[Math.floor(rand() * sample.length)]!;
        centroids.set(unit.subarray(r * dim, (r + 1) * dim), c * dim);
        continue;
      }
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += sums[c * dim + k]! ** 2;
      const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
      for (let k = 0; k < dim; k++) centroids[c * dim + k] = sums[c * dim + k]! * inv;
    }
  }
  const counts = new Int32Array(lists);
  for (let r = 0; r < n; r++) {
    assign[r] = lists > 1 ? nearest(unit, r * dim, centroids, lists, dim) : 0;
    counts[assign[r]!]!++;
  }
  const offsets = new Int32Array(lists + 1);
  for (let c = 0; c < lists; c++) offsets[c + 1] = offsets[c]! + counts[c]!;
  const fill = offsets.slice(0, lists);
  const rows = new Int32Array(n);
  for (let r = 0; r < n; r++) rows[fill[assign[r]!]!++] = r;
  return { lists, centroids, offsets, rows };
}

function nearest(unit: Float32Array, off: number, centroids: Float32Array, lists: number, dim: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < lists; c++) {
    let s = 0;
    const co = c * dim;
    for (let k = 0; k < dim; k++) s += unit[off + k]! * centroids[co + k]!;
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return best;
}

/** A bounded best-first list (k is small: insertion keeps it sorted). */
class TopK {
  readonly rows: number[] = [];
  readonly scores: number[] = [];
  constructor(private readonly k: number) {}
  get floor(): number {
    return this.rows.length < this.k ? -Infinity : this.scores[this.k - 1]!;
  }
  offer(row: number, score: number): void {
    if (this.rows.length >= this.k && !(score > this.scores[this.k - 1]!)) return;
    let i = Math.min(this.rows.length, this.k - 1);
    if (this.rows.length < this.k) {
      this.rows.push(row);
      this.scores.push(score);
      i = this.rows.length - 1;
    }
    while (i > 0 && this.scores[i - 1]! < score) {
      this.rows[i] = this.rows[i - 1]!;
      this.scores[i] = this.scores[i - 1]!;
      i--;
    }
    this.rows[i] = row;
    this.scores[i] = score;
  }
  result(): { row: number; score: number }[] {
    return this.rows.map((row, i) => ({ row, score: this.scores[i]! }));
  }
}

export class IvfIndex {
  readonly lists: number;
  constructor(
    private readonly unit: Float32Array,
    private readonly dim: number,
    readonly parts: IvfParts,
  ) {
    this.lists = parts.lists;
    const n = unit.length / dim;
    if (parts.offsets.length !== parts.lists + 1 || parts.offsets[parts.lists] !== n || parts.rows.length !== n || parts.centroids.length !== parts.lists * dim) {
      throw new Error(`IVF index does not match the ${n} items of the model`);
    }
  }

  /** Items scanned for nprobe lists, on average over lists (share of the catalogue). */
  scannedShare(nprobe: number): number {
    return Math.min(1, nprobe / this.lists);
  }

  search(query: Float32Array, k: number, nprobe: number, exclude?: ReadonlySet<number>): { row: number; score: number }[] {
    const { dim, unit } = this;
    const { centroids, offsets, rows, lists } = this.parts;
    const probe = Math.min(Math.max(1, nprobe), lists);
    if (probe >= lists) return this.exact(query, k, exclude);
    const best = new TopK(probe);
    for (let c = 0; c < lists; c++) {
      let s = 0;
      const co = c * dim;
      for (let j = 0; j < dim; j++) s += query[j]! * centroids[co + j]!;
      best.offer(c, s);
    }
    const top = new TopK(k);
    for (const c of best.rows) {
      for (let i = offsets[c]!; i < offsets[c + 1]!; i++) {
        const r = rows[i]!;
        if (exclude?.has(r)) continue;
        let s = 0;
        const off = r * dim;
        for (let j = 0; j < dim; j++) s += query[j]! * unit[off + j]!;
        if (s > top.floor) top.offer(r, s);
      }
    }
    return top.result();
  }

  exact(query: Float32Array, k: number, exclude?: ReadonlySet<number>): { row: number; score: number }[] {
    const { dim, unit } = this;
    const n = unit.length / dim;
    const top = new TopK(k);
    for (let r = 0; r < n; r++) {
      if (exclude?.has(r)) continue;
      let s = 0;
      const off = r * dim;
      for (let j = 0; j < dim; j++) s += query[j]! * unit[off + j]!;
      if (s > top.floor) top.offer(r, s);
    }
    return top.result();
  }
}
