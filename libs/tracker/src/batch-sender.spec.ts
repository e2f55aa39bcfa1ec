import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchSender } from './batch-sender.js';
import type { HttpEvent } from './event.js';
import { IngestClient, type SendResult } from './ingest-client.js';
import { FakeFetch, settle } from './testing/fakes.js';

const batch = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ eventId: `e${from + i}`, type: 'page_view' as const, sessionId: 's', anonymousId: 'a', eventTime: 1 }));

void test('BatchSender bounds requests in flight and adds up the answers', async () => {
  const http = new FakeFetch();
  http.hold = true;
  http.reply(
    { status: 200, body: { accepted: 9, duplicates: 1, rejected: [] } },
    { status: 200, body: { accepted: 8, duplicates: 0, rejected: [{ index: 2, field: 'events[2].itemId', reason: 'is required' }, { index: 3, field: 'events[3].itemId', reason: 'is required' }] } },
  );
  const client = new IngestClient({ endpoint: 'http://h', key: 'k', fetch: http.fetch, sleep: () => Promise.resolve() });
  const sender = new BatchSender(client, { concurrency: 2 });
  await sender.submit(batch(10));
  await sender.submit(batch(10, 10));
  let third = false;
  const pending = sender.submit(batch(10, 20)).then(() => (third = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(third, false, 'the third batch waits for a slot');
  assert.equal(http.requests.length, 2);
  http.hold = false;
  http.release();
  await pending;
  await sender.drain();
  assert.equal(http.maxConcurrent, 2);
  assert.deepEqual(sender.totals, { batches: 3, sent: 30, accepted: 27, duplicates: 1, rejected: 2, failed: 0, reasons: { 'itemId: is required': 2 } });
});

void test('BatchSender stops sending after 401/403', async () => {
  const http = new FakeFetch().reply({ status: 403, body: { message: 'the key lacks the backfill scope' } });
  const client = new IngestClient({ endpoint: 'http://h', key: 'k', fetch: http.fetch });
  const sender = new BatchSender(client, { concurrency: 1 });
  await sender.submit(batch(5));
  await sender.submit(batch(5, 5));
  await sender.drain();
  assert.equal(http.requests.length, 1);
  assert.equal(sender.totals.failed, 10);
  assert.equal(sender.totals.fatal, 'HTTP 403: the key lacks the backfill scope');
});

/** A client whose answers the test gives one by one, in any order. */
class ManualClient {
  readonly pending: { events: readonly HttpEvent[]; answer: () => void }[] = [];
  send(events: readonly HttpEvent[]): Promise<SendResult> {
    return new Promise((resolve) => {
      this.pending.push({ events, answer: () => resolve({ ok: true, accepted: events.length, duplicates: 0, rejected: [], attempts: 1 }) });
    });
  }
  /** Answers the request that carries event `first` (its first event's time). */
  answer(first: number): void {
    const i = this.pending.findIndex((p) => p.events[0]?.eventTime === first);
    assert.ok(i >= 0, `a request starting at ${first} is in flight`);
    this.pending.splice(i, 1)[0]!.answer();
  }
}

const timed = (times: number[]): HttpEvent[] =>
  times.map((t) => ({ eventId: `t${t}`, type: 'page_view' as const, sessionId: 's', anonymousId: 'a', eventTime: t }));

void test('BatchSender with maxLeadMs: a batch starts only within the lead of the oldest unacknowledged event', async () => {
  const client = new ManualClient();
  const sender = new BatchSender(client, { concurrency: 8, maxLeadMs: 10 });
  await sender.submit(timed([0, 2, 4]));
  await sender.submit(timed([5, 7, 10])); // 10 - 0 <= 10: starts
  let third = false;
  const pending = sender.submit(timed([15, 19])).then(() => (third = true));
  await settle();
  assert.equal(client.pending.length, 2, 'slots are free, but 19 is more than 10 ahead of 0');
  client.answer(5); // the later request finishes first: the oldest unacknowledged is still 0
  await settle();
  assert.equal(third, false);
  client.answer(0);
  await pending;
  assert.equal(client.pending.length, 1);
  assert.equal(sender.watermarkWaits > 0, true);
  client.answer(15);
  await sender.drain();
  assert.equal(sender.totals.accepted, 8);
});

void test('BatchSender with maxLeadMs: whatever order answers come in, no event lands more than the lead behind a newer one', async () => {
  // Event times with gaps (like a sparse export), sent in batches of 7 at concurrency 8; answers
  // come back in random order. The log is what Kafka would hold, in acknowledgement order.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const times: number[] = [];
  for (let t = 0, i = 0; i < 700; i++) times.push((t += Math.floor(random() * 20)));
  const lead = 50;
  const client = new ManualClient();
  const sender = new BatchSender(client, { concurrency: 8, maxLeadMs: lead });
  const log: number[] = [];
  const answerSome = () => {
    while (client.pending.length > 0 && random() < 0.6) {
      const p = client.pending[Math.floor(random() * client.pending.length)]!;
      for (const e of p.events) log.push(e.eventTime as number);
      client.answer(p.events[0]!.eventTime as number);
    }
  };
  const timer = setInterval(answerSome, 0);
  for (let i = 0; i < times.length; i += 7) await sender.submit(timed(times.slice(i, i + 7)));
  const drained = sender.drain();
  while (client.pending.length > 0) {
    answerSome();
    await settle();
  }
  await drained;
  clearInterval(timer);
  assert.equal(log.length, 700);
  let clock = Number.NEGATIVE_INFINITY;
  let worst = 0;
  for (const t of log) {
    worst = Math.max(worst, clock - t);
    clock = Math.max(clock, t);
  }
  assert.ok(worst <= lead, `an event landed ${worst} behind the newest before it (lead ${lead})`);
  assert.ok(sender.watermarkWaits > 0);
});

void test('BatchSender splits a submission over maxEvents into requests in order (a pacer that fell behind hands it one large batch)', async () => {
  const client = new ManualClient();
  const sender = new BatchSender(client, { concurrency: 8 });
  const events = Array.from({ length: 2746 }, (_, i) => ({ eventId: `e${i}`, type: 'page_view' as const, sessionId: 's', anonymousId: 'a', eventTime: i }));
  await sender.submit(events);
  assert.deepEqual(
    client.pending.map((p) => [p.events[0]!.eventId, p.events.length]),
    [
      ['e0', 1000],
      ['e1000', 1000],
      ['e2000', 746],
    ],
  );
  for (const p of client.pending.splice(0)) p.answer();
  await sender.drain();
  assert.deepEqual([sender.totals.batches, sender.totals.sent, sender.totals.accepted, sender.totals.failed], [3, 2746, 2746, 0]);

  const small = new BatchSender(client, { concurrency: 1, maxEvents: 2 });
  let done = false;
  const pending = small.submit(events.slice(0, 5)).then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([client.pending.length, done], [1, false], 'each part waits for its own slot');
  while (!done) {
    client.pending.shift()?.answer();
    await new Promise((r) => setImmediate(r));
  }
  await pending;
  assert.equal(small.totals.batches, 3);
});
