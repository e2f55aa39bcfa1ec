import type { Bucket } from './partials.js';

/** One slot's partials: bucket indexes ascending, and the partial of each. */
export interface Series {
  k: number[];
  v: Bucket[];
}

/** The state of one entity (a shopper, session, item or category). */
export interface EntityState {
  /** Highest event time applied (ms); -Infinity when none. */
  latest: number;
  /** Events applied (for a shopper: the snapshot version). */
  events: number;
  /** Per slot of the entity's plan; undefined while it has no bucket. */
  series: (Series | undefined)[];
  /** Wall-clock time the state was last written by the streaming executor (ms), when known. */
  writtenAtMs?: number;
}

export function emptyState(): EntityState {
  return { latest: -Infinity, events: 0, series: [] };
}

/** Index of bucket k in a series, inserting an empty one made by `make` when missing. */
export function bucketIndex(series: Series, k: number, make: () => Bucket): number {
  const ks = series.k;
  let i = ks.length;
  // Events mostly land in the newest bucket: search from the end.
  while (i > 0 && ks[i - 1]! > k) i--;
  if (i > 0 && ks[i - 1] === k) return i - 1;
  ks.splice(i, 0, k);
  series.v.splice(i, 0, make());
  return i;
}

/** Drops buckets with index ≤ `threshold`. */
export function dropThrough(series: Series, threshold: number): void {
  let n = 0;
  while (n < series.k.length && series.k[n]! <= threshold) n++;
  if (n > 0) {
    series.k.splice(0, n);
    series.v.splice(0, n);
  }
}

interface EncodedState {
  t: number | null;
  n: number;
  w?: number;
  s: Record<string, [number[], Bucket[]]>;
}

/**
 * The text form of a single-writer (shopper, session) state, as stored in Redis: compact JSON
 * `{"t":latest,"n":events,"w":writtenAt,"s":{"<slot>":[[k…],[partial…]]}}`.
 */
export function encodeState(state: EntityState, writtenAtMs?: number): string {
  const s: Record<string, [number[], Bucket[]]> = {};
  for (let i = 0; i < state.series.length; i++) {
    const series = state.series[i];
    if (series && series.k.length > 0) s[i] = [series.k, series.v];
  }
  const out: EncodedState = { t: Number.isFinite(state.latest) ? state.latest : null, n: state.events, s };
  const w = writtenAtMs ?? state.writtenAtMs;
  if (w !== undefined) out.w = w;
  return JSON.stringify(out);
}

export function decodeState(text: string): EntityState {
  const parsed = JSON.parse(text) as EncodedState;
  const series: (Series | undefined)[] = [];
  for (const key of Object.keys(parsed.s)) {
    const [k, v] = parsed.s[key]!;
    series[Number(key)] = { k, v };
  }
  const state: EntityState = { latest: parsed.t ?? -Infinity, events: parsed.n, series };
  if (parsed.w !== undefined) state.writtenAtMs = parsed.w;
  return state;
}

/** Deep copy (for tests and for keeping a state apart from a cache). */
export function cloneState(state: EntityState): EntityState {
  return decodeState(encodeState(state));
}
