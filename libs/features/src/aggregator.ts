import type { EventType } from '@clickwise/contracts';
import type { FeatureEvent } from './event.js';
import type { KeyOf, Measure, TypeWeights } from './inputs.js';
import type { Bucket, Primitive } from './partials.js';
import type { SlotWindow } from './slot-window.js';
import type { EntityState } from './state.js';
import type { Window } from './windows.js';

/**
 * A feature's value: a number, a list of strings, or null when the feature is absent (it reads a
 * model's output and the engine has no such model, or its kind says absent without data).
 */
export type FeatureValue = number | readonly string[] | null;

/** A feature's value at reference time `refMs` from an entity's state. */
export type Finalizer = (state: EntityState, refMs: number) => FeatureValue;

/** What a slot aggregates besides the primitive: the input it reads and its parameters. */
export interface SlotOptions {
  measure?: Measure;
  key?: KeyOf;
  /** latest: entries per bucket. */
  n?: number;
  weights?: TypeWeights;
}

/** What a kind sees while one feature is compiled. */
export interface FeaturePlan {
  readonly window: Window;
  /** The feature's type filter. */
  readonly types: readonly EventType[];
  /**
   * The feature reads a series of `primitive` partials fed by events of `feeding` ('all': every
   * type) with `options`. Features asking for the same slot share it (one series in the state).
   * Returns the feature's window over it; `B` is the primitive's partial type (the caller's word).
   */
  slot<B extends Bucket = Bucket>(primitive: Primitive, feeding: readonly EventType[] | 'all', options?: SlotOptions): SlotWindow<B>;
}

/** What the naive reference is given besides the events. */
export interface NaiveContext {
  readonly refMs: number;
  readonly window: Window;
}

/**
 * One aggregation kind, in one file (aggregations/<kind>.ts) registered in aggregations/index.ts:
 * - `compile` declares the partial series (slots) the feature reads: the primitive says how an
 *   event is prepared and folded (update) into a bucket and how buckets merge (partials.ts); it
 *   returns the finalizer, which merges the window's buckets and turns them into the value;
 * - `naive` is its reference: the value computed straight from the raw events, with no state, no
 *   buckets and no merging (as Chronon's NaiveAggregator checks its SawtoothAggregator).
 * aggregations/aggregations.spec.ts checks every registered kind against its reference on random
 * streams, for each of its `examples`.
 */
export interface Aggregator<A extends { readonly kind: string }> {
  readonly kind: A['kind'];
  /** Whether the value is a number or a list of strings. */
  readonly value: 'number' | 'list';
  /** Parameters the kind is checked with (every one runs in the randomized test). */
  readonly examples: readonly [A, ...A[]];
  compile(a: A, plan: FeaturePlan): Finalizer;
  /** The value from the events of the entity that pass the filter and lie inside the window at refMs. */
  naive(a: A, inside: readonly FeatureEvent[], at: NaiveContext): FeatureValue;
}
