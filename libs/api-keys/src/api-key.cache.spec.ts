import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnauthenticatedError, UnavailableError } from '@clickwise/errors';
import { ApiKeyCache } from './api-key.cache.js';
import type { ApiKeyRecord } from './api-key.store.js';

const record: ApiKeyRecord = { id: 'key_1', name: 'web', scopes: ['ingest'], ratePerSecond: 0, createdAtMs: 1 };

/** A plain fake store: answers per secret, counts calls, can be made to fail or to hold answers. */
function fakeStore() {
  const state = { calls: 0, revoked: false, down: false, pending: [] as (() => void)[], hold: false };
  const lookup = (secret: string | undefined): Promise<ApiKeyRecord> => {
    state.calls++;
    const answer = (): Promise<ApiKeyRecord> => {
      if (!secret) return Promise.reject(new UnauthenticatedError('an API key is required'));
      if (state.down) return Promise.reject(new UnavailableError('redis down', 1000));
      if (secret !== 'good') return Promise.reject(new UnauthenticatedError('unknown API key'));
      if (state.revoked) return Promise.reject(new UnauthenticatedError('API key key_1 was revoked'));
      return Promise.resolve(record);
    };
    if (!state.hold) return answer();
    return new Promise((resolve, reject) => state.pending.push(() => void answer().then(resolve, reject)));
  };
  return { state, lookup };
}

void describe('ApiKeyCache', () => {
  void it('reuses a record for the TTL, then asks again (a revoke bites within the TTL)', async () => {
    let now = 1000;
    const { state, lookup } = fakeStore();
    const cache = new ApiKeyCache(lookup, { ttlMs: 1000, now: () => now });
    assert.deepEqual(await cache.authenticate('good'), record);
    assert.deepEqual(await cache.authenticate('good'), record);
    assert.equal(state.calls, 1);
    state.revoked = true;
    now += 999;
    assert.deepEqual(await cache.authenticate('good'), record, 'still cached just before the TTL');
    now += 1;
    await assert.rejects(cache.authenticate('good'), /was revoked/);
    assert.equal(state.calls, 2);
  });

  void it('caches refusals (unknown, revoked) for the negative TTL', async () => {
    let now = 0;
    const { state, lookup } = fakeStore();
    const cache = new ApiKeyCache(lookup, { ttlMs: 1000, negativeTtlMs: 200, now: () => now });
    await assert.rejects(cache.authenticate('nope'), /unknown/);
    await assert.rejects(cache.authenticate('nope'), /unknown/);
    assert.equal(state.calls, 1);
    now += 200;
    await assert.rejects(cache.authenticate('nope'), /unknown/);
    assert.equal(state.calls, 2);
  });

  void it('does not cache a missing key or a store failure', async () => {
    const { state, lookup } = fakeStore();
    const cache = new ApiKeyCache(lookup, { ttlMs: 1000, now: () => 0 });
    await assert.rejects(cache.authenticate(undefined), UnauthenticatedError);
    await assert.rejects(cache.authenticate(''), UnauthenticatedError);
    state.down = true;
    await assert.rejects(cache.authenticate('good'), UnavailableError);
    state.down = false;
    assert.deepEqual(await cache.authenticate('good'), record, 'the failure was forgotten');
    assert.equal(state.calls, 4);
  });

  void it('shares one lookup among concurrent requests', async () => {
    const { state, lookup } = fakeStore();
    state.hold = true;
    const cache = new ApiKeyCache(lookup, { ttlMs: 1000, now: () => 0 });
    const answers = Promise.all(Array.from({ length: 50 }, () => cache.authenticate('good')));
    assert.equal(state.calls, 1);
    for (const release of state.pending) release();
    assert.equal((await answers).length, 50);
  });

  void it('stays bounded: the oldest entry goes first', async () => {
    const { lookup } = fakeStore();
    const cache = new ApiKeyCache(lookup, { ttlMs: 1000, maxEntries: 3, now: () => 0 });
    for (let i = 0; i < 10; i++) await cache.authenticate(`random-${i}`).catch(() => undefined);
    assert.equal(cache.size, 3);
  });

  void it('with TTL 0 every call goes to the store', async () => {
    const { state, lookup } = fakeStore();
    const cache = new ApiKeyCache(lookup, { ttlMs: 0 });
    await cache.authenticate('good');
    await cache.authenticate('good');
    assert.equal(state.calls, 2);
  });
});
