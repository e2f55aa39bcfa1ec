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
      const generations = await redis.keys(`${keys.prefix}ingest:dedupe:*`);
      await redis.del(...generations, keys.dedupeSentinel());
    } finally {
      redis.disconnect();
    }
  });

  void it('claims new ids, sees committed ones as duplicates and claimed ones as in flight', async () => {
    assert.deepEqual(await store.claim(['a', 'b'], 't1'), ['new', 'new']);
    assert.deepEqual(await store.claim(['a', 'c'], 't2'), ['in_flight', 'new']);
    await store.commit(['a', 'b']);
    assert.deepEqual(await store.claim(['a', 'b'], 't3'), ['duplicate', 'duplicate']);
    // Remembered for at least the TTL (60 s) and less than 1.5 × it, plus the minute its generation
    // is kept after lookups stop reading it (ADR 0028).
    const written = await store.inspect('a');
    assert.equal(written?.state, 'written');
    const left = written.keptUntilMs - Date.now();
    assert.ok(left >= 60_000 && left <= 90_000 + 60_000, `commit keeps the id for the dedupe TTL (${left} ms left)`);
    const claimed = await store.inspect('c');
    assert.equal(claimed?.state, 'claimed');
    assert.equal(claimed?.token, 't2');
    const claimLeft = claimed.claimExpiresAtMs! - Date.now();
    assert.ok(claimLeft > 0 && claimLeft <= 5_000, `a claim has the short claim TTL (${claimLeft} ms left)`);
  });

  void it('lets a lapsed claim be claimed again, and keeps ids in generation hashes, not a key per id', async () => {
    const short = new RedisDedupeStore(redis, keys, 60_000, 200);
    assert.deepEqual(await short.claim(['lapse'], 'crashed'), ['new']);
    assert.deepEqual(await short.claim(['lapse'], 'other'), ['in_flight']);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await short.claim(['lapse'], 'retry'), ['new'], 'a claim whose writer died lapses by itself');
    assert.equal((await short.inspect('lapse'))?.token, 'retry');
    const generations = await redis.keys(`${keys.prefix}ingest:dedupe:*`);
    assert.ok(generations.length >= 1 && generations.length <= 2, `ids live in one or two generation hashes (${generations.join(', ')})`);
    for (const key of generations) assert.equal(await redis.type(key), 'hash');
  });

  void it('remembers an id written in an older generation, and forgets it once no lookup reads that generation', async () => {
    // A 3 s TTL: generations of 1.5 s, a lookup reads the current one and the two before it.
    const fast = new RedisDedupeStore(redis, new RedisKeys(`${keys.prefix}fast:`), 3_000, 1_000);
    await redis.set(`${keys.prefix}fast:ingest:dedupe-sentinel`, '{}');
    assert.deepEqual(await fast.claim(['g1'], 't'), ['new']);
    await fast.commit(['g1']);
    await new Promise((r) => setTimeout(r, 1_600)); // the next generation
    assert.deepEqual(await fast.claim(['g1'], 't'), ['duplicate'], 'still remembered a generation later');
    await new Promise((r) => setTimeout(r, 3_100)); // past TTL + one generation
    assert.deepEqual(await fast.claim(['g1'], 't'), ['new'], 'forgotten after at most TTL + one generation');
    await redis.del(...(await redis.keys(`${keys.prefix}fast:ingest:dedupe:*`)), `${keys.prefix}fast:ingest:dedupe-sentinel`);
  });

  void it('a commit unlinks the generation lookups stopped reading, before it expires', async () => {
    const [seconds, micros] = await redis.time();
    const generation = Math.floor((Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)) / store.generationMs);
    const stale = keys.dedupeGeneration(store.generationMs, generation - 3);
    const oldest = keys.dedupeGeneration(store.generationMs, generation - 2);
    await redis.hset(stale, 'very-old', '1');
    await redis.hset(oldest, 'old', '1');
    await store.commit(['now']);
    assert.equal(await redis.exists(stale), 0, 'the generation before the three a lookup reads is gone');
    assert.deepEqual(await store.claim(['old', 'very-old'], 't'), ['duplicate', 'new']);
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
    assert.equal(await store.inspect('r1'), undefined, 'nothing claimed when the state is lost');
    assert.equal(await store.restore([{ eventId: 'r1', ttlMs: 30_000 }, { eventId: 'r2', ttlMs: -5 }]), 1);
    await store.writeSentinel({ redisRunId: await store.serverRunId(), rebuiltAtMs: Date.now(), restored: 1, tookMs: 0 });
    assert.deepEqual(await store.claim(['r1', 'r2'], 'back'), ['duplicate', 'new']);
    // Written 30 s ago (TTL 60 s, 30 s left): in the generation of that time, kept at least the 30 s left.
    const restored = await store.inspect('r1');
    assert.equal(restored?.state, 'written');
    const left = restored.keptUntilMs - Date.now();
    assert.ok(left >= 30_000 && left <= 30_000 + 30_000 + 60_000, `restored with the TTL left (${left} ms)`);
  });
});
