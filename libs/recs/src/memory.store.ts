import {
  type AppliedBatch,
  type ErasureResult,
  type IndexQuery,
  type IndexSlice,
  type IndexStats,
  type NeighbourSession,
  type PlannedBatch,
  type RecsStore,
  type StoredEvent,
  type WeightedItem,
} from './store.js';
import { itemNumber } from './intern.js';

/** Redis's sorted-set order: by score, then by member (byte order). */
function zcompare(aMember: string, aScore: number, bMember: string, bScore: number): number {
  if (aScore !== bScore) return aScore < bScore ? -1 : 1;
  return aMember < bMember ? -1 : aMember > bMember ? 1 : 0;
}

/**
 * A sorted set with Redis's semantics (ZINCRBY, ZADD GT, ZREMRANGEBYRANK, ZREVRANGE), sorted
 * lazily: writes mark it dirty, the next ranked read sorts once (a training load writes everything
 * before the first read).
 */
class ZSet {
  readonly scores = new Map<string, number>();
  private sorted: string[] = [];
  private dirty = false;

  get size(): number {
    return this.scores.size;
  }

  incr(member: string, by: number): void {
    this.scores.set(member, (this.scores.get(member) ?? 0) + by);
    this.dirty = true;
  }

  addGt(member: string, score: number): void {
    const have = this.scores.get(member);
    if (have === undefined || score > have) {
      this.scores.set(member, score);
      this.dirty = true;
    }
  }

  remove(member: string): void {
    if (this.scores.delete(member)) this.dirty = true;
  }

  private order(): string[] {
    if (this.dirty) {
      const s = this.scores;
      this.sorted = [...s.keys()].sort((a, b) => zcompare(a, s.get(a)!, b, s.get(b)!));
      this.dirty = false;
    }
    return this.sorted;
  }

  /** ZREMRANGEBYRANK 0 (size − keep − 1): keeps the `keep` highest. */
  trimTo(keep: number): void {
    if (this.scores.size <= keep) return;
    const order = this.order();
    const drop = order.length - keep;
    for (let i = 0; i < drop; i++) this.scores.delete(order[i]!);
    this.sorted = order.slice(drop);
  }

  /** ZREVRANGE 0 limit−1 WITHSCORES. */
  top(limit: number): WeightedItem[] {
    const order = this.order();
    const out: WeightedItem[] = [];
    for (let i = order.length - 1; i >= 0 && out.length < limit; i--) out.push({ itemId: order[i]!, weight: this.scores.get(order[i]!)! });
    return out;
  }

  /** `top` of an item row, each item with its number (as the Redis store's cached rows). */
  topItems(limit: number): WeightedItem[] {
    const order = this.order();
    const out: WeightedItem[] = [];
    for (let i = order.length - 1; i >= 0 && out.length < limit; i--) out.push({ itemId: order[i]!, weight: this.scores.get(order[i]!)!, number: itemNumber(order[i]!) });
    return out;
  }
}

interface SessionRecord {
  shopperKey: string;
  events: StoredEvent[];
  /** Items only, oldest first (what a neighbour read returns). */
  items: string[];
  /** Their numbers (intern.ts), for ranking. */
  numbers: number[];
}

interface ShopperRecord {
  sessions: Set<string>;
  latest?: { sessionId: string; timeMs: number };
  bought: Set<string>;
}

/**
 * The live index in memory, for the offline evaluation and for the test that compares it with the
 * Redis store (same events → same slices → same recommendations). Mirrors redis.store.ts's Lua
 * scripts step for step; a change to one is a change to both (ADR 0090).
 */
export class MemoryRecsStore implements RecsStore {
  private landmarkMs: number | undefined;
  private newestMs = 0;
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly postings = new Map<string, ZSet>();
  private readonly covis = new Map<string, ZSet>();
  private readonly popular = new ZSet();
  private readonly popularByCategory = new Map<string, ZSet>();
  private readonly itemCategory = new Map<string, string>();
  private readonly shoppers = new Map<string, ShopperRecord>();
  /** Per stream and partition, the source position applied through (BatchSource). */
  private readonly appliedThrough = new Map<string, number>();

  landmark(proposedMs: number): Promise<number> {
    this.landmarkMs ??= proposedMs;
    return Promise.resolve(this.landmarkMs);
  }

  apply(batch: PlannedBatch): Promise<AppliedBatch> {
    return Promise.resolve(this.applySync(batch));
  }

  /** `apply` without a promise (the evaluation loads ~1M events). */
  applySync(batch: PlannedBatch): AppliedBatch {
    const covisHigh = Math.floor(batch.covisItems * 1.5);
    const postingHigh = Math.floor(batch.postingSessions * 1.5);
    const source = batch.source;
    const mark = source === undefined ? '' : `${source.stream}\u0000${source.partition}`;
    const from = source === undefined ? 0 : (this.appliedThrough.get(mark) ?? 0);
    let applied = 0;
    for (const [index, { event: e, covisFactor, popularIncrement }] of batch.events.entries()) {
      if (source !== undefined && source.positions[index]! < from) continue; // applied before (a re-read)
      applied++;
      let session = this.sessions.get(e.sessionId);
      if (!session) this.sessions.set(e.sessionId, (session = { shopperKey: e.shopperKey, events: [], items: [], numbers: [] }));
      // Co-visitation with the previous distinct items of the session, newest first.
      const paired = new Set<string>();
      for (let i = session.items.length - 1; i >= 0 && paired.size < batch.covisWindow; i--) {
        const prev = session.items[i]!;
        if (prev === e.itemId || paired.has(prev)) continue;
        paired.add(prev);
        const d = paired.size;
        this.row(this.covis, prev).incr(e.itemId, covisFactor / d);
        this.row(this.covis, e.itemId).incr(prev, (covisFactor * batch.covisBackward) / d);
        const forward = this.covis.get(prev)!;
        if (forward.size > covisHigh) forward.trimTo(batch.covisItems);
        const backward = this.covis.get(e.itemId)!;
        if (backward.size > covisHigh) backward.trimTo(batch.covisItems);
      }
      session.events.push({ itemId: e.itemId, timeMs: e.timeMs, kind: e.kind });
      session.items.push(e.itemId);
      session.numbers.push(itemNumber(e.itemId));
      if (session.events.length > batch.sessionEvents) {
        session.events.splice(0, session.events.length - batch.sessionEvents);
        session.items.splice(0, session.items.length - batch.sessionEvents);
        session.numbers.splice(0, session.numbers.length - batch.sessionEvents);
      }
      const posting = this.row(this.postings, e.itemId);
      posting.addGt(e.sessionId, e.timeMs);
      if (posting.size > postingHigh) posting.trimTo(batch.postingSessions);
      this.popular.incr(e.itemId, popularIncrement);
      if (e.categoryId !== undefined && e.categoryId !== '') {
        this.row(this.popularByCategory, e.categoryId).incr(e.itemId, popularIncrement);
        this.itemCategory.set(e.itemId, e.categoryId);
      }
      let shopper = this.shoppers.get(e.shopperKey);
      if (!shopper) this.shoppers.set(e.shopperKey, (shopper = { sessions: new Set(), bought: new Set() }));
      shopper.sessions.add(e.sessionId);
      if (!shopper.latest || e.timeMs >= shopper.latest.timeMs) shopper.latest = { sessionId: e.sessionId, timeMs: e.timeMs };
      if (e.kind === 'purchase') shopper.bought.add(e.itemId);
      if (e.timeMs > this.newestMs) this.newestMs = e.timeMs;
    }
    if (source !== undefined && source.next > from) this.appliedThrough.set(mark, source.next);
    return { applied, from };
  }

  private row(map: Map<string, ZSet>, key: string): ZSet {
    let z = map.get(key);
    if (!z) map.set(key, (z = new ZSet()));
    return z;
  }

  read(query: IndexQuery): Promise<IndexSlice> {
    return Promise.resolve(this.readSync(query));
  }

  readSync(query: IndexQuery): IndexSlice {
    const sessionId = query.sessionId ?? (query.shopperKey === undefined ? undefined : this.shoppers.get(query.shopperKey)?.latest?.sessionId);
    const record = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    const session = record ? record.events.slice() : [];
    const shopperKey = query.shopperKey ?? record?.shopperKey;
    const bought = shopperKey === undefined ? [] : [...(this.shoppers.get(shopperKey)?.bought ?? [])].sort();
    const current = session.map((e) => e.itemId).concat(query.recentItems ?? []);
    const expanded: string[] = [];
    for (let i = current.length - 1; i >= 0 && expanded.length < query.expandItems; i--) if (!expanded.includes(current[i]!)) expanded.push(current[i]!);

    const union = new Map<string, number>();
    for (const item of expanded) {
      for (const { itemId: s, weight: t } of this.postings.get(item)?.top(query.postingLimit) ?? []) {
        if (s === sessionId) continue;
        const have = union.get(s);
        if (have === undefined || t > have) union.set(s, t);
      }
    }
    const candidates = [...union].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, query.sampleSize);
    const neighbours: NeighbourSession[] = candidates.map(([s, t]) => {
      const record = this.sessions.get(s);
      return record ? { sessionId: s, timeMs: t, items: record.items, numbers: record.numbers } : { sessionId: s, timeMs: t, items: [] };
    });
    const covisited = expanded.map((item) => this.covis.get(item)?.topItems(query.covisLimit) ?? []);
    const popular = this.popular.topItems(query.popularLimit);
    const categoryOf = new Map<string, string>();
    const categories: string[] = [];
    for (const c of query.categories) if (!categories.includes(c)) categories.push(c);
    for (const item of expanded) {
      const c = this.itemCategory.get(item);
      if (c !== undefined) {
        categoryOf.set(item, c);
        if (!categories.includes(c)) categories.push(c);
      }
    }
    const popularByCategory = new Map<string, WeightedItem[]>();
    for (const c of categories) popularByCategory.set(c, this.popularByCategory.get(c)?.topItems(query.popularLimit) ?? []);
    if (query.withCategories) {
      const note = (item: string) => {
        const c = this.itemCategory.get(item);
        if (c !== undefined) categoryOf.set(item, c);
      };
      for (const n of neighbours) for (const item of n.items) note(item);
      for (const row of covisited) for (const r of row) note(r.itemId);
      for (const r of popular) note(r.itemId);
      for (const row of popularByCategory.values()) for (const r of row) note(r.itemId);
    }
    return {
      ...(record && sessionId !== undefined ? { sessionId } : {}),
      session,
      expanded,
      bought,
      neighbours,
      covisited,
      popular,
      popularByCategory,
      categoryOf,
      newestMs: this.newestMs,
    };
  }

  erase(shopperKey: string): Promise<ErasureResult> {
    const shopper = this.shoppers.get(shopperKey);
    let sessions = 0;
    for (const s of shopper?.sessions ?? []) {
      const record = this.sessions.get(s);
      if (!record) continue;
      for (const item of new Set(record.items)) {
        const posting = this.postings.get(item);
        posting?.remove(s);
        // Redis deletes an emptied sorted set.
        if (posting?.size === 0) this.postings.delete(item);
      }
      this.sessions.delete(s);
      sessions++;
    }
    this.shoppers.delete(shopperKey);
    return Promise.resolve({ sessions });
  }

  stats(): Promise<IndexStats> {
    return Promise.resolve({ sessions: this.sessions.size, items: this.postings.size, covisRows: this.covis.size });
  }
}

