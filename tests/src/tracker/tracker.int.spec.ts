import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema, EventSource, EventType, shopperKey } from '@clickwise/contracts';
import { testInfra, waitFor } from '@clickwise/testing';
import { createTracker, type TrackInput } from '@clickwise/tracker';
import { ensureKcat, kcatRead, TestScope, type IngestionProcess } from '../ingestion/harness.js';
import { DropFirstResponses } from './drop-first-response.js';

/**
 * The tracker library in Node against the real ingestion service (its own process), read back
 * from clickstream.events.v1 with kcat and decoded: every tracked event is on Kafka exactly once,
 * even though the connection died after the first batch was accepted and the tracker resent it.
 */
void describe('tracker → ingestion → Kafka', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('tracker', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let key: string;

  before(async () => {
    await Promise.all([ensureKcat(), scope.createTopics()]);
    key = (await scope.key('storefront-web', ['ingest'])).key;
    service = await scope.start();
  });

  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  const inputs = (n: number, user: string): TrackInput[] =>
    Array.from({ length: n }, (_, i): TrackInput => {
      switch (i % 5) {
        case 0:
          return { type: 'page_view', context: { page: '/' } };
        case 1:
          return { type: 'search', searchQuery: `red shoes ${i}` };
        case 2:
          return { type: 'product_view', itemId: `item-${i}`, categoryId: 'c1', price: 19.99, currency: 'EUR' };
        case 3:
          return { type: 'add_to_cart', itemId: `item-${i - 1}`, price: 19.99, currency: 'EUR', quantity: 1, userId: user };
        default:
          return { type: 'review', itemId: `item-${i - 2}`, reviewRating: 4, reviewText: 'Gute Schuhe ✓' };
      }
    });

  void test('every tracked event is on Kafka exactly once despite a forced retry', async () => {
    const proxy = new DropFirstResponses(service.httpUrl, 1);
    const endpoint = await proxy.start();
    const tracker = createTracker({
      endpoint,
      key,
      batchSize: 50,
      flushIntervalMs: 20,
      maxInFlight: 1,
      retry: { baseDelayMs: 50, maxDelayMs: 200 },
      anonymousId: 'a-tracker-test',
      sessionId: 's-tracker-test',
    });
    const ids: string[] = [];
    try {
      for (const input of inputs(120, 'u-tracker')) ids.push(tracker.track(input));
      await tracker.close();
    } finally {
      await proxy.stop();
    }
    const stats = tracker.stats();
    assert.ok(proxy.seen[0]?.dropped && proxy.seen[0].status === 200, 'the first batch was accepted, its answer dropped');
    assert.equal(stats.retries, 1);
    assert.equal(stats.duplicates, 50, 'the resent batch was recognised as duplicates');
    assert.equal(stats.accepted, 70);
    assert.equal(stats.failed + stats.rejected + stats.dropped, 0);

    const records = await waitFor(
      async () => {
        const read = await kcatRead(kafkaBrokers, scope.eventsTopic);
        return read.length >= ids.length ? read : undefined;
      },
      { timeoutMs: 20_000, message: `${ids.length} records` },
    );
    // kcat read to the end of every partition: this is all there is.
    assert.equal(records.length, ids.length, 'no event twice');
    const events = records.map((r) => ({ key: r.key, event: fromBinary(EventSchema, r.value) }));
    assert.deepEqual(events.map((e) => e.event.eventId).sort(), [...ids].sort());
    for (const { key: recordKey, event } of events) {
      assert.equal(event.source, EventSource.TRACKER);
      assert.equal(event.sessionId, 's-tracker-test');
      assert.equal(event.anonymousId, 'a-tracker-test');
      assert.equal(recordKey, shopperKey(event));
      assert.ok(Math.abs(Number(event.eventTimeMs) - Date.now()) < 60_000, 'tracker stamped the event time');
    }
    const review = events.find((e) => e.event.type === EventType.REVIEW)?.event;
    assert.equal(review?.reviewText, 'Gute Schuhe ✓');
    assert.equal(review?.reviewRating, 4);
    assert.equal(events.filter((e) => e.event.type === EventType.ADD_TO_CART).every((e) => e.event.userId === 'u-tracker'), true);
  });

  void test('the unload path (key in the URL, text/plain body) delivers too', async () => {
    // Node has no sendBeacon: beaconNow falls back to a keepalive fetch with the same URL and body.
    const tracker = createTracker({ endpoint: service.httpUrl, key, flushIntervalMs: 60_000, sessionId: 's-unload', anonymousId: 'a-unload' });
    const ids = Array.from({ length: 30 }, (_, i) => tracker.track({ type: 'product_view', itemId: `u-${i}` }));
    assert.equal(tracker.beaconNow(), 30);
    assert.equal(tracker.stats().queued, 0);
    const found = await waitFor(
      async () => {
        const read = (await kcatRead(kafkaBrokers, scope.eventsTopic)).map((r) => fromBinary(EventSchema, r.value)).filter((e) => e.sessionId === 's-unload');
        return read.length >= ids.length ? read : undefined;
      },
      { timeoutMs: 20_000, message: 'beaconed events on Kafka' },
    );
    assert.deepEqual(found.map((e) => e.eventId).sort(), [...ids].sort());
    await tracker.close();
  });

  void test('a key without the ingest scope is refused and nothing is retried', async () => {
    const readOnly = (await scope.key('reader', ['read'])).key;
    const errors: string[] = [];
    const tracker = createTracker({ endpoint: service.httpUrl, key: readOnly, onError: (e) => errors.push(`${e.kind} ${e.status}`) });
    tracker.track({ type: 'page_view' });
    await tracker.close();
    assert.deepEqual(errors, ['failed 403']);
    assert.equal(tracker.stats().requests, 1);
  });
});
