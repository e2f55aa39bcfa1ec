import type { EventType } from '@clickwise/contracts';
import type { FeatureEvent } from './event.js';
import { keysOf, measureOf, type KeyOf, type Measure } from './inputs.js';

/**
 * Mergeable partial aggregates ("primitives"): the state layout (docs/specs/feature-store-redis.md).
 * Each keeps one partial per event-time bucket: `prepare` reads the input from an event, `update`
 * folds one input into a bucket's partial, `merge` combines two partials (buckets of a window, or
 * states of two executors), and an aggregation kind (aggregations/) turns the merged partial into
 * a value. Every merge here is associative and commutative, so the order buckets or events are
 * folded in does not change the result (floating-point sums up to rounding).
 *
 * - types:   number[11], events per event type           (shared entities: HINCRBY per type)
 * - moments: [n, Σx] of a measure                        (shared entities: HINCRBYFLOAT)
 * - variance: [n, mean, M2] of a measure (Welford update, Chan et al. merge: no cancellation)
 * - max/min: the largest/smallest value
 * - top2:    the two largest values, largest first (a multiset: equal values both kept)
 * - set:     distinct keys
 * - latest:  up to n [key, time] pairs, the n most recent distinct keys, by (time, key) descending
 * - weights: key → Σ weight
 */
export type Primitive = 'types' | 'moments' | 'variance' | 'max' | 'min' | 'top2' | 'set' | 'latest' | 'weights';

export type LatestEntry = [key: string, timeMs: number];
export type Bucket = number | number[] | string[] | LatestEntry[] | Record<string, number>;

/** Length of the vector partials. */
export function vectorLength(primitive: 'types' | 'moments'): number {
  return primitive === 'types' ? 11 : 2;
}

/** Adds `delta` at `index` of a vector partial (types, moments). */
export function vectorAdd(vector: number[], index: number, delta: number): void {
  vector[index] = (vector[index] ?? 0) + delta;
}

export function vectorMerge(into: number[], other: readonly number[]): number[] {
  for (let i = 0; i < other.length; i++) into[i] = (into[i] ?? 0) + (other[i] ?? 0);
  return into;
}

/** Folds x into a [n, mean, M2] partial (Welford). */
export function varianceUpdate(p: number[], x: number): number[] {
  const n = p[0]! + 1;
  const delta = x - p[1]!;
  const mean = p[1]! + delta / n;
  p[0] = n;
  p[1] = mean;
  p[2] = p[2]! + delta * (x - mean);
  return p;
}

/** Merges two [n, mean, M2] partials (Chan, Golub and LeVeque). */
export function varianceMerge(into: number[], other: readonly number[]): number[] {
  const nb = other[0]!;
  if (nb === 0) return into;
  const na = into[0]!;
  if (na === 0) {
    into[0] = nb;
    into[1] = other[1]!;
    into[2] = other[2]!;
    return into;
  }
  const n = na + nb;
  const delta = other[1]! - into[1]!;
  into[1] = into[1]! + (delta * nb) / n;
  into[2] = into[2]! + other[2]! + (delta * delta * na * nb) / n;
  into[0] = n;
  return into;
}

/** Inserts x into a top-2 partial (largest first). */
export function top2Update(top: number[], x: number): number[] {
  const a = top[0];
  if (a === undefined) {
    top.push(x);
  } else if (x >= a) {
    top[1] = a;
    top[0] = x;
  } else {
    const b = top[1];
    if (b === undefined || x > b) top[1] = x;
  }
  return top;
}

export function top2Merge(into: number[], other: readonly number[]): number[] {
  for (const x of other) top2Update(into, x);
  return into;
}

export function setAdd(set: string[], key: string): string[] {
  if (!set.includes(key)) set.push(key);
  return set;
}

/** Whether (t1, k1) is more recent than (t2, k2): later time, ties broken by the larger key. */
function newer(t1: number, k1: string, t2: number, k2: string): boolean {
  return t1 > t2 || (t1 === t2 && k1 > k2);
}

/**
 * Folds (key, time) into a latest partial kept sorted most recent first, one entry per key (its
 * latest time), at most n entries. Dropping the oldest past n is safe for merging: a key that is
 * not among a bucket's n most recent cannot be among the window's n most recent.
 */
export function latestUpdate(list: LatestEntry[], key: string, timeMs: number, n: number): LatestEntry[] {
  const at = list.findIndex((e) => e[0] === key);
  if (at >= 0) {
    const e = list[at]!;
    if (!newer(timeMs, key, e[1], key)) return list;
    list.splice(at, 1);
  }
  let i = 0;
  while (i < list.length && newer(list[i]![1], list[i]![0], timeMs, key)) i++;
  if (i >= n) return list;
  list.splice(i, 0, [key, timeMs]);
  if (list.length > n) list.length = n;
  return list;
}

export function latestMerge(into: LatestEntry[], other: readonly LatestEntry[], n: number): LatestEntry[] {
  for (const [key, time] of other) latestUpdate(into, key, time, n);
  return into;
}

export function weightsAdd(weights: Record<string, number>, key: string, weight: number): Record<string, number> {
  weights[key] = (weights[key] ?? 0) + weight;
  return weights;
}

export function weightsMerge(into: Record<string, number>, other: Readonly<Record<string, number>>): Record<string, number> {
  for (const key in other) into[key] = (into[key] ?? 0) + other[key]!;
  return into;
}

/** Keys with the largest weight first (ties: smaller key first), at most n. */
export function topWeighted(weights: Readonly<Record<string, number>>, n: number): string[] {
  return Object.keys(weights)
    .filter((k) => weights[k]! > 0)
    .sort((a, b) => weights[b]! - weights[a]! || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, n);
}

/** One partial series every entity of a kind keeps: what it aggregates, at which hop. */
export interface SlotSpec {
  readonly index: number;
  readonly primitive: Primitive;
  /** How its partials are made, fed and merged. */
  readonly partial: PartialKind;
  readonly hopMs: number;
  /** Buckets a read can need: the longest window using this slot, in hops. */
  keep: number;
  /** Event types that feed it, by EventType number. */
  readonly mask: readonly boolean[];
  readonly measure: Measure | undefined;
  readonly key: KeyOf | undefined;
  /** latest: entries kept per bucket. */
  n: number;
  readonly weights: readonly number[] | undefined;
  readonly signature: string;
}

/**
 * How one primitive's partials are made, fed and merged. `increments` is present only for vector
 * partials of sums: the ones entities written by many partitions may use (each update is a set of
 * commutative (index, delta) increments).
 */
export interface PartialKind<B extends Bucket = Bucket, X = unknown> {
  readonly primitive: Primitive;
  /** A new partial with nothing folded in (called unbound, as a bucket maker). */
  readonly empty: () => B;
  /** The input an event gives the slot; undefined when it gives none (the event then creates no bucket). */
  prepare(e: FeatureEvent, slot: SlotSpec): X | undefined;
  /** Folds one input into a partial; returns the partial (a new value for numbers). */
  update(partial: B, x: X, slot: SlotSpec, e: FeatureEvent): B;
  /** Combines two partials (associative, commutative); returns the result (`into` for containers). */
  merge(into: B, other: B, slot: SlotSpec): B;
  /** Shared entities: the increments one input adds, given to `add`. */
  increments?(x: X, add: (index: number, delta: number) => void): void;
}

function measureInput(e: FeatureEvent, slot: SlotSpec): number | undefined {
  return measureOf(slot.measure!, e);
}

function keysInput(e: FeatureEvent, slot: SlotSpec): readonly string[] | undefined {
  const keys = keysOf(slot.key!, e);
  return keys.length === 0 ? undefined : keys;
}

const types: PartialKind<number[], EventType> = {
  primitive: 'types',
  // A literal, not new Array(11).fill(0): a packed array, as decoded state is.
  empty: () => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  prepare: (e) => e.type,
  update: (p, t) => {
    vectorAdd(p, t, 1);
    return p;
  },
  merge: vectorMerge,
  increments: (t, add) => add(t, 1),
};

const moments: PartialKind<number[], number> = {
  primitive: 'moments',
  empty: () => [0, 0],
  prepare: measureInput,
  update: (p, x) => {
    vectorAdd(p, 0, 1);
    vectorAdd(p, 1, x);
    return p;
  },
  merge: vectorMerge,
  increments: (x, add) => {
    add(0, 1);
    add(1, x);
  },
};

const variance: PartialKind<number[], number> = {
  primitive: 'variance',
  empty: () => [0, 0, 0],
  prepare: measureInput,
  update: varianceUpdate,
  merge: varianceMerge,
};

const max: PartialKind<number, number> = {
  primitive: 'max',
  empty: () => -Infinity,
  prepare: measureInput,
  update: (p, x) => (x > p ? x : p),
  merge: (p, q) => (q > p ? q : p),
};

const min: PartialKind<number, number> = {
  primitive: 'min',
  empty: () => Infinity,
  prepare: measureInput,
  update: (p, x) => (x < p ? x : p),
  merge: (p, q) => (q < p ? q : p),
};

const top2: PartialKind<number[], number> = {
  primitive: 'top2',
  empty: () => [],
  prepare: measureInput,
  update: top2Update,
  merge: top2Merge,
};

const set: PartialKind<string[], readonly string[]> = {
  primitive: 'set',
  empty: () => [],
  prepare: keysInput,
  update: (p, keys) => {
    for (const key of keys) setAdd(p, key);
    return p;
  },
  merge: (p, q) => {
    for (const key of q) setAdd(p, key);
    return p;
  },
};

const latest: PartialKind<LatestEntry[], readonly string[]> = {
  primitive: 'latest',
  empty: () => [],
  prepare: keysInput,
  update: (p, keys, slot, e) => {
    for (const key of keys) latestUpdate(p, key, e.timeMs, slot.n);
    return p;
  },
  merge: (p, q, slot) => latestMerge(p, q, slot.n),
};

const weights: PartialKind<Record<string, number>, readonly string[]> = {
  primitive: 'weights',
  empty: () => ({}),
  prepare: (e, slot) => (slot.weights![e.type] === 0 ? undefined : keysInput(e, slot)),
  update: (p, keys, slot, e) => {
    const w = slot.weights![e.type]!;
    for (const key of keys) weightsAdd(p, key, w);
    return p;
  },
  merge: weightsMerge,
};

/** Every primitive's partial kind. */
export const partialKinds: { readonly [P in Primitive]: PartialKind } = {
  types,
  moments,
  variance,
  max,
  min,
  top2,
  set,
  latest,
  weights,
};
