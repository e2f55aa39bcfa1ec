import {
  decodeState,
  emptyState,
  encodeState,
  ErasureList,
  type FeatureEngine,
  sharedField,
  StreamClock,
  type EntityState,
  type FeatureEvent,
  type FeatureValue,
  type SharedDeltaSink,
} from '@clickwise/features';
import type { FeatureKeys, RedisClient } from '@clickwise/redis';
import { APPLY_BATCH_LUA, CLEAR_OUTBOX_LUA } from './scripts.js';
import { featureTtlSeconds } from './ttl.js';

/** Where a partition's stored state stands: the next offset to apply and its stream clock. */
export interface StoredPosition {
  /** Next offset to consume; null when nothing is stored (start at the log's beginning). */
  offset: string | null;
  clockMs: number;
}

/** A feature value in a notice. */
export interface NamedValue {
  name: string;
  value: FeatureValue;
}

/** What happened to one event of a batch. */
export interface EventOutcome {
  event: FeatureEvent;
  status: 'applied' | 'too_late' | 'erased';
  /** Why, for too_late. */
  reason?: string;
  /** applied: the shopper's events applied so far (monotonic per shopper). */
  snapshotVersion?: number;
  /** applied: reference time of the values (the shopper's latest event time). */
  refMs?: number;
  /** applied and asked for: the shopper and session features this event fed, at refMs. */
  changed?: NamedValue[];
}

/** A batch computed in memory, ready to be written in one script. */
export interface PreparedBatch {
  readonly partition: number;
  readonly outcomes: EventOutcome[];
  /** Shopper and session states the batch changed (Redis key → state). */
  readonly dirty: Map<string, EntityState>;
  readonly dirtyTtl: Map<string, number>;
  /** [shopper key, session id] of sessions first seen in this batch. */
  readonly newSessions: [string, string][];
  readonly shared: SharedBatch;
  readonly clockMs: number;
}

/** A partition as `open` found it: where it stands, and the notices of a range not yet acknowledged. */
export interface OpenedPartition extends StoredPosition {
  /** The outbox its last writer left (a crash between the state write and Kafka's ack); null when none. */
  outbox: PendingOutbox | null;
}

/** Notices written with a range's state and not yet acknowledged by Kafka. */
export interface PendingOutbox {
  /** The next offset of the range they belong to. */
  next: string;
  /** What the writer passed to `commit` (the encoded records). */
  payload: Buffer;
}

export type CommitResult = 'ok' | 'fenced' | 'lost';

export interface ExecutorOptions {
  keys: FeatureKeys;
  /** The source topic name (with any test prefix): offsets are stored per topic. */
  topic: string;
  erasures?: ErasureList;
  /** Shopper/session states kept in memory per partition (default 50,000). */
  cacheEntries?: number;
  /** How much event time passes between GCs of one item's expired buckets (default 1 h). */
  gcEveryMs?: number;
  now?: () => number;
}

interface PartitionContext {
  /** The stored offset text the next write must find ('' = none). */
  stored: string;
  clock: StreamClock;
  /**
   * Shopper and session states by key. Between batches an entry is the text its last commit wrote
   * (or the load read), decoded when a batch next touches it: a few large strings, not hundreds of
   * thousands of small arrays for every major GC to trace (ADR 0066).
   */
  cache: Map<string, EntityState | string>;
}

/** Item and category increments of one batch, summed per hash field. */
export class SharedBatch implements SharedDeltaSink {
  readonly items = new Map<string, SharedHash>();
  readonly categories = new Map<string, SharedHash>();

  add(entity: 'item' | 'category', key: string, slot: number, bucket: number, index: number, delta: number): void {
    const fields = this.hash(entity, key).fields;
    const field = sharedField(slot, bucket, index);
    fields.set(field, (fields.get(field) ?? 0) + delta);
  }

  touch(entity: 'item' | 'category', key: string, timeMs: number): void {
    const h = this.hash(entity, key);
    if (timeMs > h.latest) h.latest = timeMs;
  }

  private hash(entity: 'item' | 'category', key: string): SharedHash {
    const map = entity === 'item' ? this.items : this.categories;
    let h = map.get(key);
    if (!h) map.set(key, (h = { latest: -Infinity, fields: new Map() }));
    return h;
  }
}

interface SharedHash {
  latest: number;
  fields: Map<string, number>;
}

interface ScriptClient {
  cwApplyBatch(numKeys: number, ...args: (string | Buffer)[]): Promise<string>;
  cwClearOutbox(numKeys: number, ...args: string[]): Promise<number>;
}

/**
 * The streaming executor: applies batches of one partition's events to Redis.
 *
 * Shopper and session state has one writer (the partition of the shopper key), so it is folded in
 * memory with the same engine as the offline executor (kept in a per-partition cache, loaded from
 * Redis on a miss) and written back whole. Item and category increments from all partitions meet
 * in Redis as HINCRBYFLOATs. `prepare` computes a batch; `commit` writes all of it together with
 * the partition's next offset and stream clock, and the range's outbox (its encoded notices), in
 * one Lua script, which refuses if Redis lost its state or another writer moved the offset. The
 * caller sends the notices after the commit and then `clearOutbox`es; `open` returns an outbox
 * left by a crash in between, to be sent first. Any refusal or error drops the partition's cache: the
 * caller reopens it and continues from what Redis holds. Callers serialize calls (one at a time).
 */
export class RedisFeatureExecutor {
  private readonly partitions = new Map<number, PartitionContext>();
  private readonly keys: FeatureKeys;
  private readonly offsetsKey: string;
  private readonly topic: string;
  readonly erasures: ErasureList;
  private readonly cacheEntries: number;
  private readonly gcEveryMs: number;
  private readonly now: () => number;
  private readonly itemSchema: string;
  private readonly categorySchema: string;

  constructor(
    private readonly redis: RedisClient,
    readonly engine: FeatureEngine,
    options: ExecutorOptions,
  ) {
    this.keys = options.keys;
    if (this.keys.definitionsVersion !== engine.version) {
      throw new Error(`keys are for definitions ${this.keys.definitionsVersion}, the engine is ${engine.version}`);
    }
    this.topic = options.topic;
    this.offsetsKey = this.keys.offsets(options.topic);
    this.erasures = options.erasures ?? new ErasureList();
    this.cacheEntries = options.cacheEntries ?? 50_000;
    this.gcEveryMs = options.gcEveryMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
    const schema = (entity: 'item' | 'category') => engine.plans[entity].slots.map((s) => `${s.hopMs}:${s.keep}`).join(',');
    this.itemSchema = schema('item');
    this.categorySchema = schema('category');
    if (!('cwApplyBatch' in redis)) redis.defineCommand('cwApplyBatch', { lua: APPLY_BATCH_LUA });
    if (!('cwClearOutbox' in redis)) redis.defineCommand('cwClearOutbox', { lua: CLEAR_OUTBOX_LUA });
  }

  get definitionsVersion(): string {
    return this.engine.version;
  }

  /** Creates the sentinel when it is missing; returns whether it had to (no state: rebuild). */
  async ensureMeta(): Promise<boolean> {
    const created = await this.redis.hsetnx(this.keys.meta(), 'version', this.engine.version);
    if (created === 1) {
      await this.redis.hset(this.keys.meta(), {
        createdAtMs: String(this.now()),
        allowedLatenessMs: String(this.engine.allowedLatenessMs),
        features: String(this.engine.definitions.length),
      });
      return true;
    }
    return false;
  }

  async metaExists(): Promise<boolean> {
    return (await this.redis.exists(this.keys.meta())) === 1;
  }

  /**
   * Reads a partition's stored position and pending outbox (one MULTI: the script writes both
   * together) and (re)starts its context with an empty cache.
   */
  async open(partition: number): Promise<OpenedPartition> {
    const replies = await this.redis.multi().hget(this.offsetsKey, String(partition)).getBuffer(this.keys.outbox(this.topic, partition)).exec();
    if (!replies) throw new Error('open transaction was aborted');
    const [[offsetError, raw], [outboxError, outbox]] = replies as [[Error | null, string | null], [Error | null, Buffer | null]];
    if (offsetError) throw offsetError;
    if (outboxError) throw outboxError;
    const position = parsePosition(raw);
    this.partitions.set(partition, {
      stored: position.offset ?? '',
      clock: new StreamClock(this.engine.allowedLatenessMs, position.clockMs),
      cache: new Map(),
    });
    return { ...position, outbox: outbox === null ? null : parseOutbox(outbox) };
  }

  /**
   * Deletes a partition's outbox once its notices are acknowledged; a later range's outbox (another
   * writer's) is left alone. Returns whether it deleted one.
   */
  async clearOutbox(partition: number, next: string): Promise<boolean> {
    const deleted = await (this.redis as unknown as ScriptClient).cwClearOutbox(1, this.keys.outbox(this.topic, partition), `${next}\n`);
    return deleted === 1;
  }

  /** Stored positions of every partition (for status pages and tests). */
  async positions(): Promise<Map<number, StoredPosition>> {
    const all = await this.redis.hgetall(this.offsetsKey);
    return new Map(Object.entries(all).map(([p, raw]) => [Number(p), parsePosition(raw)]));
  }

  isOpen(partition: number): boolean {
    return this.partitions.has(partition);
  }

  /** The stored offset an open partition's next write must find: null when none; undefined when not open. */
  storedOffset(partition: number): string | null | undefined {
    const ctx = this.partitions.get(partition);
    if (!ctx) return undefined;
    return ctx.stored === '' ? null : ctx.stored;
  }

  /** Forgets a partition's context (revoked, or its state can no longer be trusted). */
  close(partition: number): void {
    this.partitions.delete(partition);
  }

  closeAll(): void {
    this.partitions.clear();
  }

  /**
   * Folds a batch into memory. `notify(i)` says whether the i-th event needs its changed values
   * (skipped during a rebuild, whose notices were sent the first time).
   */
  async prepare(partition: number, events: readonly FeatureEvent[], notify: (index: number) => boolean = () => true): Promise<PreparedBatch> {
    const ctx = this.partitions.get(partition);
    if (!ctx) throw new Error(`partition ${partition} is not open`);
    await this.load(ctx, events);
    const engine = this.engine;
    const shared = new SharedBatch();
    const dirty = new Map<string, EntityState>();
    const dirtyTtl = new Map<string, number>();
    const newSessions: [string, string][] = [];
    const outcomes: EventOutcome[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (!ctx.clock.admit(e.timeMs)) {
        outcomes.push({ event: e, status: 'too_late', reason: ctx.clock.lateReason(e.timeMs) });
        continue;
      }
      engine.prepare(e);
      engine.sharedDeltas(e, shared);
      if (this.erasures.covers(e.shopperKey, e.timeMs)) {
        outcomes.push({ event: e, status: 'erased' });
        continue;
      }
      const shopperKey = this.keys.shopper(e.shopperKey);
      const shopper = cachedState(ctx, shopperKey) ?? emptyState();
      ctx.cache.set(shopperKey, shopper);
      engine.apply('shopper', shopper, e);
      dirty.set(shopperKey, shopper);
      dirtyTtl.set(shopperKey, featureTtlSeconds.shopper);
      let session: EntityState | undefined;
      if (e.sessionId !== '') {
        const sessionKey = this.keys.session(e.shopperKey, e.sessionId);
        session = cachedState(ctx, sessionKey);
        if (!session) {
          session = emptyState();
          ctx.cache.set(sessionKey, session);
          newSessions.push([e.shopperKey, e.sessionId]);
        }
        engine.apply('session', session, e);
        dirty.set(sessionKey, session);
        dirtyTtl.set(sessionKey, featureTtlSeconds.session);
      }
      const outcome: EventOutcome = { event: e, status: 'applied', snapshotVersion: shopper.events, refMs: shopper.latest };
      if (notify(i)) outcome.changed = this.changed(e, shopper, session);
      outcomes.push(outcome);
    }
    return { partition, outcomes, dirty, dirtyTtl, newSessions, shared, clockMs: ctx.clock.clockMs };
  }

  /**
   * Writes a prepared batch, the partition's next offset and the range's outbox (`outbox`: the
   * encoded notices to send once this returned 'ok'; null when the range has none) in one script.
   */
  async commit(batch: PreparedBatch, nextOffset: string, outbox: Buffer | null = null): Promise<CommitResult> {
    const ctx = this.partitions.get(batch.partition);
    if (!ctx) throw new Error(`partition ${batch.partition} is not open`);
    const now = String(this.now());
    const keys: string[] = [this.keys.meta(), this.offsetsKey, this.keys.outbox(this.topic, batch.partition)];
    const strings: string[] = [];
    for (const [key, state] of batch.dirty) {
      keys.push(key);
      const text = encodeState(state, Number(now));
      strings.push(text, String(batch.dirtyTtl.get(key)));
      // Kept as what Redis will hold; a failed commit drops the whole cache (close) anyway.
      if (ctx.cache.get(key) === state) ctx.cache.set(key, text);
    }
    const sets: string[] = [];
    for (const [shopperKey, sessionId] of batch.newSessions) {
      keys.push(this.keys.shopperSessions(shopperKey));
      sets.push(sessionId);
    }
    const hashes: string[] = [];
    let hashCount = 0;
    for (const [kind, map] of [['i', batch.shared.items], ['c', batch.shared.categories]] as const) {
      for (const [id, h] of map) {
        keys.push(kind === 'i' ? this.keys.item(id) : this.keys.category(id));
        hashes.push(kind, String(h.latest), String(h.fields.size));
        for (const [field, delta] of h.fields) hashes.push(field, String(delta));
        hashCount++;
      }
    }
    const clock = Number.isFinite(batch.clockMs) ? String(batch.clockMs) : '';
    const args: (string | Buffer)[] = [
      String(batch.partition),
      ctx.stored,
      `${nextOffset}|${clock}`,
      now,
      String(batch.dirty.size),
      String(batch.newSessions.length),
      String(hashCount),
      String(featureTtlSeconds.shared),
      String(featureTtlSeconds.shopperSessions),
      String(this.gcEveryMs),
      String(this.engine.allowedLatenessMs),
      this.itemSchema,
      this.categorySchema,
      outbox === null ? '' : Buffer.concat([Buffer.from(`${nextOffset}\n`), outbox]),
      ...strings,
      ...sets,
      ...hashes,
    ];
    let reply: string;
    try {
      reply = await (this.redis as unknown as ScriptClient).cwApplyBatch(keys.length, ...keys, ...args);
    } catch (error) {
      // The write may or may not have happened: only Redis knows; reopen from what it holds.
      this.close(batch.partition);
      throw error;
    }
    if (reply.startsWith('ok')) {
      ctx.stored = nextOffset;
      this.trim(ctx);
      return 'ok';
    }
    this.close(batch.partition);
    return reply === 'lost' ? 'lost' : 'fenced';
  }

  /**
   * Forgets a shopper: deletes its shopper and session state (Redis and memory) and keeps its
   * events up to `requestedAtMs` out of shopper and session features from now on.
   * Returns the number of Redis keys deleted.
   */
  async erase(shopperKey: string, requestedAtMs: number): Promise<number> {
    this.erasures.add(shopperKey, requestedAtMs);
    const shopper = this.keys.shopper(shopperKey);
    const sessionPrefix = this.keys.session(shopperKey, '');
    for (const ctx of this.partitions.values()) {
      ctx.cache.delete(shopper);
      for (const key of ctx.cache.keys()) if (key.startsWith(sessionPrefix)) ctx.cache.delete(key);
    }
    return eraseShopperState(this.redis, this.keys, shopperKey, requestedAtMs);
  }

  private changed(e: FeatureEvent, shopper: EntityState, session: EntityState | undefined): NamedValue[] {
    const out: NamedValue[] = [];
    const refMs = shopper.latest;
    const sp = this.engine.plans.shopper;
    for (const i of sp.fedBy[e.type]!) {
      const f = sp.features[i]!;
      out.push({ name: f.definition.name, value: f.evaluate(shopper, refMs) });
    }
    if (session) {
      const pp = this.engine.plans.session;
      for (const i of pp.fedBy[e.type]!) {
        const f = pp.features[i]!;
        out.push({ name: f.definition.name, value: f.evaluate(session, refMs) });
      }
    }
    return out;
  }

  /** Loads the shopper and session states a batch needs that are not cached (one MGET). */
  private async load(ctx: PartitionContext, events: readonly FeatureEvent[]): Promise<void> {
    const wanted = new Set<string>();
    for (const e of events) {
      const u = this.keys.shopper(e.shopperKey);
      if (!ctx.cache.has(u)) wanted.add(u);
      if (e.sessionId !== '') {
        const s = this.keys.session(e.shopperKey, e.sessionId);
        if (!ctx.cache.has(s)) wanted.add(s);
      }
    }
    if (wanted.size === 0) return;
    const keys = [...wanted];
    const values = await this.redis.mget(...keys);
    for (let i = 0; i < keys.length; i++) {
      const text = values[i];
      if (text !== null && text !== undefined) ctx.cache.set(keys[i]!, text);
    }
  }

  /** Keeps the cache within its bound, dropping the entries least recently inserted. */
  private trim(ctx: PartitionContext): void {
    let excess = ctx.cache.size - this.cacheEntries;
    if (excess <= 0) return;
    for (const key of ctx.cache.keys()) {
      ctx.cache.delete(key);
      if (--excess <= 0) break;
    }
  }
}

/** A cached state, decoded (and kept decoded for the batch) if it was held as text. */
function cachedState(ctx: PartitionContext, key: string): EntityState | undefined {
  const held = ctx.cache.get(key);
  if (typeof held !== 'string') return held;
  const state = decodeState(held);
  ctx.cache.set(key, state);
  return state;
}

function parseOutbox(value: Buffer): PendingOutbox {
  const newline = value.indexOf(0x0a);
  if (newline < 0) throw new Error('malformed outbox: no range header');
  return { next: value.subarray(0, newline).toString('latin1'), payload: value.subarray(newline + 1) };
}

function parsePosition(raw: string | null | undefined): StoredPosition {
  if (raw === null || raw === undefined || raw === '') return { offset: null, clockMs: -Infinity };
  const bar = raw.indexOf('|');
  const offset = bar < 0 ? raw : raw.slice(0, bar);
  const clock = bar < 0 ? '' : raw.slice(bar + 1);
  return { offset: offset === '' ? null : offset, clockMs: clock === '' ? -Infinity : Number(clock) };
}

/**
 * Deletes a shopper's shopper and session state from Redis and records the erasure time, unless an
 * erasure at least as recent was applied already (re-reading the compacted erasure topic must not
 * delete state built from the shopper's later events). No process state is involved. The features
 * service calls it for each erasure its follower reads (ADR 0043). Returns the number of state keys deleted.
 */
export async function eraseShopperState(redis: RedisClient, keys: FeatureKeys, shopperKey: string, requestedAtMs: number): Promise<number> {
  const marker = keys.erased(shopperKey);
  const applied = await redis.get(marker);
  if (applied !== null && Number(applied) >= requestedAtMs) return 0;
  const setKey = keys.shopperSessions(shopperKey);
  const sessions = await redis.smembers(setKey);
  const tx = redis.multi();
  tx.del(keys.shopper(shopperKey), setKey, ...sessions.map((id) => keys.session(shopperKey, id)));
  tx.set(marker, String(requestedAtMs));
  const replies = await tx.exec();
  const [error, deleted] = replies?.[0] ?? [new Error('erasure transaction aborted'), 0];
  if (error) throw error;
  return Number(deleted);
}
