import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '@clickwise/errors';
import { createRedis, RedisKeys, type RedisClient } from '@clickwise/redis';
import { testInfra, uniqueName } from '@clickwise/testing';
import { ApiKeyStore, hashKey, RateLimitedError, requireScope } from './api-key.store.js';
import { parseScopes } from './scopes.js';

void describe('ApiKeyStore (real Redis)', () => {
  let redis: RedisClient;
  let keys: RedisKeys;
  let now = 1_790_000_000_500;
  let store: ApiKeyStore;

  before(() => {
    redis = createRedis(testInfra().redisUrl);
    keys = new RedisKeys(`${uniqueName('apikeys')}:`);
    store = new ApiKeyStore(redis, keys, () => now);
  });

  after(async () => {
    try {
      const hashes = Object.values(await redis.hgetall(keys.apiKeyIndex()));
      await redis.del(keys.apiKeyIndex(), ...hashes.map((h) => keys.apiKey(h)));
    } finally {
      redis.disconnect();
    }
  });

  void it('creates a key, stores only its hash, and authenticates it', async () => {
    const { key, record } = await store.create({ name: 'web', scopes: ['ingest'], ratePerSecond: 100 });
    assert.match(key, /^cw_[A-Za-z0-9_-]{32}$/);
    assert.match(record.id, /^key_[0-9a-f]{12}$/);
    const stored = await redis.hgetall(keys.apiKey(hashKey(key)));
    assert.equal(stored.id, record.id);
    assert.ok(!Object.values(stored).includes(key), 'the secret itself is not stored');
    const found = await store.authenticate(key);
    assert.deepEqual(found, record);
  });

  void it('refuses missing, unknown and revoked keys', async () => {
    await assert.rejects(store.authenticate(undefined), UnauthenticatedError);
    await assert.rejects(store.authenticate('cw_nope'), /unknown API key/);
    now += 10;
    const { key, record } = await store.create({ name: 'old', scopes: parseScopes('ingest,backfill') });
    const revoked = await store.revoke(record.id);
    assert.equal(revoked.revokedAtMs, now);
    await assert.rejects(store.authenticate(key), /was revoked/);
    await assert.rejects(store.revoke('key_000000000000'), NotFoundError);
  });

  void it('lists keys in creation order without secrets', async () => {
    const list = await store.list();
    assert.deepEqual(
      list.map((r) => r.name),
      ['web', 'old'],
    );
    assert.ok(list.every((r) => !('key' in r)));
  });

  void it('checks scopes', async () => {
    const { record } = await store.create({ name: 'reader', scopes: ['read'] });
    assert.throws(() => requireScope(record, ['ingest', 'backfill']), ForbiddenError);
    requireScope(record, ['read']);
  });

  void it('limits events per second per key, across calls, and resets the next second', async () => {
    const { record } = await store.create({ name: 'limited', scopes: ['ingest'], ratePerSecond: 10 });
    await store.consumeRate(record, 6);
    await store.consumeRate(record, 6); // crosses the limit: passes
    const error = await store.consumeRate(record, 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof RateLimitedError);
    assert.equal(error.retryAfterMs, 1000 - (now % 1000));
    now += 1000;
    await store.consumeRate(record, 1);
  });

  void it('lets an unlimited key through', async () => {
    const { record } = await store.create({ name: 'bulk', scopes: ['backfill'] });
    for (let i = 0; i < 5; i++) await store.consumeRate(record, 1_000_000);
  });
});
