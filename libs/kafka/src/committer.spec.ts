import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AdapterConsumer } from './adapter.js';
import { OffsetCommitter } from './committer.js';

type Offsets = readonly { topic: string; partition: number; offset: string }[];

/** The committer's only use of a consumer is `commit`: this one records each request and lets the test answer it. */
function recordingConsumer() {
  const requests: { offsets: Offsets; settle: (error?: Error) => void }[] = [];
  const consumer = {
    commit: (offsets: Offsets) =>
      new Promise<void>((resolve, reject) => {
        requests.push({ offsets, settle: (error) => (error ? reject(error) : resolve()) });
      }),
  } as unknown as AdapterConsumer;
  return { consumer, requests };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const byPartition = (offsets: Offsets) => Object.fromEntries(offsets.map((o) => [o.partition, o.offset]));

void test('offsets noted in one turn go out as one request; while it is in flight, newer ones wait and coalesce into the next', async () => {
  const { consumer, requests } = recordingConsumer();
  const committer = new OffsetCommitter(consumer, 't', () => assert.fail('no commit failed'), 0);
  committer.note(0, '10');
  committer.note(1, '5');
  committer.note(0, '12');
  await tick();
  assert.equal(requests.length, 1);
  assert.deepEqual(byPartition(requests[0]!.offsets), { 0: '12', 1: '5' });
  assert.ok(requests[0]!.offsets.every((o) => o.topic === 't'));
  committer.note(1, '6');
  committer.note(1, '9');
  committer.note(2, '1');
  await tick();
  assert.equal(requests.length, 1, 'at most one request in flight');
  requests[0]!.settle();
  await tick();
  await tick();
  assert.equal(requests.length, 2);
  assert.deepEqual(byPartition(requests[1]!.offsets), { 1: '9', 2: '1' });
  requests[1]!.settle();
  await committer.flush();
  assert.equal(requests.length, 2, 'nothing left to commit');
});

void test('a failed commit is reported and tried again unless a newer offset superseded it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { consumer, requests } = recordingConsumer();
  const failures: number[][] = [];
  const committer = new OffsetCommitter(consumer, 't', (_error, partitions) => failures.push([...partitions]), 0);
  committer.note(0, '10');
  committer.note(1, '20');
  await tick();
  committer.note(1, '25');
  requests[0]!.settle(new Error('The coordinator is loading'));
  await tick();
  assert.deepEqual(failures, [[0, 1]]);
  // The retry waits (no request yet), then sends partition 0's failed offset and partition 1's newer one.
  assert.equal(requests.length, 1);
  t.mock.timers.tick(1000);
  await tick();
  assert.equal(requests.length, 2);
  assert.deepEqual(byPartition(requests[1]!.offsets), { 0: '10', 1: '25' });
  requests[1]!.settle();
  await committer.flush();
});

void test('after a rebalance, offsets of partitions the member lost are not committed', async () => {
  const { consumer, requests } = recordingConsumer();
  const committer = new OffsetCommitter(consumer, 't', () => assert.fail('no commit failed'), 0);
  committer.note(0, '10');
  committer.note(3, '7');
  committer.assigned([3]);
  await tick();
  assert.deepEqual(byPartition(requests[0]!.offsets), { 3: '7' });
  requests[0]!.settle();
  await tick();
  committer.note(0, '11');
  await tick();
  assert.equal(requests.length, 1, 'partition 0 is no longer owned');
  await committer.flush();
});

void test('flush commits what is noted and waits for it; after it, nothing more is sent', async () => {
  const { consumer, requests } = recordingConsumer();
  const committer = new OffsetCommitter(consumer, 't', () => undefined, 0);
  committer.note(0, '10');
  await tick();
  committer.note(0, '11');
  let flushed = false;
  const flushing = committer.flush().then(() => (flushed = true));
  await tick();
  assert.equal(flushed, false);
  requests[0]!.settle();
  await tick();
  await tick();
  assert.equal(requests.length, 2, 'the offset noted during the first request');
  assert.deepEqual(byPartition(requests[1]!.offsets), { 0: '11' });
  assert.equal(flushed, false, 'flush waits for the last request');
  requests[1]!.settle();
  await flushing;
  committer.note(0, '12');
  await tick();
  assert.equal(requests.length, 2);
});

void test('at most one request per interval: offsets noted meanwhile wait for it and go out together', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const { consumer, requests } = recordingConsumer();
  const committer = new OffsetCommitter(consumer, 't', () => assert.fail('no commit failed'), 1000);
  committer.note(0, '10');
  await tick();
  assert.equal(requests.length, 1, 'the first goes at once');
  requests[0]!.settle();
  await tick();
  t.mock.timers.tick(300);
  committer.note(0, '11');
  committer.note(1, '3');
  await tick();
  t.mock.timers.tick(400);
  committer.note(0, '12');
  await tick();
  assert.equal(requests.length, 1, 'nothing before the interval is up');
  t.mock.timers.tick(300);
  await tick();
  assert.equal(requests.length, 2);
  assert.deepEqual(byPartition(requests[1]!.offsets), { 0: '12', 1: '3' });
  requests[1]!.settle();
  // flush does not wait for the interval.
  committer.note(1, '4');
  const flushing = committer.flush();
  await tick();
  await tick();
  assert.equal(requests.length, 3);
  requests[2]!.settle();
  await flushing;
});
