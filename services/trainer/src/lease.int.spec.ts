import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRedis, RedisKeys } from '@clickwise/redis';
import { testInfra, uniqueName } from '@clickwise/testing';
import { RedisLease } from './lease.js';

void describe('trainer lease (real Redis)', () => {
  const redis = createRedis(testInfra().redisUrl, { connectionName: 'trainer-lease-test' });
  const keys = new RedisKeys(`${uniqueName('lease')}:`);
  after(async () => {
    await redis.del(keys.trainerLease(), keys.trainerFence(), keys.trainerState());
    await redis.quit();
  });

  void it('is exclusive, renews itself, fences a stale holder out and is deleted only by its holder', async () => {
    const a = new RedisLease(redis, keys, 'a', 600);
    const b = new RedisLease(redis, keys, 'b', 600);
    const heldA = await a.acquire();
    assert.ok(heldA);
    assert.equal(await b.acquire(), undefined, 'held: nobody else gets it');
    assert.deepEqual({ ...(await b.holder())!, ttlMs: 0 }, { token: heldA.token, instanceId: 'a', ttlMs: 0 });

    // Renewed every 200 ms: still held well past the TTL.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await b.acquire(), undefined);
    assert.ok(await heldA.stillHeld());
    assert.ok(await heldA.writeIfHeld(keys.trainerState(), 'from a'));

    // A stalls past its TTL (simulated: the key lapses) and B takes the lease with a larger token.
    await redis.del(keys.trainerLease());
    const heldB = await b.acquire();
    assert.ok(heldB);
    assert.ok(heldB.token > heldA.token);
    assert.equal(await heldA.writeIfHeld(keys.trainerState(), 'stale a'), false, 'a fenced write of the old holder is refused');
    assert.equal(await redis.get(keys.trainerState()), 'from a');
    assert.ok(heldA.lost);
    assert.match(String((heldA.signal.reason as Error).message), /no longer ours/);
    assert.equal(await heldA.release(), false, 'the old holder does not delete the new lease');
    assert.equal((await a.holder())?.instanceId, 'b');
    assert.ok(await heldB.writeIfHeld(keys.trainerState(), 'from b'));

    assert.equal(await heldB.release(), true);
    assert.equal(await redis.exists(keys.trainerLease()), 0);
    const again = await a.acquire();
    assert.ok(again && again.token > heldB.token);
    await again.release();
  });
});
