import { createHash } from 'node:crypto';
import { EventType } from '@clickwise/contracts';
import type { SentimentScorer } from '@clickwise/text';
import { aggregatorOf } from './aggregations/index.js';
import type { FeaturePlan, FeatureValue, SlotOptions } from './aggregator.js';
import { ALLOWED_LATENESS_MS, ENGINE_REVISION, ENTITIES, featureDefinitions, isSharedEntity, type Entity, type FeatureDefinition } from './definitions.js';
import { EVENT_TYPE_COUNT, itemKeysOf, type FeatureEvent } from './event.js';
import { NO_KEYS, SENTIMENT_MEASURES, type Measure, type TypeWeights } from './inputs.js';
import { partialKinds, vectorAdd, type Primitive, type SlotSpec } from './partials.js';
import { SlotWindow, type WeightsMemo } from './slot-window.js';
import { bucketIndex, dropThrough, emptyState, type EntityState, type Series } from './state.js';
import { bucketOf, bucketsOf, type Window } from './windows.js';

export type { FeatureValue } from './aggregator.js';
export type { SentimentScorer } from '@clickwise/text';
export { keysOf, measureOf } from './inputs.js';
export type { SlotSpec } from './partials.js';

/**
 * Whether two feature values agree: numbers to `relative` (1e-9 by default; the same margin
 * absolutely near 0), lists exactly.
 */
export function sameFeatureValue(a: FeatureValue, b: FeatureValue, relative = 1e-9): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= relative * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
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
  /**
   * The sentiment model review texts are scored with (ADR 0058). Without one, every feature that
   * reads a sentiment measure is absent (null) and keeps no state. Its version is part of the
   * definitions version: a new model is a new state namespace, rebuilt from Kafka, so one
   * aggregate never mixes two models' scores.
   */
  sentiment?: SentimentScorer;
}

/** Whether a definition reads the sentiment model's output. */
export function readsSentiment(definition: FeatureDefinition): boolean {
  const measure = (definition.aggregation as { measure?: Measure }).measure;
  return measure !== undefined && SENTIMENT_MEASURES.includes(measure);
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
// Compilation: each definition through its kind (aggregations/), slots shared by signature.

class PlanBuilder {
  readonly slots: SlotSpec[] = [];
  readonly features: CompiledFeature[] = [];
  /** One weights memo per slot (see SlotWindow.weights). */
  private readonly memos: WeightsMemo[] = [];

  constructor(
    readonly entity: Entity,
    readonly shared: boolean,
    /** Whether the engine has a sentiment model (else features reading it are absent). */
    readonly sentiment: boolean,
  ) {}

  slot(primitive: Primitive, window: Window, types: readonly EventType[] | 'all', options: SlotOptions = {}): SlotSpec {
    const partial = partialKinds[primitive];
    if (this.shared && partial.increments === undefined) {
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
      return existing;
    }
    const spec: SlotSpec = {
      index: this.slots.length,
      primitive,
      partial,
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
    this.memos.push({ last: undefined });
    return spec;
  }

  add(definition: FeatureDefinition): void {
    const { aggregation, window, filter } = definition;
    if (!this.sentiment && readsSentiment(definition)) {
      // Absent until a sentiment model exists: no slots, no state, null.
      this.features.push({ definition, index: this.features.length, kind: aggregatorOf(aggregation).value, slots: [], evaluate: () => null });
      return;
    }
    const buckets = bucketsOf(window);
    const slots: number[] = [];
    const plan: FeaturePlan = {
      window,
      types: filter.types,
      slot: (primitive, feeding, options) => {
        const spec = this.slot(primitive, window, feeding, options);
        slots.push(spec.index);
        return new SlotWindow(spec, buckets, this.memos[spec.index]!);
      },
    };
    const kind = aggregatorOf(aggregation);
    const evaluate = kind.compile(aggregation, plan);
    this.features.push({ definition, index: this.features.length, kind: kind.value, slots, evaluate });
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

function hashDefinitions(definitions: readonly FeatureDefinition[], latenessMs: number, sentimentModel: string | null): string {
  const canonical = JSON.stringify({ engine: ENGINE_REVISION, latenessMs, sentimentModel, definitions });
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
  /** The sentiment model review texts are scored with, if any. */
  readonly sentiment: SentimentScorer | undefined;
  /** Version of the sentiment model in use (null: none, sentiment features absent). */
  readonly sentimentModelVersion: string | null;
  /** What an absent state reads as (never written). */
  private readonly empty: EntityState = emptyState();

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
    this.sentiment = options.sentiment;
    this.sentimentModelVersion = options.sentiment?.version ?? null;
    this.version = hashDefinitions(definitions, this.allowedLatenessMs, this.sentimentModelVersion);
    const plans = {} as Record<Entity, EntityPlan>;
    for (const entity of ENTITIES) {
      const builder = new PlanBuilder(entity, isSharedEntity(entity), this.sentiment !== undefined);
      for (const d of definitions) if (d.entity === entity) builder.add(d);
      plans[entity] = builder.build();
    }
    this.plans = plans;
  }

  /**
   * Readies an event for the definitions: scores a review's text with the sentiment model
   * (`reviewSentiment`; undefined without a model or a text). Both executors call it once per
   * event before applying it; returns the event.
   */
  prepare(e: FeatureEvent): FeatureEvent {
    e.reviewSentiment = this.sentiment !== undefined && e.type === EventType.REVIEW && e.reviewText ? this.sentiment.score(e.reviewText) : undefined;
    return e;
  }

  /** Folds an event into a single-writer (shopper or session) state, then drops expired buckets. */
  apply(entity: 'shopper' | 'session', state: EntityState, e: FeatureEvent): void {
    const plan = this.plans[entity];
    state.events++;
    const advanced = e.timeMs > state.latest;
    if (advanced) state.latest = e.timeMs;
    for (const slot of plan.slotsByType[e.type]!) {
      const partial = slot.partial;
      const x = partial.prepare(e, slot);
      if (x === undefined) continue;
      const series = this.series(state, slot.index);
      const at = bucketIndex(series, bucketOf(e.timeMs, slot.hopMs), partial.empty);
      series.v[at] = partial.update(series.v[at]!, x, slot, e);
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
    let slotIndex = 0;
    let bucket = 0;
    const add = (index: number, delta: number): void => sink.add(entity, key, slotIndex, bucket, index, delta);
    for (const slot of this.plans[entity].slotsByType[e.type]!) {
      const x = slot.partial.prepare(e, slot);
      if (x === undefined) continue;
      slotIndex = slot.index;
      bucket = bucketOf(e.timeMs, slot.hopMs);
      slot.partial.increments!(x, add);
    }
  }

  /** Applies one shared increment to an in-memory state. */
  addShared(entity: 'item' | 'category', state: EntityState, slot: number, bucket: number, index: number, delta: number): void {
    const series = this.series(state, slot);
    const at = bucketIndex(series, bucket, this.plans[entity].slots[slot]!.partial.empty);
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
    const s = state ?? this.empty;
    return this.plans[entity].features.map((f) => f.evaluate(s, refMs));
  }

  /** Named values of an entity at `refMs`. */
  evaluateRecord(entity: Entity, state: EntityState | undefined, refMs: number): Record<string, FeatureValue> {
    const s = state ?? this.empty;
    const out: Record<string, FeatureValue> = {};
    for (const f of this.plans[entity].features) out[f.definition.name] = f.evaluate(s, refMs);
    return out;
  }

  private series(state: EntityState, slot: number): Series {
    let series = state.series[slot];
    if (!series) state.series[slot] = series = { k: [], v: [] };
    return series;
  }
}
