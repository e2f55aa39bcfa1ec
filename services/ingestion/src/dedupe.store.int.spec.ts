import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRedis, RedisKeys, type RedisClient } from '@clickwise/redis';
import { testInfra, uniqueName } from '@clickwise/testing';
import { DedupeStateLostError, RedisDedupeStore } from './dedupe.store.js';

void describe('RedisDedupeStore (real Redis)', () => {
  let redis: RedisClient;
  let keys: RedisKeys;
  let store: RedisDedupeStore;

  before(async () => {
    redis = createRedis(testInfra().redisUrl);
    keys = new RedisKeys(`${uniqueName('dedupe')}:`);
    store = new RedisDedupeStore(redis, keys, 60_000, 5_000);
    await store.writeSentinel({ redisRunId: await store.serverRunId(), rebuiltAtMs: Date.now(), restored: 0, tookMs: 0 });
  });

  after(async () => {
    try {
      const ids = ['a', 'b', 'c', 'x', 'y', ...Array.from({ length: 1000 }, (_, i) => `bulk-${i}`)];
      await redis.del(...ids.map((id) => keys.dedupe(id)), keys.dedupeSentinel());
    } finally {
      redis.disconnect();
    }
  });

  void it('claims new ids, sees committed ones as duplicates and claimed ones as in flight', async () => {
    assert.deepEqual(await store.claim(['a', 'b'], 't1'), ['new', 'new']);
    assert.deepEqual(await store.claim(['a', 'c'], 't2'), ['in_flight', 'new']);
    await store.commit(['a', 'b']);
    assert.deepEqual(await store.claim(['a', 'b'], 't3'), ['duplicate', 'duplicate']);
    const ttl = await redis.pttl(keys.dedupe('a'));
    assert.ok(ttl > 55_000 && ttl <= 60_000, `commit sets the dedupe TTL (${ttl})`);
    const claimTtl = await redis.pttl(keys.dedupe('c'));
    assert.ok(claimTtl > 0 && claimTtl <= 5_000, `a claim has the short claim TTL (${claimTtl})`);
  });

  void it('releases only its own claims, so a failed write can be retried', async () => {
    assert.deepEqual(await store.claim(['x', 'y'], 'mine'), ['new', 'new']);
    await store.release(['x'], 'not-mine');
    assert.deepEqual(await store.claim(['x'], 'other'), ['in_flight']);
    await store.release(['x', 'y'], 'mine');
    assert.deepEqual(await store.claim(['x', 'y'], 'retry'), ['new', 'new']);
  });

  void it('handles a batch of 1,000 ids in one call', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    const statuses = await store.claim(ids, 'bulk');
    assert.equal(statuses.filter((s) => s === 'new').length, 1000);
    await store.commit(ids);
    assert.ok((await store.claim(ids, 'again')).every((s) => s === 'duplicate'));
  });

  void it('refuses to claim without the sentinel, and restores ids with their own remaining TTL', async () => {
    await redis.del(keys.dedupeSentinel());
    await assert.rejects(store.claim(['r1'], 'lost'), DedupeStateLostError);
    assert.equal(await redis.exists(keys.dedupe('r1')), 0, 'nothing claimed when the state is lost');
    assert.equal(await store.restore([{ eventId: 'r1', ttlMs: 30_000 }, { eventId: 'r2', ttlMs: -5 }]), 1);
    await store.writeSentinel({ redisRunId: await store.serverRunId(), rebuiltAtMs: Date.now(), restored: 1, tookMs: 0 });
    assert.deepEqual(await store.claim(['r1', 'r2'], 'back'), ['duplicate', 'new']);
    const ttl = await redis.pttl(keys.dedupe('r1'));
    assert.ok(ttl > 25_000 && ttl <= 30_000, `restored with the TTL left (${ttl})`);
    await redis.del(keys.dedupe('r1'), keys.dedupe('r2'));
  });
});
