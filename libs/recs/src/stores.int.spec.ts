import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedis, type RedisClient } from '@clickwise/redis';
import { testInfra, uniqueName } from '@clickwise/testing';
import { MemoryRecsStore } from './memory.store.js';
import { Recommender } from './recommender.js';
import { RedisRecsStore } from './redis.store.js';
import { retailRocketWeek } from './testing/retailrocket.js';
import type { RecommendRequest } from './types.js';

void describe('Redis store and in-memory store on the RetailRocket week (real Redis)', () => {
  let redis: RedisClient;
  const prefixes: string[] = [];
  before(() => {
    const url = new URL(testInfra().redisUrl);
    url.pathname = `/${process.env.RECS_TEST_REDIS_DB ?? '8'}`;
    redis = createRedis(url.toString(), { connectionName: 'recs-store-test', commandTimeoutMs: 20_000 });
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

  void it('give identical recommendations, similar items and erasures for the same events', async () => {
    const prefix = `${uniqueName('recs')}:`;
    prefixes.push(prefix);
    const events = retailRocketWeek();
    const memory = new Recommender(new MemoryRecsStore());
    const live = new Recommender(new RedisRecsStore(redis, prefix));
    // Batches as a consumer sees them; every 500 events, the answers are compared mid-stream too.
    const requests = (upTo: number): RecommendRequest[] => {
      const recent = events.slice(Math.max(0, upTo - 40), upTo);
      return [
        ...recent.slice(0, 8).map((e) => ({ sessionId: e.sessionId, k: 20 })),
        ...recent.slice(8, 14).map((e) => ({ shopperKey: e.shopperKey, k: 10, filters: { categories: [e.categoryId!] } })),
        ...recent.slice(14, 18).map((e) => ({ shopperKey: e.shopperKey, recentItems: [e.itemId], k: 15, filters: { exclude: [e.itemId], excludeSeen: true } })),
        { shopperKey: 'nobody-at-all', k: 10 },
      ];
    };
    let compared = 0;
    for (let i = 0; i < events.length; i += 500) {
      const batch = events.slice(i, i + 500);
      await memory.ingest(batch);
      await live.ingest(batch);
      if ((i / 500) % 8 === 7) {
        for (const request of requests(i + batch.length)) {
          assert.deepStrictEqual(await live.recommend(request), await memory.recommend(request), JSON.stringify(request));
          compared++;
        }
      }
    }
    for (const request of requests(events.length)) {
      const slice = await live.store.read(live.queryOf(request));
      assert.deepStrictEqual(slice, await memory.store.read(memory.queryOf(request)));
      const got = await live.recommend(request);
      assert.deepStrictEqual(got, await memory.recommend(request));
      compared++;
    }
    for (const e of events.slice(-30)) {
      assert.deepStrictEqual(await live.similar(e.itemId, 10), await memory.similar(e.itemId, 10));
      compared++;
    }
    assert.ok(compared > 100, `compared ${compared} answers`);
    assert.deepStrictEqual(await live.store.stats(), await memory.store.stats());

    // Erasure: the busiest shopper leaves both indexes the same way.
    const perShopper = new Map<string, number>();
    for (const e of events) perShopper.set(e.shopperKey, (perShopper.get(e.shopperKey) ?? 0) + 1);
    const busiest = [...perShopper].sort((a, b) => b[1] - a[1])[0]![0];
    const sessions = new Set(events.filter((e) => e.shopperKey === busiest).map((e) => e.sessionId));
    const [a, b] = [await live.erase(busiest), await memory.erase(busiest)];
    assert.deepStrictEqual(a, b);
    assert.equal(a.sessions, sessions.size);
    for (const sessionId of sessions) {
      const slice = await live.store.read(live.queryOf({ sessionId, k: 10 }));
      assert.equal(slice.session.length, 0, 'the erased session is gone');
    }
    const after = await live.store.read(live.queryOf({ shopperKey: busiest, k: 10 }));
    assert.deepStrictEqual(after.bought, []);
    assert.equal(after.session.length, 0);
    for (const e of events.filter((x) => x.shopperKey === busiest).slice(0, 20)) {
      const slice = await live.store.read(live.queryOf({ recentItems: [e.itemId], k: 10 }));
      assert.ok(!slice.neighbours.some((n) => sessions.has(n.sessionId)), 'no posting list points at an erased session');
    }
    for (const request of requests(events.length)) assert.deepStrictEqual(await live.recommend(request), await memory.recommend(request));
    assert.deepStrictEqual(await live.store.stats(), await memory.store.stats());
  });

  void it('a replica whose cache may be stale: its own session is fresh at once, and another replica\'s erasure empties its cache', async () => {
    const prefix = `${uniqueName('recs-stale')}:`;
    prefixes.push(prefix);
    const events = retailRocketWeek();
    const writer = new Recommender(new RedisRecsStore(redis, prefix));
    const reader = new Recommender(new RedisRecsStore(redis, prefix, { maxStaleMs: 600_000 }));
    const half = Math.floor(events.length / 2);
    for (let i = 0; i < half; i += 500) await writer.ingest(events.slice(i, Math.min(half, i + 500)));
    const perShopper = new Map<string, number>();
    for (const e of events.slice(0, half)) perShopper.set(e.shopperKey, (perShopper.get(e.shopperKey) ?? 0) + 1);
    const busiest = [...perShopper].sort((a, b) => b[1] - a[1])[0]![0];
    const theirs = events.slice(0, half).filter((e) => e.shopperKey === busiest);
    const sessions = new Set(theirs.map((e) => e.sessionId));
    // The reader caches the neighbourhoods of the busiest shopper's items (their sessions among them).
    for (const e of theirs.slice(0, 20)) await reader.store.read(reader.queryOf({ recentItems: [e.itemId], k: 10 }));
    const cachedWithThem = await Promise.all(theirs.slice(0, 20).map((e) => reader.store.read(reader.queryOf({ recentItems: [e.itemId], k: 10 }))));
    assert.ok(cachedWithThem.some((slice) => slice.neighbours.some((n) => sessions.has(n.sessionId))), 'their sessions are cached as neighbours');

    // A click written by the other replica is in this session's next read at once.
    const target = events[half - 1]!;
    const click = { ...target, itemId: `fresh-${uniqueName('item')}`, timeMs: target.timeMs + 1000 };
    await writer.ingest([click]);
    const slice = await reader.store.read(reader.queryOf({ sessionId: target.sessionId, k: 10 }));
    assert.equal(slice.session.at(-1)?.itemId, click.itemId);
    assert.equal(slice.expanded[0], click.itemId);

    // An erasure by the other replica: no cached neighbourhood names the erased sessions any more.
    assert.equal((await writer.erase(busiest)).sessions, sessions.size);
    for (const e of theirs.slice(0, 20)) {
      const after = await reader.store.read(reader.queryOf({ recentItems: [e.itemId], k: 10 }));
      assert.ok(!after.neighbours.some((n) => sessions.has(n.sessionId)), 'no cached neighbourhood points at an erased session');
    }
  });

  void it('a batch read again from the same source positions (a rebalance) is applied once, in both stores', async () => {
    const prefix = `${uniqueName('recs-once')}:`;
    prefixes.push(prefix);
    const events = retailRocketWeek().slice(0, 900);
    const memory = new Recommender(new MemoryRecsStore());
    const live = new Recommender(new RedisRecsStore(redis, prefix));
    const reference = new Recommender(new MemoryRecsStore());
    const source = (lo: number, hi: number, partition = 0) => ({ stream: 'events', partition, positions: Array.from({ length: hi - lo }, (_, i) => 1000 + lo + i), next: 1000 + hi });
    for (const store of [memory, live]) {
      assert.deepEqual(await store.ingest(events.slice(0, 600), source(0, 600)), { applied: 600, from: 0 });
      // The new owner starts from an older commit: 400..900 again, of which 400..600 were applied.
      assert.deepEqual(await store.ingest(events.slice(400, 900), source(400, 900)), { applied: 300, from: 1600 });
      assert.deepEqual(await store.ingest(events.slice(400, 900), source(400, 900)), { applied: 0, from: 1900 }, 'the whole batch again: nothing');
      // Another partition of the stream has its own mark.
      assert.deepEqual(await store.ingest([events[0]!], { stream: 'events', partition: 1, positions: [5], next: 6 }), { applied: 1, from: 0 });
      // A batch whose records all map to no event still moves the mark.
      assert.deepEqual(await store.ingest([], { stream: 'events', partition: 1, positions: [], next: 9 }), { applied: 0, from: 6 });
      assert.deepEqual(await store.ingest([events[0]!], { stream: 'events', partition: 1, positions: [8], next: 9 }), { applied: 0, from: 9 });
    }
    await reference.ingest([...events.slice(0, 900), events[0]!]);
    for (const request of [{ sessionId: events[899]!.sessionId, k: 20 }, { shopperKey: events[450]!.shopperKey, k: 10 }, { shopperKey: 'nobody-at-all', k: 10 }] satisfies RecommendRequest[]) {
      const expected = await reference.recommend(request);
      assert.deepStrictEqual(await memory.recommend(request), expected, `memory: ${JSON.stringify(request)}`);
      assert.deepStrictEqual(await live.recommend(request), expected, `redis: ${JSON.stringify(request)}`);
    }
  });
});
