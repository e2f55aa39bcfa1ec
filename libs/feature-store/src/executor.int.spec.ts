import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventType } from '@clickwise/contracts';
import { FeatureEngine, OfflineExecutor, sameFeatureValue, type Entity, type FeatureEvent } from '@clickwise/features';
import { randomEvents, rng } from '@clickwise/features/testing';
import { createRedis, FeatureKeys, type RedisClient } from '@clickwise/redis';
import { testInfra, uniqueName } from '@clickwise/testing';
import { RedisFeatureExecutor } from './executor.js';
import { FeatureReader } from './reader.js';

const engine = new FeatureEngine();

async function assertParity(redis: RedisClient, keys: FeatureKeys, offline: OfflineExecutor, engine = offline.engine): Promise<number> {
  const reader = new FeatureReader(redis, engine, keys);
  const refMs = offline.streamTimeMs;
  let compared = 0;
  for (const entity of ['shopper', 'session', 'item', 'category'] as const) {
    for (const [key, state] of offline.mapOf(entity)) {
      const [shopperKey, sessionId] = entity === 'session' ? key.split('\u0000') : [key, undefined];
      const stored = await reader.state(entity, shopperKey, sessionId);
      assert.ok(stored, `${entity} ${key} is in Redis`);
      const want = engine.evaluate(entity, state, refMs);
      const got = engine.evaluate(entity, stored, refMs);
      const names = engine.plans[entity].features.map((f) => f.definition.name);
      for (let i = 0; i < want.length; i++) {
        assert.ok(sameFeatureValue(got[i]!, want[i]!), `${entity} ${key} ${names[i]}: redis ${JSON.stringify(got[i])} ≠ offline ${JSON.stringify(want[i])}`);
      }
      compared++;
    }
  }
  return compared;
}

void describe('RedisFeatureExecutor on real Redis', () => {
  let redis: RedisClient;
  const prefixes: string[] = [];
  const prefix = () => {
    const p = `${uniqueName('fs')}:`;
    prefixes.push(p);
    return p;
  };
  before(() => {
    // A database of its own (7, as tests/src/features): cleaning up scans only test keys.
    const url = new URL(testInfra().redisUrl);
    url.pathname = `/${process.env.FEATURES_TEST_REDIS_DB ?? '7'}`;
    redis = createRedis(url.toString(), { connectionName: 'feature-store-test' });
  });
  after(async () => {
    for (const p of prefixes) {
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 10_000);
        cursor = next;
        if (found.length > 0) await redis.del(...found);
      } while (cursor !== '0');
    }
    await redis.quit();
  });

  void it('applies batches of 3 partitions with crashes and redeliveries; Redis equals the offline executor', async () => {
    const keys = new FeatureKeys(engine.version, prefix());
    const topic = 'events';
    const events = randomEvents({ seed: 7, events: 1500, shoppers: 9 });
    // Keyed by shopper: each shopper on one partition.
    const byPartition = new Map<number, FeatureEvent[]>([[0, []], [1, []], [2, []]]);
    for (const e of events) byPartition.get(Number(e.shopperKey.slice(1)) % 3)!.push(e);
    const offline = new OfflineExecutor(engine);
    for (const [p, list] of byPartition) for (const e of list) offline.apply(e, p);

    let executor = new RedisFeatureExecutor(redis, engine, { keys, topic, cacheEntries: 5 });
    assert.equal(await executor.ensureMeta(), true);
    assert.equal(await executor.ensureMeta(), false);
    const r = rng(99);
    const cursor = new Map<number, number>();
    let crashes = 0;
    while ([...byPartition].some(([p, list]) => (cursor.get(p) ?? 0) < list.length)) {
      const p = Math.floor(r() * 3);
      const list = byPartition.get(p)!;
      if (!executor.isOpen(p)) {
        const position = await executor.open(p);
        cursor.set(p, position.offset === null ? 0 : Number(position.offset));
      }
      const from = cursor.get(p)!;
      if (from >= list.length) continue;
      const size = 1 + Math.floor(r() * 60);
      const batch = list.slice(from, from + size);
      const prepared = await executor.prepare(p, batch);
      const roll = r();
      if (roll < 0.08) {
        // Crash before the write: nothing happened; a new process reopens.
        executor = new RedisFeatureExecutor(redis, engine, { keys, topic, cacheEntries: 5 });
        crashes++;
        continue;
      }
      assert.equal(await executor.commit(prepared, String(from + batch.length)), 'ok');
      cursor.set(p, from + batch.length);
      if (roll < 0.16) {
        // Crash after the write, before anything else: the new process must not apply it again.
        executor = new RedisFeatureExecutor(redis, engine, { keys, topic, cacheEntries: 5 });
        crashes++;
      }
    }
    assert.ok(crashes >= 3, `${crashes} crashes`);
    const positions = await executor.positions();
    for (const [p, list] of byPartition) assert.equal(positions.get(p)?.offset, String(list.length));
    const compared = await assertParity(redis, keys, offline);
    assert.ok(compared > 30, `${compared} entities compared`);
  });

  void it('with a sentiment model: review sentiment in Redis equals the offline executor (ADR 0058)', async () => {
    // A plain scorer: any deterministic function of the text (libs/text's model is one).
    const sentiment = { version: 'test-model', score: (text: string) => (text.length % 7) / 7 + 0.01 };
    const scored = new FeatureEngine(undefined, { sentiment });
    assert.notEqual(scored.version, engine.version);
    const keys = new FeatureKeys(scored.version, prefix());
    const events = randomEvents({ seed: 17, events: 800, shoppers: 6 });
    const offline = new OfflineExecutor(scored);
    for (const e of events) offline.apply({ ...e }, 0);
    const executor = new RedisFeatureExecutor(redis, scored, { keys, topic: 'events', cacheEntries: 50 });
    await executor.ensureMeta();
    await executor.open(0);
    for (let from = 0; from < events.length; from += 100) {
      const batch = events.slice(from, from + 100).map((e) => ({ ...e }));
      assert.equal(await executor.commit(await executor.prepare(0, batch), String(from + batch.length)), 'ok');
    }
    assert.ok(await assertParity(redis, keys, offline, scored) > 10);
    const at = scored.plans.item.features.findIndex((f) => f.definition.name === 'item_review_sentiment_mean_30d');
    const means = [...offline.items.values()].map((state) => scored.evaluate('item', state, offline.streamTimeMs)[at]);
    assert.ok(means.some((m) => typeof m === 'number'), 'some items have a sentiment mean');
    assert.ok(means.some((m) => m === null), 'items without a scored review: absent');
  });

  void it('fences a stale writer and refuses every write once the state is lost', async () => {
    const keys = new FeatureKeys(engine.version, prefix());
    const e = (i: number): FeatureEvent => ({
      eventId: `x${i}`, type: EventType.PRODUCT_VIEW, shopperKey: 'u1', sessionId: 's1', itemId: 'i1', itemIds: [],
      categoryId: 'c1', price: 5, quantity: undefined, searchQuery: '', reviewRating: undefined, timeMs: 1_700_000_000_000 + i * 1000,
    });
    const a = new RedisFeatureExecutor(redis, engine, { keys, topic: 't' });
    const b = new RedisFeatureExecutor(redis, engine, { keys, topic: 't' });
    await a.ensureMeta();
    await a.open(0);
    await b.open(0);
    assert.equal(await a.commit(await a.prepare(0, [e(0), e(1)]), '2'), 'ok');
    // b still believes nothing is stored: its write must change nothing.
    assert.equal(await b.commit(await b.prepare(0, [e(0)]), '1'), 'fenced');
    assert.equal(b.isOpen(0), false);
    const reader = new FeatureReader(redis, engine, keys);
    const views = () => reader.read({ shopperKey: 'u1', sessionId: 's1', itemId: 'i1', categoryId: 'c1' });
    const before1 = await views();
    const value = (name: string) => before1.features.find((f) => f.name === name)?.value;
    assert.equal(value('shopper_product_view_count_1h'), 2);
    assert.equal(value('item_views_1h'), 2);
    assert.equal(before1.snapshotVersion, 2);
    // Redis loses everything: the next write is refused.
    await redis.del(keys.meta());
    assert.equal(await a.commit(await a.prepare(0, [e(2)]), '3'), 'lost');
    const after1 = await views();
    assert.equal(after1.features.find((f) => f.name === 'shopper_product_view_count_1h')?.value, 2);
  });

  void it('writes the outbox with the state; open returns it until cleared; a fenced write leaves it; only its own range clears it', async () => {
    const keys = new FeatureKeys(engine.version, prefix());
    const e = (i: number): FeatureEvent => ({
      eventId: `o${i}`, type: EventType.PRODUCT_VIEW, shopperKey: 'u3', sessionId: 's3', itemId: 'i3', itemIds: [],
      categoryId: 'c3', price: 5, quantity: undefined, searchQuery: '', reviewRating: undefined, timeMs: 1_700_000_000_000 + i * 1000,
    });
    const a = new RedisFeatureExecutor(redis, engine, { keys, topic: 't' });
    const stale = new RedisFeatureExecutor(redis, engine, { keys, topic: 't' });
    await a.ensureMeta();
    assert.equal((await a.open(0)).outbox, null);
    await stale.open(0);
    const notices = Buffer.from([0, 1, 2, 10, 255, 0, 10]);
    assert.equal(await a.commit(await a.prepare(0, [e(0), e(1)]), '2', notices), 'ok');
    // A new process (after a crash before the ack) finds the state and the outbox together.
    const b = new RedisFeatureExecutor(redis, engine, { keys, topic: 't' });
    const opened = await b.open(0);
    assert.equal(opened.offset, '2');
    assert.deepEqual(opened.outbox, { next: '2', payload: notices });
    // A stale writer is fenced and leaves the outbox as it was.
    assert.equal(await stale.commit(await stale.prepare(0, [e(0)]), '1', Buffer.from('stale')), 'fenced');
    assert.deepEqual((await b.open(0)).outbox, { next: '2', payload: notices });
    // Clearing another range's outbox changes nothing; its own range deletes it.
    assert.equal(await b.clearOutbox(0, '1'), false);
    assert.equal(await b.clearOutbox(0, '2'), true);
    assert.equal((await b.open(0)).outbox, null);
    // The next range replaces it; a range without notices deletes it.
    assert.equal(await b.commit(await b.prepare(0, [e(2)]), '3', Buffer.from('x')), 'ok');
    assert.equal(await b.clearOutbox(0, '2'), false);
    assert.deepEqual((await b.open(0)).outbox, { next: '3', payload: Buffer.from('x') });
    assert.equal(await b.commit(await b.prepare(0, [e(3)]), '4', null), 'ok');
    assert.equal((await b.open(0)).outbox, null);
    assert.equal((await new FeatureReader(redis, engine, keys).read({ shopperKey: 'u3' })).snapshotVersion, 4);
  });

  void it('reads a full vector in one transaction, with ages; erasure removes the shopper and keeps it out', async () => {
    const keys = new FeatureKeys(engine.version, prefix());
    let now = 1_800_000_000_000;
    const executor = new RedisFeatureExecutor(redis, engine, { keys, topic: 't', now: () => now });
    await executor.ensureMeta();
    await executor.open(0);
    const t0 = 1_700_000_000_000;
    const ev = (i: number, type: EventType, extra: Partial<FeatureEvent> = {}): FeatureEvent => ({
      eventId: `y${i}`, type, shopperKey: 'u9', sessionId: 's9', itemId: 'i9', itemIds: [], categoryId: 'c9', price: 10,
      quantity: 1, searchQuery: '', reviewRating: undefined, timeMs: t0 + i * 1000, ...extra,
    });
    const prepared = await executor.prepare(0, [ev(0, EventType.PRODUCT_VIEW), ev(1, EventType.ADD_TO_CART), ev(2, EventType.PRODUCT_VIEW, { shopperKey: 'u8' })]);
    assert.deepEqual(prepared.outcomes.map((o) => o.status), ['applied', 'applied', 'applied']);
    assert.ok(prepared.outcomes[1]!.changed!.some((c) => c.name === 'session_cart_value_24h' && c.value === 10));
    assert.equal(await executor.commit(prepared, '3'), 'ok');
    now += 1500;
    const reader = new FeatureReader(redis, engine, keys, () => now);
    const snapshot = await reader.read({ shopperKey: 'u9', sessionId: 's9', itemId: 'i9', categoryId: 'c9' });
    assert.equal(snapshot.refMs, t0 + 1000);
    assert.deepEqual(snapshot.found, { shopper: true, session: true, item: true, category: true });
    const byEntity = (entity: Entity) => snapshot.features.filter((f) => f.entity === entity);
    assert.equal(byEntity('shopper').length, engine.plans.shopper.features.length);
    assert.ok(snapshot.features.every((f) => f.ageMs === 1500));
    assert.equal(snapshot.features.find((f) => f.name === 'item_views_1h')?.value, 2);
    assert.deepEqual(snapshot.features.find((f) => f.name === 'session_last_items_24h')?.value, ['i9']);

    const deleted = await executor.erase('u9', t0 + 10_000);
    assert.equal(deleted, 3, 'shopper, its session set and its session');
    assert.equal(await executor.erase('u9', t0 + 10_000), 0, 'the same erasure again deletes nothing');
    const gone = await reader.read({ shopperKey: 'u9', sessionId: 's9' });
    assert.deepEqual(gone.found, { shopper: false, session: false, item: false, category: false });
    // A late event of the erased shopper counts for the item, never for the shopper.
    const late = await executor.prepare(0, [ev(3, EventType.PRODUCT_VIEW)]);
    assert.equal(late.outcomes[0]!.status, 'erased');
    assert.equal(await executor.commit(late, '4'), 'ok');
    const again = await reader.read({ shopperKey: 'u9', sessionId: 's9', itemId: 'i9' });
    assert.equal(again.found.shopper, false);
    assert.equal(again.features.find((f) => f.name === 'item_views_1h')?.value, 3);
    assert.equal((await reader.read({ shopperKey: 'u8' })).found.shopper, true);
  });
});
