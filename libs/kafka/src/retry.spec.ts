import { InvalidInputError, UnavailableError } from '@clickwise/errors';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffMs, handleIsolating, type IsolationSteps } from './retry.js';

/** A handler over `records`: all or nothing per range, failing as `failure` says; what happened is kept. */
function harness(records: string[], failure: (range: string[], call: number) => Error | undefined) {
  const handled: string[] = [];
  const rejected: (string | undefined)[] = [];
  const sleeps: number[] = [];
  let calls = 0;
  let alive = true;
  const steps: IsolationSteps<never> = {
    run: (lo, hi) => {
      const range = records.slice(lo, hi);
      const error = failure(range, ++calls);
      if (error) return Promise.reject(error);
      handled.push(...range);
      return Promise.resolve('ok');
    },
    reject: (index) => {
      rejected.push(index === undefined ? undefined : records[index]);
      return Promise.resolve('ok');
    },
    alive: () => alive,
    heartbeat: () => Promise.resolve(),
  };
  const sleep = (ms: number) => {
    sleeps.push(ms);
    return Promise.resolve();
  };
  return { steps, handled, rejected, sleeps, calls: () => calls, stop: () => (alive = false), sleep };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);

void describe('handleIsolating: one retry → bisect → dead-letter policy for both consumer loops', () => {
  void test('non-retriable: bisection isolates exactly the poison records; the rest are handled once, in order', async () => {
    for (const [size, poison] of [[1, ['r0']], [10, ['r4']], [16, ['r0', 'r15']], [33, ['r3', 'r4', 'r20']], [7, ids(7)]] as const) {
      const records = ids(size);
      const bad = new Set<string>(poison);
      const h = harness(records, (range) => (range.some((r) => bad.has(r)) ? new InvalidInputError('bad record') : undefined));
      assert.equal(await handleIsolating(records.length, h.steps, { sleep: h.sleep }), 'ok');
      assert.deepEqual(h.rejected, records.filter((r) => bad.has(r)), `size ${size}: only the poison is dead-lettered`);
      assert.deepEqual(h.handled, records.filter((r) => !bad.has(r)), `size ${size}: every other record once, in order`);
      assert.deepEqual(h.sleeps, [], 'a non-retriable error is not retried');
    }
  });

  void test('retriable: retried with capped exponential backoff until it succeeds, never dead-lettered', async () => {
    const records = ids(5);
    // Far more failures than any "max attempts" would allow: a dependency that is down for a while.
    const h = harness(records, (_range, call) => (call <= 40 ? new UnavailableError('Redis is not answering', 1000) : undefined));
    assert.equal(await handleIsolating(records.length, h.steps, { sleep: h.sleep, maxBackoffMs: 1000 }), 'ok');
    assert.equal(h.calls(), 41);
    assert.deepEqual(h.rejected, []);
    assert.deepEqual(h.handled, records);
    assert.deepEqual(h.sleeps.slice(0, 5), [100, 200, 400, 800, 1000]);
    assert.ok(h.sleeps.every((ms) => ms <= 1000));
  });

  void test('an error without a retriable flag counts as retriable (a plain Error from a driver)', async () => {
    const h = harness(ids(3), (_range, call) => (call <= 2 ? new Error('ECONNRESET') : undefined));
    assert.equal(await handleIsolating(3, h.steps, { sleep: h.sleep }), 'ok');
    assert.deepEqual(h.rejected, []);
    assert.equal(h.handled.length, 3);
  });

  void test('a partition lost while retrying leaves the range unhandled ("stale")', async () => {
    const h = harness(ids(4), (_range, call) => {
      if (call === 3) h.stop();
      return new UnavailableError('Kafka is down', 1000);
    });
    assert.equal(await handleIsolating(4, h.steps, { sleep: h.sleep }), 'stale');
    assert.deepEqual(h.handled, []);
    assert.deepEqual(h.rejected, []);
  });

  void test('settle decides after a failure (a lost reply that was applied); another result ends the walk', async () => {
    const records = ids(4);
    const seen: [number, number][] = [];
    const steps: IsolationSteps<'reopen'> = {
      run: (lo, hi) => {
        seen.push([lo, hi]);
        return Promise.reject(new InvalidInputError('no'));
      },
      settle: (lo) => Promise.resolve(lo === 0 ? undefined : 'reopen'),
      reject: () => Promise.resolve('ok'),
      alive: () => true,
      heartbeat: () => Promise.resolve(),
    };
    assert.equal(await handleIsolating(records.length, steps), 'reopen');
    // [0,4) fails → [0,2) fails → [0,1) fails → rejected; [1,2) fails and settles to 'reopen'.
    assert.deepEqual(seen, [[0, 4], [0, 2], [0, 1], [1, 2]]);
  });

  void test('an empty range that fails for good is moved past with no record', async () => {
    const rejected: (number | undefined)[] = [];
    const steps: IsolationSteps<never> = {
      run: () => Promise.reject(new InvalidInputError('no')),
      reject: (index) => {
        rejected.push(index);
        return Promise.resolve('ok');
      },
      alive: () => true,
      heartbeat: () => Promise.resolve(),
    };
    assert.equal(await handleIsolating(0, steps), 'ok');
    assert.deepEqual(rejected, [undefined]);
  });

  void test('backoff doubles from 100 ms and is capped', () => {
    assert.deepEqual([1, 2, 3, 7, 30].map((n) => backoffMs(n)), [100, 200, 400, 5000, 5000]);
    assert.equal(backoffMs(3, { initialBackoffMs: 10, maxBackoffMs: 25 }), 25);
  });
});
