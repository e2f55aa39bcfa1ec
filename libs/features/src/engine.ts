import { createHash } from 'node:crypto';
import { EventType } from '@clickwise/contracts';
import {
  ALLOWED_LATENESS_MS,
  ENGINE_REVISION,
  ENTITIES,
  featureDefinitions,
  isSharedEntity,
  valueKind,
  type Entity,
  type FeatureDefinition,
  type KeyOf,
  type Measure,
  type TypeWeights,
} from './definitions.js';
import { EVENT_TYPE_COUNT, itemKeysOf, queryTerms, type FeatureEvent } from './event.js';
import {
  latestMerge,
  latestUpdate,
  setAdd,
  top2Merge,
  top2Update,
  topWeighted,
  varianceMerge,
  varianceUpdate,
  vectorAdd,
  vectorLength,
  weightsAdd,
  weightsMerge,
  type Bucket,
  type LatestEntry,
  type Primitive,
} from './partials.js';
import { bucketIndex, dropThrough, emptyState, type EntityState, type Series } from './state.js';
import { bucketOf, bucketsOf, type Window } from './windows.js';

export type FeatureValue = number | readonly string[];

/**
 * Whether two feature values agree: numbers to `relative` (1e-9 by default; the same margin
 * absolutely near 0), lists exactly.
 */
export function sameFeatureValue(a: FeatureValue, b: FeatureValue, relative = 1e-9): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= relative * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** One partial series every entity of a kind keeps: what it aggregates, at which hop. */
export interface SlotSpec {
  readonly index: number;
  readonly primitive: Primitive;
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

export interface CompiledFeature {
  readonly definition: FeatureDefinition;
  /** Position in the entity's vector. */
  readonly index: number;
  readonly kind: 'number' | 'list';
  /** Slots it reads. */
  readonly slots: readonly number[];
  evaluate(state: EntityState, refMs: number): FeatureValue;
}

/** What an entity kind keeps (slots) and computes (features). */
export interface EntityPlan {
  readonly entity: Entity;
  /** Written by many partitions: only `types` and `moments` slots, as increments. */
  readonly shared: boolean;
  readonly slots: readonly SlotSpec[];
  readonly features: readonly CompiledFeature[];
  /** For each event type, the features an event of that type feeds (its "changed" set). */
  readonly fedBy: readonly (readonly number[])[];
  /** For each event type, the slots an event of that type feeds. */
  readonly slotsByType: readonly (readonly SlotSpec[])[];
}

/** Name of the hash field holding one increment target of a shared state. */
export function sharedField(slot: number, bucket: number, index: number): string {
  return `${slot}:${bucket}:${index}`;
}

/** Receives the commutative increments an event makes to item and category state. */
export interface SharedDeltaSink {
  add(entity: 'item' | 'category', key: string, slot: number, bucket: number, index: number, delta: number): void;
  /** The entity saw an event at `timeMs` (its latest time is the max of these). */
  touch(entity: 'item' | 'category', key: string, timeMs: number): void;
}

export interface EngineOptions {
  allowedLatenessMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Reading inputs from an event ("prepare")

/** The number a measure reads from an event, or undefined when the event lacks it. */
export function measureOf(measure: Measure, e: FeatureEvent): number | undefined {
  switch (measure) {
    case 'one':
      return 1;
    case 'price':
      return e.price;
    case 'quantity':
      return e.quantity ?? 1;
    case 'value':
      return e.price === undefined ? undefined : e.price * (e.quantity ?? 1);
    case 'signed_quantity':
      return cartSign(e.type) * (e.quantity ?? 1);
    case 'signed_value':
      return cartSign(e.type) * (e.price ?? 0) * (e.quantity ?? 1);
    case 'rating':
      return e.reviewRating;
    case 'time':
      return e.timeMs;
  }
}

function cartSign(type: EventType): number {
  return type === EventType.ADD_TO_CART ? 1 : type === EventType.REMOVE_FROM_CART ? -1 : 0;
}

const NO_KEYS: readonly string[] = [];

/** The keys an event gives for a key kind (none when the event lacks it). */
export function keysOf(key: KeyOf, e: FeatureEvent): readonly string[] {
  switch (key) {
    case 'item':
      return e.itemId === '' ? NO_KEYS : [e.itemId];
    case 'category':
      return e.categoryId === '' ? NO_KEYS : [e.categoryId];
    case 'session':
      return e.sessionId === '' ? NO_KEYS : [e.sessionId];
    case 'query_terms':
      return queryTerms(e.searchQuery);
  }
}

function weightVector(weights: TypeWeights): number[] {
  const out = new Array<number>(EVENT_TYPE_COUNT).fill(0);
  for (const [type, w] of Object.entries(weights)) out[Number(type)] = w ?? 0;
  return out;
}

function typeMask(types: readonly EventType[]): boolean[] {
  const mask = new Array<boolean>(EVENT_TYPE_COUNT).fill(false);
  for (const t of types) mask[t] = true;
  return mask;
}

// ---------------------------------------------------------------------------------------------
// Window ranges over a series (module scratch: the engine is synchronous)

let rangeFrom = 0;
let rangeTo = 0;

/** Sets [rangeFrom, rangeTo) to the buckets k with kRef − n < k ≤ kRef. */
function range(series: Series, kRef: number, n: number): void {
  const ks = series.k;
  let to = ks.length;
  while (to > 0 && ks[to - 1]! > kRef) to--;
  let from = to;
  const low = kRef - n;
  while (from > 0 && ks[from - 1]! > low) from--;
  rangeFrom = from;
  rangeTo = to;
}

// ---------------------------------------------------------------------------------------------
// Compilation

class PlanBuilder {
  readonly slots: SlotSpec[] = [];
  readonly features: CompiledFeature[] = [];

  constructor(
    readonly entity: Entity,
    readonly shared: boolean,
  ) {}

  slot(
    primitive: Primitive,
    window: Window,
    types: readonly EventType[] | 'all',
    options: { measure?: Measure; key?: KeyOf; n?: number; weights?: TypeWeights } = {},
  ): number {
    if (this.shared && primitive !== 'types' && primitive !== 'moments') {
      throw new Error(`${this.entity} state is written by many partitions: ${primitive} is not an increment`);
    }
    const mask = types === 'all' ? new Array<boolean>(EVENT_TYPE_COUNT).fill(true) : typeMask(types);
    const weights = options.weights ? weightVector(options.weights) : undefined;
    const signature = [
      primitive,
      window.hopMs,
      mask.map((m) => (m ? 1 : 0)).join(''),
      options.measure ?? '',
      options.key ?? '',
      weights?.join(',') ?? '',
    ].join('|');
    const keep = bucketsOf(window);
    const existing = this.slots.find((s) => s.signature === signature);
    if (existing) {
      existing.keep = Math.max(existing.keep, keep);
      existing.n = Math.max(existing.n, options.n ?? 0);
      return existing.index;
    }
    const spec: SlotSpec = {
      index: this.slots.length,
      primitive,
      hopMs: window.hopMs,
      keep,
      mask,
      measure: options.measure,
      key: options.key,
      n: options.n ?? 0,
      weights,
      signature,
    };
    this.slots.push(spec);
    return spec.index;
  }

  add(definition: FeatureDefinition): void {
    const { aggregation: a, window: w, filter } = definition;
    const n = bucketsOf(w);
    const hop = w.hopMs;
    const types = filter.types;
    const idx = this.features.length;
    let slots: number[];
    let evaluate: (state: EntityState, refMs: number) => FeatureValue;
    const countOf = (slot: number, typeList: readonly EventType[]) => (state: EntityState, refMs: number) =>
      sumTypes(state.series[slot], bucketOf(refMs, hop), n, typeList);
    switch (a.kind) {
      case 'count': {
        const s = this.slot('types', w, 'all');
        slots = [s];
        evaluate = countOf(s, types);
        break;
      }
      case 'ratio': {
        const s = this.slot('types', w, 'all');
        slots = [s];
        const num = countOf(s, a.numerator);
        const den = countOf(s, a.denominator);
        evaluate = (state, refMs) => {
          const d = den(state, refMs);
          return d === 0 ? 0 : num(state, refMs) / d;
        };
        break;
      }
      case 'stddev': {
        const s = this.slot('variance', w, types, { measure: a.measure });
        slots = [s];
        evaluate = (state, refMs) => {
          const series = state.series[s];
          if (!series) return 0;
          range(series, bucketOf(refMs, hop), n);
          const acc = [0, 0, 0];
          for (let i = rangeFrom; i < rangeTo; i++) varianceMerge(acc, series.v[i] as number[]);
          return acc[0] === 0 ? 0 : Math.sqrt(Math.max(0, acc[2]! / acc[0]!));
        };
        break;
      }
      case 'sum':
      case 'mean': {
        const s = this.slot('moments', w, types, { measure: a.measure });
        slots = [s];
        const kind = a.kind;
        const clamp = a.kind === 'sum' && a.clampAtZero === true;
        evaluate = (state, refMs) => {
          sumMoments(state.series[s], bucketOf(refMs, hop), n);
          if (kind === 'sum') return clamp ? Math.max(0, momentSum) : momentSum;
          return momentCount === 0 ? 0 : momentSum / momentCount;
        };
        break;
      }
      case 'min':
      case 'max': {
        const s = this.slot(a.kind, w, types, { measure: a.measure });
        slots = [s];
        const isMax = a.kind === 'max';
        evaluate = (state, refMs) => {
          const v = extreme(state.series[s], bucketOf(refMs, hop), n, isMax);
          return Number.isFinite(v) ? v : 0;
        };
        break;
      }
      case 'seconds_since_last': {
        const s = this.slot('max', w, types, { measure: 'time' });
        slots = [s];
        evaluate = (state, refMs) => {
          const last = extreme(state.series[s], bucketOf(refMs, hop), n, true);
          return Number.isFinite(last) ? (refMs - last) / 1000 : w.ms / 1000;
        };
        break;
      }
      case 'span_seconds':
      case 'mean_gap_seconds': {
        const hi = this.slot('max', w, types, { measure: 'time' });
        const lo = this.slot('min', w, types, { measure: 'time' });
        const c = this.slot('types', w, 'all');
        slots = [hi, lo, c];
        const gap = a.kind === 'mean_gap_seconds';
        evaluate = (state, refMs) => {
          const kRef = bucketOf(refMs, hop);
          const max = extreme(state.series[hi], kRef, n, true);
          if (!Number.isFinite(max)) return 0;
          const span = (max - extreme(state.series[lo], kRef, n, false)) / 1000;
          if (!gap) return span;
          const events = sumTypes(state.series[c], kRef, n, types);
          return events < 2 ? 0 : span / (events - 1);
        };
        break;
      }
      case 'last_gap_seconds': {
        const s = this.slot('top2', w, types, { measure: 'time' });
        slots = [s];
        evaluate = (state, refMs) => {
          const series = state.series[s];
          if (!series) return 0;
          range(series, bucketOf(refMs, hop), n);
          const top: number[] = [];
          for (let i = rangeFrom; i < rangeTo; i++) top2Merge(top, series.v[i] as number[]);
          return top.length < 2 ? 0 : (top[0]! - top[1]!) / 1000;
        };
        break;
      }
      case 'distinct_count': {
        const s = this.slot('set', w, types, { key: a.key });
        slots = [s];
        evaluate = (state, refMs) => {
          const series = state.series[s];
          if (!series) return 0;
          range(series, bucketOf(refMs, hop), n);
          if (rangeTo - rangeFrom === 1) return (series.v[rangeFrom] as string[]).length;
          const union = new Set<string>();
          for (let i = rangeFrom; i < rangeTo; i++) for (const key of series.v[i] as string[]) union.add(key);
          return union.size;
        };
        break;
      }
      case 'last_distinct': {
        const s = this.slot('latest', w, types, { key: a.key, n: a.n });
        slots = [s];
        const count = a.n;
        evaluate = (state, refMs) => latestKeys(state.series[s], bucketOf(refMs, hop), n, count);
        break;
      }
      case 'top_weighted': {
        const s = this.slot('weights', w, positive(a.weights, types), { key: a.key, weights: a.weights });
        slots = [s];
        const count = a.n;
        evaluate = (state, refMs) => topWeighted(sumWeights(state.series[s], bucketOf(refMs, hop), n, state.events), count);
        break;
      }
      case 'share_of_latest': {
        const feeding = positive(a.weights, types);
        const s = this.slot('weights', w, feeding, { key: a.key, weights: a.weights });
        const l = this.slot('latest', w, feeding, { key: a.key, n: 1 });
        slots = [s, l];
        evaluate = (state, refMs) => {
          const kRef = bucketOf(refMs, hop);
          const latest = latestKeys(state.series[l], kRef, n, 1)[0];
          if (latest === undefined) return 0;
          const weights = sumWeights(state.series[s], kRef, n, state.events);
          let total = 0;
          for (const key in weights) total += weights[key]!;
          return total === 0 ? 0 : (weights[latest] ?? 0) / total;
        };
        break;
      }
    }
    this.features.push({ definition, index: idx, kind: valueKind(definition), slots, evaluate });
  }

  build(): EntityPlan {
    const fedBy: number[][] = [];
    for (let t = 0; t < EVENT_TYPE_COUNT; t++) {
      fedBy.push(this.features.filter((f) => f.definition.filter.types.includes(t)).map((f) => f.index));
    }
    const slotsByType: SlotSpec[][] = [];
    for (let t = 0; t < EVENT_TYPE_COUNT; t++) slotsByType.push(this.slots.filter((slot) => slot.mask[t]));
    return { entity: this.entity, shared: this.shared, slots: this.slots, features: this.features, fedBy, slotsByType };
  }
}

/** The event types with a positive weight that the filter lets through. */
function positive(weights: TypeWeights, types: readonly EventType[]): EventType[] {
  return types.filter((t) => (weights[t] ?? 0) > 0);
}

function sumTypes(series: Series | undefined, kRef: number, n: number, types: readonly EventType[]): number {
  if (!series) return 0;
  range(series, kRef, n);
  let c = 0;
  for (let i = rangeFrom; i < rangeTo; i++) {
    const v = series.v[i] as number[];
    for (const t of types) c += v[t] ?? 0;
  }
  return c;
}

let momentCount = 0;
let momentSum = 0;
/** Sums the [n, Σx] partials of a window into momentCount and momentSum. */
function sumMoments(series: Series | undefined, kRef: number, n: number): void {
  momentCount = 0;
  momentSum = 0;
  if (!series) return;
  range(series, kRef, n);
  for (let i = rangeFrom; i < rangeTo; i++) {
    const v = series.v[i] as number[];
    momentCount += v[0] ?? 0;
    momentSum += v[1] ?? 0;
  }
}

function extreme(series: Series | undefined, kRef: number, n: number, max: boolean): number {
  let best = max ? -Infinity : Infinity;
  if (!series) return best;
  range(series, kRef, n);
  for (let i = rangeFrom; i < rangeTo; i++) {
    const v = series.v[i] as number;
    if (max ? v > best : v < best) best = v;
  }
  return best;
}

function latestKeys(series: Series | undefined, kRef: number, n: number, count: number): string[] {
  if (!series) return [];
  range(series, kRef, n);
  const merged: LatestEntry[] = [];
  for (let i = rangeTo - 1; i >= rangeFrom; i--) latestMerge(merged, series.v[i] as LatestEntry[], count);
  return merged.map((e) => e[0]);
}

let weightsMemo: { series: Series; kRef: number; n: number; stamp: number; out: Readonly<Record<string, number>> } | undefined;

/**
 * Σ weights per key over a window. Several features read the same sum at one moment (top
 * categories, affinity): the last result is kept for the same series, window and state stamp
 * (events applied), and callers must not change it.
 */
function sumWeights(series: Series | undefined, kRef: number, n: number, stamp: number): Readonly<Record<string, number>> {
  if (!series) return {};
  const m = weightsMemo;
  if (m && m.series === series && m.kRef === kRef && m.n === n && m.stamp === stamp) return m.out;
  const out: Record<string, number> = {};
  range(series, kRef, n);
  for (let i = rangeFrom; i < rangeTo; i++) weightsMerge(out, series.v[i] as Record<string, number>);
  weightsMemo = { series, kRef, n, stamp, out };
  return out;
}

// ---------------------------------------------------------------------------------------------

function emptyBucket(slot: SlotSpec): () => Bucket {
  switch (slot.primitive) {
    case 'types':
    case 'moments': {
      const length = vectorLength(slot.primitive);
      return () => new Array<number>(length).fill(0);
    }
    case 'variance':
      return () => [0, 0, 0];
    case 'max':
      return () => -Infinity;
    case 'min':
      return () => Infinity;
    case 'top2':
    case 'set':
    case 'latest':
      return () => [];
    case 'weights':
      return () => ({});
  }
}

function hashDefinitions(definitions: readonly FeatureDefinition[], latenessMs: number): string {
  const canonical = JSON.stringify({ engine: ENGINE_REVISION, latenessMs, definitions });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

/**
 * The compiled feature definitions: how an event changes each entity's state, and how a state
 * becomes feature values at a reference time. Both executors (offline in memory, streaming into
 * Redis) use this one object, so they compute the same numbers.
 */
export class FeatureEngine {
  readonly version: string;
  readonly allowedLatenessMs: number;
  readonly plans: Readonly<Record<Entity, EntityPlan>>;
  private readonly makers: Record<Entity, (() => Bucket)[]>;

  constructor(
    readonly definitions: readonly FeatureDefinition[] = featureDefinitions,
    options: EngineOptions = {},
  ) {
    const names = new Set<string>();
    for (const d of definitions) {
      if (names.has(d.name)) throw new Error(`feature ${d.name} is declared twice`);
      names.add(d.name);
      if (d.window.ms % d.window.hopMs !== 0) throw new Error(`${d.name}: window must be a whole number of hops`);
    }
    this.allowedLatenessMs = options.allowedLatenessMs ?? ALLOWED_LATENESS_MS;
    this.version = hashDefinitions(definitions, this.allowedLatenessMs);
    const plans = {} as Record<Entity, EntityPlan>;
    for (const entity of ENTITIES) {
      const builder = new PlanBuilder(entity, isSharedEntity(entity));
      for (const d of definitions) if (d.entity === entity) builder.add(d);
      plans[entity] = builder.build();
    }
    this.plans = plans;
    this.makers = {
      shopper: plans.shopper.slots.map(emptyBucket),
      session: plans.session.slots.map(emptyBucket),
      item: plans.item.slots.map(emptyBucket),
      category: plans.category.slots.map(emptyBucket),
    };
  }

  /** Folds an event into a single-writer (shopper or session) state, then drops expired buckets. */
  apply(entity: 'shopper' | 'session', state: EntityState, e: FeatureEvent): void {
    const plan = this.plans[entity];
    const makers = this.makers[entity];
    state.events++;
    const advanced = e.timeMs > state.latest;
    if (advanced) state.latest = e.timeMs;
    const t = e.type;
    for (const slot of plan.slotsByType[t]!) {
      const i = slot.index;
      switch (slot.primitive) {
        case 'types': {
          const b = this.bucket(state, slot, makers, e.timeMs) as number[];
          vectorAdd(b, t, 1);
          break;
        }
        case 'moments': {
          const x = measureOf(slot.measure!, e);
          if (x === undefined) break;
          const b = this.bucket(state, slot, makers, e.timeMs) as number[];
          vectorAdd(b, 0, 1);
          vectorAdd(b, 1, x);
          break;
        }
        case 'max':
        case 'min': {
          const x = measureOf(slot.measure!, e);
          if (x === undefined) break;
          const series = this.series(state, i);
          const at = bucketIndex(series, bucketOf(e.timeMs, slot.hopMs), makers[i]!);
          const v = series.v[at] as number;
          if (slot.primitive === 'max' ? x > v : x < v) series.v[at] = x;
          break;
        }
        case 'variance': {
          const x = measureOf(slot.measure!, e);
          if (x === undefined) break;
          varianceUpdate(this.bucket(state, slot, makers, e.timeMs) as number[], x);
          break;
        }
        case 'top2': {
          const x = measureOf(slot.measure!, e);
          if (x === undefined) break;
          top2Update(this.bucket(state, slot, makers, e.timeMs) as number[], x);
          break;
        }
        case 'set': {
          const keys = keysOf(slot.key!, e);
          if (keys.length === 0) break;
          const b = this.bucket(state, slot, makers, e.timeMs) as string[];
          for (const key of keys) setAdd(b, key);
          break;
        }
        case 'latest': {
          const keys = keysOf(slot.key!, e);
          if (keys.length === 0) break;
          const b = this.bucket(state, slot, makers, e.timeMs) as LatestEntry[];
          for (const key of keys) latestUpdate(b, key, e.timeMs, slot.n);
          break;
        }
        case 'weights': {
          const w = slot.weights![t]!;
          const keys = keysOf(slot.key!, e);
          if (w === 0 || keys.length === 0) break;
          const b = this.bucket(state, slot, makers, e.timeMs) as Record<string, number>;
          for (const key of keys) weightsAdd(b, key, w);
          break;
        }
      }
    }
    // Buckets expire only as the latest time moves (a late event's old bucket waits for the next move).
    if (advanced) this.gc(plan, state, state.latest);
  }

  /**
   * Drops buckets no read can need: reads happen at T ≥ the entity's latest event time, so a
   * bucket k ≤ k(latest) − keep is outside every window from now on. Shared entities keep the
   * allowed lateness in addition (other partitions may still read at slightly older times).
   */
  gc(plan: EntityPlan, state: EntityState, latest: number): void {
    if (!Number.isFinite(latest)) return;
    const horizon = plan.shared ? latest - this.allowedLatenessMs : latest;
    for (const slot of plan.slots) {
      const series = state.series[slot.index];
      if (!series || series.k.length === 0) continue;
      const threshold = bucketOf(horizon, slot.hopMs) - slot.keep;
      if (series.k[0]! <= threshold) dropThrough(series, threshold);
    }
  }

  /** The increments an event makes to item and category state (commutative, any order). */
  sharedDeltas(e: FeatureEvent, sink: SharedDeltaSink): void {
    const items = this.plans.item.slots.length > 0 ? itemKeysOf(e) : NO_KEYS;
    for (const key of items) this.deltasFor('item', key, e, sink);
    if (e.categoryId !== '' && this.plans.category.slots.length > 0) this.deltasFor('category', e.categoryId, e, sink);
  }

  private deltasFor(entity: 'item' | 'category', key: string, e: FeatureEvent, sink: SharedDeltaSink): void {
    sink.touch(entity, key, e.timeMs);
    const t = e.type;
    for (const slot of this.plans[entity].slots) {
      if (!slot.mask[t]) continue;
      const k = bucketOf(e.timeMs, slot.hopMs);
      if (slot.primitive === 'types') {
        sink.add(entity, key, slot.index, k, t, 1);
      } else {
        const x = measureOf(slot.measure!, e);
        if (x === undefined) continue;
        sink.add(entity, key, slot.index, k, 0, 1);
        sink.add(entity, key, slot.index, k, 1, x);
      }
    }
  }

  /** Applies one shared increment to an in-memory state. */
  addShared(entity: 'item' | 'category', state: EntityState, slot: number, bucket: number, index: number, delta: number): void {
    const series = this.series(state, slot);
    const at = bucketIndex(series, bucket, this.makers[entity][slot]!);
    vectorAdd(series.v[at] as number[], index, delta);
  }

  /**
   * Rebuilds an item or category state from its Redis hash: fields `<slot>:<bucket>:<index>` hold
   * the summed increments, `_t` the latest event time, `_w` when it was last written.
   */
  decodeShared(entity: 'item' | 'category', fields: Readonly<Record<string, string>>): EntityState {
    const state = emptyState();
    const plan = this.plans[entity];
    for (const field in fields) {
      const raw = fields[field]!;
      if (field.charCodeAt(0) === 95 /* _ */) {
        if (field === '_t') state.latest = Number(raw);
        else if (field === '_w') state.writtenAtMs = Number(raw);
        continue;
      }
      const a = field.indexOf(':');
      const b = field.indexOf(':', a + 1);
      const slot = Number(field.slice(0, a));
      if (a < 0 || b < 0 || plan.slots[slot] === undefined) continue;
      this.addShared(entity, state, slot, Number(field.slice(a + 1, b)), Number(field.slice(b + 1)), Number(raw));
    }
    return state;
  }

  /** Every feature of an entity at reference time `refMs` (an absent state reads as empty). */
  evaluate(entity: Entity, state: EntityState | undefined, refMs: number): FeatureValue[] {
    const s = state ?? EMPTY;
    return this.plans[entity].features.map((f) => f.evaluate(s, refMs));
  }

  /** Named values of an entity at `refMs`. */
  evaluateRecord(entity: Entity, state: EntityState | undefined, refMs: number): Record<string, FeatureValue> {
    const s = state ?? EMPTY;
    const out: Record<string, FeatureValue> = {};
    for (const f of this.plans[entity].features) out[f.definition.name] = f.evaluate(s, refMs);
    return out;
  }

  private series(state: EntityState, slot: number): Series {
    let series = state.series[slot];
    if (!series) state.series[slot] = series = { k: [], v: [] };
    return series;
  }

  private bucket(state: EntityState, slot: SlotSpec, makers: (() => Bucket)[], timeMs: number): Bucket {
    const series = this.series(state, slot.index);
    return series.v[bucketIndex(series, bucketOf(timeMs, slot.hopMs), makers[slot.index]!)]!;
  }
}

const EMPTY: EntityState = emptyState();
