import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchSender } from './batch-sender.js';
import { IngestClient } from './ingest-client.js';
import { FakeFetch } from './testing/fakes.js';

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
