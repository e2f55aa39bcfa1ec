import { decodeState, type Entity, type EntityState, type FeatureEngine, type FeatureValue } from '@clickwise/features';
import type { FeatureKeys, RedisClient } from '@clickwise/redis';

export interface FeatureRequest {
  shopperKey: string;
  /** The session to include (the one of the event being scored). */
  sessionId?: string;
  /** Item and category to include (the event's). */
  itemId?: string;
  categoryId?: string;
  /**
   * Reference time (ms); default and minimum: the latest event time of the shopper and session
   * (shopper and session state cannot be read before their latest event); for a shopper with no
   * state, the latest event time of the item or category; else the wall clock.
   */
  atMs?: number;
}

export interface ReadFeature {
  name: string;
  entity: Entity;
  value: FeatureValue;
  /** Wall-clock ms since the entity's state was written; null when the entity has no state. */
  ageMs: number | null;
}

export interface FeatureSnapshot {
  definitionsVersion: string;
  /** The reference time the values are for (ms); null when nothing is stored for the shopper. */
  refMs: number | null;
  /** The shopper's snapshot version (events applied); 0 when none. */
  snapshotVersion: number;
  /** Which entities had state. */
  found: Record<Entity, boolean>;
  features: ReadFeature[];
}

/**
 * Reads feature vectors from Redis for prediction and recommendation: one round trip (GET of the
 * shopper, MGET of shopper and session; with an item or category a MULTI/EXEC of GET shopper, GET
 * session, HGETALL item, HGETALL category; each way the values come from the same moment; many
 * requests in one MULTI/EXEC with readMany), then the same finalizers as the executors, at the
 * shopper's latest event time.
 */
export class FeatureReader {
  constructor(
    private readonly redis: RedisClient,
    readonly engine: FeatureEngine,
    private readonly keys: FeatureKeys,
    private readonly now: () => number = Date.now,
  ) {
    if (keys.definitionsVersion !== engine.version) {
      throw new Error(`keys are for definitions ${keys.definitionsVersion}, the engine is ${engine.version}`);
    }
  }

  async read(request: FeatureRequest): Promise<FeatureSnapshot> {
    if (!request.itemId && !request.categoryId) {
      // Strings only: one GET or MGET, atomic by itself, and auto-pipelined with the other calls'
      // reads into one write (a MULTI/EXEC is written on its own, three commands for one key).
      if (!request.sessionId) return this.snapshot(request, { shopper: await this.redis.get(this.keys.shopper(request.shopperKey)), session: null, item: {}, category: {} });
      const [shopper = null, session = null] = await this.redis.mget(this.keys.shopper(request.shopperKey), this.keys.session(request.shopperKey, request.sessionId));
      return this.snapshot(request, { shopper, session, item: {}, category: {} });
    }
    const [snapshot] = await this.readMany([request]);
    return snapshot!;
  }

  /**
   * Many requests in one round trip: one MULTI/EXEC of every request's keys (all read at the same
   * moment), in request order. The per-click scorer reads a whole fetched batch this way.
   */
  async readMany(requests: readonly FeatureRequest[]): Promise<FeatureSnapshot[]> {
    if (requests.length === 0) return [];
    const tx = this.redis.multi();
    for (const request of requests) {
      tx.get(this.keys.shopper(request.shopperKey));
      if (request.sessionId) tx.get(this.keys.session(request.shopperKey, request.sessionId));
      if (request.itemId) tx.hgetall(this.keys.item(request.itemId));
      if (request.categoryId) tx.hgetall(this.keys.category(request.categoryId));
    }
    const replies = await tx.exec();
    if (!replies) throw new Error('feature read transaction was aborted');
    let next = 0;
    const take = <T>(): T => {
      const [error, result] = replies[next++]!;
      if (error) throw error;
      return result as T;
    };
    return requests.map((request) =>
      this.snapshot(request, {
        shopper: take<string | null>(),
        session: request.sessionId ? take<string | null>() : null,
        item: request.itemId ? take<Record<string, string>>() : {},
        category: request.categoryId ? take<Record<string, string>>() : {},
      }),
    );
  }

  /** The feature vector of what Redis returned for a request. */
  private snapshot(request: FeatureRequest, raw: { shopper: string | null; session: string | null; item: Record<string, string>; category: Record<string, string> }): FeatureSnapshot {
    const shopper = raw.shopper === null ? undefined : decodeState(raw.shopper);
    const session = raw.session === null ? undefined : decodeState(raw.session);
    const item = Object.keys(raw.item).length > 0 ? this.engine.decodeShared('item', raw.item) : undefined;
    const category = Object.keys(raw.category).length > 0 ? this.engine.decodeShared('category', raw.category) : undefined;
    let refMs = Math.max(request.atMs ?? -Infinity, shopper?.latest ?? -Infinity, session?.latest ?? -Infinity);
    // A shopper with no state yet: the item's or category's latest event stands in for "now".
    if (!Number.isFinite(refMs)) refMs = Math.max(item?.latest ?? -Infinity, category?.latest ?? -Infinity);
    const now = this.now();
    const features: ReadFeature[] = [];
    const states: Record<Entity, EntityState | undefined> = { shopper, session, item, category };
    for (const entity of ['shopper', 'session', 'item', 'category'] as const) {
      const state = states[entity];
      const age = state?.writtenAtMs === undefined ? null : Math.max(0, now - state.writtenAtMs);
      const ref = Number.isFinite(refMs) ? refMs : now;
      for (const f of this.engine.plans[entity].features) {
        features.push({ name: f.definition.name, entity, value: f.evaluate(state ?? EMPTY, ref), ageMs: age });
      }
    }
    return {
      definitionsVersion: this.engine.version,
      refMs: Number.isFinite(refMs) ? refMs : null,
      snapshotVersion: shopper?.events ?? 0,
      found: { shopper: shopper !== undefined, session: session !== undefined, item: item !== undefined, category: category !== undefined },
      features,
    };
  }

  /** One entity's raw state (for parity checks and tools). */
  async state(entity: Entity, key: string, sessionId?: string): Promise<EntityState | undefined> {
    switch (entity) {
      case 'shopper': {
        const text = await this.redis.get(this.keys.shopper(key));
        return text === null ? undefined : decodeState(text);
      }
      case 'session': {
        const text = await this.redis.get(this.keys.session(key, sessionId ?? ''));
        return text === null ? undefined : decodeState(text);
      }
      case 'item':
      case 'category': {
        const fields = await this.redis.hgetall(entity === 'item' ? this.keys.item(key) : this.keys.category(key));
        return Object.keys(fields).length === 0 ? undefined : this.engine.decodeShared(entity, fields);
      }
    }
  }
}

const EMPTY: EntityState = { latest: -Infinity, events: 0, series: [] };
