import type { RecsEvent, RecsEventKind } from './types.js';

/**
 * The live index behind one interface (ADR 0090). A store keeps, per event time:
 * - sessions: each session's newest events (item, time, kind) and its shopper;
 * - posting lists: per item, the most recent sessions that saw it (scored by event time);
 * - co-visitation: per item, the items seen after / before it in a session (forward-decayed weights);
 * - popularity: global and per category (forward-decayed, short half-life: "popular now");
 * - shoppers: their sessions (for erasure), latest session and purchased items;
 * - the category events gave each item.
 * All the arithmetic (decay factors, pair weights) is done once, in JS, by `planBatch`; a store only
 * adds and trims, so the in-memory store and the Redis store hold the same numbers for the same events.
 * Reads return everything one request needs in one round trip (an `IndexSlice`); the ranking over
 * it is the same code whatever the store.
 */
export interface RecsStore {
  /** The forward-decay landmark (ms): fixed once, at the first batch (`proposedMs`), then read back. */
  landmark(proposedMs: number): Promise<number>;
  /**
   * Applies one batch of planned updates (one round trip; atomic in Redis). With a `source`, each
   * source position is applied once: events at positions below what the store has applied
   * through for that stream and partition are skipped, and the mark moves to `source.next`.
   */
  apply(batch: PlannedBatch): Promise<AppliedBatch>;
  /** Everything one request needs (one round trip). */
  read(query: IndexQuery): Promise<IndexSlice>;
  /** Removes a shopper's sessions, their posting entries, latest session and purchases. */
  erase(shopperKey: string): Promise<ErasureResult>;
  /** Number of sessions, items with posting lists and co-visitation rows (for status pages and tests). */
  stats(): Promise<IndexStats>;
}

export interface ErasureResult {
  readonly sessions: number;
}

export interface IndexStats {
  readonly sessions: number;
  readonly items: number;
  readonly covisRows: number;
}

/** Event kinds as stored (one character). */
export const KIND_CODE: Readonly<Record<RecsEventKind, string>> = { view: 'v', cart: 'c', purchase: 'p' };
export const KIND_OF_CODE: Readonly<Record<string, RecsEventKind>> = { v: 'view', c: 'cart', p: 'purchase' };

/** One event, planned: what each index gets, with the decay factors computed (forward decay, ADR 0090). */
export interface PlannedEvent {
  readonly event: RecsEvent;
  /** Forward-decay factor of co-visitation for this event: 2^((t − landmark)/half-life). */
  readonly covisFactor: number;
  /** Popularity increment: kind weight × 2^((t − landmark)/half-life). */
  readonly popularIncrement: number;
}

/**
 * Where a batch's events were read from (a topic partition), so that a re-read after a consumer
 * group's rebalance is not counted twice (ADR 0048): the store keeps, per stream and partition,
 * the position it has applied through, in the same atomic write as the events.
 */
export interface BatchSource {
  /** The stream (topic) and partition. */
  readonly stream: string;
  readonly partition: number;
  /** Each event's position (its record's offset; several events may share one), ascending. */
  readonly positions: readonly number[];
  /** The position after the batch's last record. */
  readonly next: number;
}

/** What `apply` did: the events it applied, and the position it had applied through before (0: none, or no source). */
export interface AppliedBatch {
  readonly applied: number;
  readonly from: number;
}

export interface PlannedBatch {
  readonly events: readonly PlannedEvent[];
  readonly source?: BatchSource;
  /** Index parameters the store applies (caps, window, backward weight). */
  readonly sessionEvents: number;
  readonly postingSessions: number;
  readonly covisItems: number;
  readonly covisWindow: number;
  readonly covisBackward: number;
}

export interface IndexQuery {
  readonly shopperKey?: string;
  readonly sessionId?: string;
  /** Items to append to the stored session (oldest first). */
  readonly recentItems?: readonly string[];
  /** Distinct newest items of (stored session ++ recentItems) to expand. */
  readonly expandItems: number;
  /** Sessions read from each expanded item's posting list. */
  readonly postingLimit: number;
  /** Candidate sessions kept: the most recent of the union (ties: smaller session id first). */
  readonly sampleSize: number;
  readonly covisLimit: number;
  readonly popularLimit: number;
  /** Categories whose popular items to read, besides those of the expanded items. */
  readonly categories: readonly string[];
  /** Also return the index's category of every returned item. */
  readonly withCategories: boolean;
}

export interface StoredEvent {
  readonly itemId: string;
  readonly timeMs: number;
  readonly kind: RecsEventKind;
}

export interface WeightedItem {
  readonly itemId: string;
  readonly weight: number;
  /** The item's number (intern.ts), in item rows (co-visitation, popular) of a slice. */
  readonly number?: number;
}

export interface NeighbourSession {
  readonly sessionId: string;
  /** The newest event time of the session among the expanded items' postings. */
  readonly timeMs: number;
  /** Its items, oldest first. */
  readonly items: readonly string[];
  /** The same items' numbers (intern.ts), when the store keeps them; ranking numbers them otherwise. */
  readonly numbers?: ArrayLike<number>;
}

export interface IndexSlice {
  /** The session the request is about (given, or the shopper's latest), when the index has it. */
  readonly sessionId?: string;
  readonly session: readonly StoredEvent[];
  /** The items expanded, newest first. */
  readonly expanded: readonly string[];
  /** Items the shopper (and the session) purchased. */
  readonly bought: readonly string[];
  /** Candidate neighbour sessions, most recent first (the current session excluded). */
  readonly neighbours: readonly NeighbourSession[];
  /** Co-visitation rows of the expanded items (heaviest first), parallel to `expanded`. */
  readonly covisited: readonly (readonly WeightedItem[])[];
  /** Globally popular items, heaviest first. */
  readonly popular: readonly WeightedItem[];
  /** Popular items per category read (the expanded items' categories and the query's). */
  readonly popularByCategory: ReadonlyMap<string, readonly WeightedItem[]>;
  /** The index's category of items (always for the expanded ones; for all returned items when asked). */
  readonly categoryOf: ReadonlyMap<string, string>;
  /** The newest event time the index has seen (ms), 0 when empty. */
  readonly newestMs: number;
}
