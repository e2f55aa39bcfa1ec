import { StreamClock } from './clock.js';
import type { Entity } from './definitions.js';
import { FeatureEngine, type FeatureValue, type SharedDeltaSink } from './engine.js';
import { ErasureList } from './erasure.js';
import type { FeatureEvent } from './event.js';
import { emptyState, type EntityState } from './state.js';

/** The features serving sees when it scores an event: every entity's vector right after it. */
export interface FeatureVector {
  eventId: string;
  shopperKey: string;
  sessionId: string;
  itemId: string;
  categoryId: string;
  /** Reference time: the shopper's latest event time (ms). */
  refMs: number;
  /** Snapshot version of the shopper (events applied to it). */
  snapshotVersion: number;
  shopper: FeatureValue[];
  session: FeatureValue[];
  item: FeatureValue[];
  category: FeatureValue[];
}

export type ApplyStatus =
  /** Applied to every entity. */
  | 'applied'
  /** Older than the partition clock minus the allowed lateness: not applied, DLQ. */
  | 'too_late'
  /** The shopper is erased: item/category applied, shopper/session not. */
  | 'erased';

export interface ApplyResult {
  status: ApplyStatus;
  /** Why, for too_late. */
  reason?: string;
  vector?: FeatureVector;
}

/** Key of a session entity: sessions are scoped by shopper (one writer per session). */
export function sessionEntityKey(shopperKey: string, sessionId: string): string {
  return `${shopperKey}\u0000${sessionId}`;
}

/**
 * The offline executor: applies the feature definitions to an event log in memory. For each event
 * it can return the feature vector right after the event was applied (what serving saw when it
 * scored that click), and at the end every entity's state for comparison with Redis.
 *
 * Give events with the Kafka partition they came from: lateness is judged per partition, as the
 * streaming executor does. A file export with no partitions is one partition (0).
 */
export class OfflineExecutor implements SharedDeltaSink {
  readonly shoppers = new Map<string, EntityState>();
  readonly sessions = new Map<string, EntityState>();
  readonly items = new Map<string, EntityState>();
  readonly categories = new Map<string, EntityState>();
  private readonly clocks = new Map<number, StreamClock>();
  private readonly touchedItems = new Set<EntityState>();
  private readonly touchedCategories = new Set<EntityState>();
  readonly erasures: ErasureList;
  counts = { applied: 0, tooLate: 0, erased: 0 };

  constructor(
    readonly engine: FeatureEngine = new FeatureEngine(),
    options: { erasures?: ErasureList } = {},
  ) {
    this.erasures = options.erasures ?? new ErasureList();
  }

  /** The stream clock of a partition. */
  clock(partition: number): StreamClock {
    let clock = this.clocks.get(partition);
    if (!clock) this.clocks.set(partition, (clock = new StreamClock(this.engine.allowedLatenessMs)));
    return clock;
  }

  apply(e: FeatureEvent, partition = 0, options: { vector?: boolean } = {}): ApplyResult {
    const clock = this.clock(partition);
    if (!clock.admit(e.timeMs)) {
      this.counts.tooLate++;
      return { status: 'too_late', reason: clock.lateReason(e.timeMs) };
    }
    this.engine.prepare(e);
    this.engine.sharedDeltas(e, this);
    for (const state of this.touchedItems) this.engine.gc(this.engine.plans.item, state, state.latest);
    for (const state of this.touchedCategories) this.engine.gc(this.engine.plans.category, state, state.latest);
    this.touchedItems.clear();
    this.touchedCategories.clear();
    if (this.erasures.covers(e.shopperKey, e.timeMs)) {
      this.counts.erased++;
      return { status: 'erased' };
    }
    const shopper = getOrCreate(this.shoppers, e.shopperKey);
    this.engine.apply('shopper', shopper, e);
    let session: EntityState | undefined;
    if (e.sessionId !== '') {
      session = getOrCreate(this.sessions, sessionEntityKey(e.shopperKey, e.sessionId));
      this.engine.apply('session', session, e);
    }
    this.counts.applied++;
    if (options.vector !== true) return { status: 'applied' };
    return { status: 'applied', vector: this.vector(e, shopper, session) };
  }

  /** Forgets a shopper (see ErasureList): deletes its shopper and session state now. */
  erase(shopperKey: string, requestedAtMs: number): void {
    this.erasures.add(shopperKey, requestedAtMs);
    this.shoppers.delete(shopperKey);
    const prefix = sessionEntityKey(shopperKey, '');
    for (const key of [...this.sessions.keys()]) if (key.startsWith(prefix)) this.sessions.delete(key);
  }

  /** Named feature values of one entity at `refMs`. */
  values(entity: Entity, key: string, refMs: number): Record<string, FeatureValue> {
    return this.engine.evaluateRecord(entity, this.mapOf(entity).get(key), refMs);
  }

  mapOf(entity: Entity): Map<string, EntityState> {
    switch (entity) {
      case 'shopper':
        return this.shoppers;
      case 'session':
        return this.sessions;
      case 'item':
        return this.items;
      case 'category':
        return this.categories;
    }
  }

  /** Highest event time admitted on any partition. */
  get streamTimeMs(): number {
    let max = -Infinity;
    for (const c of this.clocks.values()) max = Math.max(max, c.clockMs);
    return max;
  }

  // SharedDeltaSink: item and category increments go straight into memory.
  add(entity: 'item' | 'category', key: string, slot: number, bucket: number, index: number, delta: number): void {
    this.engine.addShared(entity, getOrCreate(entity === 'item' ? this.items : this.categories, key), slot, bucket, index, delta);
  }

  touch(entity: 'item' | 'category', key: string, timeMs: number): void {
    const state = getOrCreate(entity === 'item' ? this.items : this.categories, key);
    state.events++;
    if (timeMs > state.latest) state.latest = timeMs;
    (entity === 'item' ? this.touchedItems : this.touchedCategories).add(state);
  }

  private vector(e: FeatureEvent, shopper: EntityState, session: EntityState | undefined): FeatureVector {
    const refMs = shopper.latest;
    return {
      eventId: e.eventId,
      shopperKey: e.shopperKey,
      sessionId: e.sessionId,
      itemId: e.itemId,
      categoryId: e.categoryId,
      refMs,
      snapshotVersion: shopper.events,
      shopper: this.engine.evaluate('shopper', shopper, refMs),
      session: this.engine.evaluate('session', session, refMs),
      item: this.engine.evaluate('item', e.itemId === '' ? undefined : this.items.get(e.itemId), refMs),
      category: this.engine.evaluate('category', e.categoryId === '' ? undefined : this.categories.get(e.categoryId), refMs),
    };
  }
}

function getOrCreate(map: Map<string, EntityState>, key: string): EntityState {
  let state = map.get(key);
  if (!state) map.set(key, (state = emptyState()));
  return state;
}
