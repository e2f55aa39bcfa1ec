import type { EventType } from '@clickwise/contracts';
import { latestMerge, weightsMerge, type Bucket, type LatestEntry, type SlotSpec } from './partials.js';
import type { EntityState, Series } from './state.js';
import { bucketOf } from './windows.js';

/** End (exclusive) of the buckets k ≤ kRef of a series. */
function windowEnd(ks: readonly number[], kRef: number): number {
  let to = ks.length;
  while (to > 0 && ks[to - 1]! > kRef) to--;
  return to;
}

/** Start of the buckets k > kRef − n that end at `to`. */
function windowStart(ks: readonly number[], to: number, kRef: number, n: number): number {
  let from = to;
  const low = kRef - n;
  while (from > 0 && ks[from - 1]! > low) from--;
  return from;
}

/** The last weight sums read from one slot, kept for the same series, window and state stamp. */
export interface WeightsMemo {
  last: { series: Series; kRef: number; n: number; stamp: number; out: Readonly<Record<string, number>> } | undefined;
}

/**
 * One feature's window over one slot: the buckets k(T) − n < k ≤ k(T) of the slot's series read
 * at reference time T (the hopping window of windows.ts). The reads merge those buckets' partials
 * (oldest first unless told) for a kind's finalizer. Nothing is kept between calls except the
 * weights memo, which belongs to the slot (one per engine).
 */
export class SlotWindow<B extends Bucket = Bucket> {
  readonly index: number;
  readonly hopMs: number;

  constructor(
    readonly slot: SlotSpec,
    /** Buckets the feature's window spans. */
    readonly buckets: number,
    private readonly memo: WeightsMemo,
  ) {
    this.index = slot.index;
    this.hopMs = slot.hopMs;
  }

  /** Bucket index of the reference time. */
  kRef(refMs: number): number {
    return bucketOf(refMs, this.hopMs);
  }

  /** The window's partials merged into a new one (the empty partial when there are none). */
  merged(state: EntityState, kRef: number): B {
    const partial = this.slot.partial;
    let acc = partial.empty() as B;
    const series = state.series[this.index];
    if (!series) return acc;
    const to = windowEnd(series.k, kRef);
    const from = windowStart(series.k, to, kRef, this.buckets);
    for (let i = from; i < to; i++) acc = partial.merge(acc, series.v[i]!, this.slot) as B;
    return acc;
  }

  /** types: events of the given types in the window (the merged vector's entries, summed). */
  count(state: EntityState, kRef: number, types: readonly EventType[]): number {
    const series = state.series[this.index];
    if (!series) return 0;
    const to = windowEnd(series.k, kRef);
    const from = windowStart(series.k, to, kRef, this.buckets);
    let c = 0;
    for (let i = from; i < to; i++) {
      const v = series.v[i] as number[];
      for (const t of types) c += v[t] ?? 0;
    }
    return c;
  }

  /** set: the size of the window's union of keys. */
  distinct(state: EntityState, kRef: number): number {
    const series = state.series[this.index];
    if (!series) return 0;
    const to = windowEnd(series.k, kRef);
    const from = windowStart(series.k, to, kRef, this.buckets);
    if (to - from === 1) return (series.v[from] as string[]).length;
    const union = new Set<string>();
    for (let i = from; i < to; i++) for (const key of series.v[i] as string[]) union.add(key);
    return union.size;
  }

  /** latest: the n most recent distinct keys of the window (newest bucket first). */
  latest(state: EntityState, kRef: number, n: number): string[] {
    const series = state.series[this.index];
    if (!series) return [];
    const to = windowEnd(series.k, kRef);
    const from = windowStart(series.k, to, kRef, this.buckets);
    const merged: LatestEntry[] = [];
    for (let i = to - 1; i >= from; i--) latestMerge(merged, series.v[i] as LatestEntry[], n);
    return merged.map((e) => e[0]);
  }

  /**
   * weights: Σ weight per key over the window. Several features read the same sum at one moment
   * (top categories, affinity): the slot's last result is kept for the same series, window and
   * state stamp (events applied), and callers must not change it.
   */
  weights(state: EntityState, kRef: number): Readonly<Record<string, number>> {
    const series = state.series[this.index];
    if (!series) return {};
    const m = this.memo.last;
    const stamp = state.events;
    if (m && m.series === series && m.kRef === kRef && m.n === this.buckets && m.stamp === stamp) return m.out;
    const out: Record<string, number> = {};
    const to = windowEnd(series.k, kRef);
    const from = windowStart(series.k, to, kRef, this.buckets);
    for (let i = from; i < to; i++) weightsMerge(out, series.v[i] as Record<string, number>);
    this.memo.last = { series, kRef, n: this.buckets, stamp, out };
    return out;
  }
}
