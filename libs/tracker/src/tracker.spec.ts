import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeFetch, ManualScheduler, settle } from './testing/fakes.js';
import { chunkEvents, createTracker, utf8Length, type PageLike, type TrackerError, type TrackerOptions } from './tracker.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function setup(options: Partial<TrackerOptions> = {}) {
  const clock = new ManualScheduler();
  const http = new FakeFetch();
  const errors: TrackerError[] = [];
  const tracker = createTracker({
    endpoint: 'http://ingest.test',
    key: 'pk_test',
    scheduler: clock,
    fetch: http.fetch,
    page: false,
    sendBeacon: false,
    random: () => 0.5,
    onError: (e) => errors.push(e),
    ...options,
  });
  return { clock, http, tracker, errors };
}

class FakePage implements PageLike {
  private listeners = new Map<string, Set<() => void>>();
  readonly window = this.target();
  readonly document = Object.assign(this.target(), { visibilityState: 'visible' });

  private target() {
    return {
      addEventListener: (type: string, fn: () => void) => {
        if (!this.listeners.has(type)) this.listeners.set(type, new Set());
        this.listeners.get(type)?.add(fn);
      },
      removeEventListener: (type: string, fn: () => void) => {
        this.listeners.get(type)?.delete(fn);
      },
    };
  }

  fire(type: string): void {
    for (const fn of this.listeners.get(type) ?? []) fn();
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

void describe('tracker', () => {
  void test('track is synchronous: it stamps a UUID and the time, and sends nothing yet', () => {
    const { clock, http, tracker } = setup();
    const id = tracker.track({ type: 'product_view', itemId: '42' });
    assert.match(id, UUID);
    assert.equal(http.requests.length, 0);
    assert.equal(tracker.stats().queued, 1);
    assert.equal(clock.pending(), 1);
  });

  void test('fills eventId, eventTime, sessionId and anonymousId; keeps what the caller gave', async () => {
    const { clock, http, tracker } = setup({ sessionId: 's-1', anonymousId: 'a-1', batchSize: 2 });
    tracker.identify('u-7');
    tracker.track({ type: 'page_view' });
    tracker.track({ type: 'search', searchQuery: 'red shoes', eventId: 'my-id', eventTime: 123, sessionId: 's-2', context: { page: '/s' } });
    await clock.advance(0);
    const [first, second] = http.requests[0]?.body.events ?? [];
    assert.equal(first?.eventTime, clock.now());
    assert.equal(first?.sessionId, 's-1');
    assert.equal(first?.anonymousId, 'a-1');
    assert.equal(first?.userId, 'u-7');
    assert.deepEqual(second, {
      type: 'search',
      searchQuery: 'red shoes',
      eventId: 'my-id',
      eventTime: 123,
      sessionId: 's-2',
      source: 'tracker',
      userId: 'u-7',
      anonymousId: 'a-1',
      context: { page: '/s' },
    });
  });

  void test('ids are unique', () => {
    const { tracker } = setup({ maxQueue: 10_000 });
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) ids.add(tracker.track({ type: 'page_view' }));
    assert.equal(ids.size, 5000);
  });

  void test('a full batch goes at once; a partial one after flushIntervalMs', async () => {
    const { clock, http, tracker } = setup({ batchSize: 3, flushIntervalMs: 1000 });
    for (let i = 0; i < 4; i++) tracker.track({ type: 'product_view', itemId: String(i) });
    await clock.advance(0);
    assert.equal(http.requests.length, 1);
    assert.equal(http.requests[0]?.body.events.length, 3);
    await clock.advance(999);
    assert.equal(http.requests.length, 1);
    await clock.advance(1);
    assert.equal(http.requests.length, 2);
    assert.deepEqual(
      http.requests[1]?.body.events.map((e) => e.itemId),
      ['3'],
    );
    assert.equal(tracker.stats().accepted, 4);
  });

  void test('posts JSON to /v1/events with the key in x-api-key', async () => {
    const { clock, http, tracker } = setup({ batchSize: 1 });
    tracker.track({ type: 'page_view' });
    await clock.advance(0);
    const req = http.requests[0];
    assert.equal(req?.url, 'http://ingest.test/v1/events');
    assert.equal(req?.init.headers['x-api-key'], 'pk_test');
    assert.equal(req?.init.headers['content-type'], 'application/json');
  });

  void test('splits batches by bytes', async () => {
    const { clock, http, tracker } = setup({ batchSize: 100, maxBatchBytes: 2000 });
    for (let i = 0; i < 100; i++) tracker.track({ type: 'review', itemId: 'i', reviewRating: 5, reviewText: 'x'.repeat(100) });
    await clock.advance(0);
    assert.ok(http.requests.length > 5, 'what a byte cut leaves is sent at once');
    for (const r of http.requests) assert.ok(utf8Length(r.init.body) <= 2000, `body of ${utf8Length(r.init.body)} bytes`);
    assert.equal(http.eventIds().length, 100);
    assert.equal(new Set(http.eventIds()).size, 100);
  });

  void test('retries 503 after Retry-After with the same ids, then succeeds', async () => {
    const { clock, http, tracker } = setup({ batchSize: 2 });
    http.reply({ status: 503, headers: { 'retry-after': '3' }, body: { message: 'kafka unavailable' } });
    tracker.track({ type: 'page_view' });
    tracker.track({ type: 'page_view' });
    await clock.advance(0);
    assert.equal(http.requests.length, 1);
    await clock.advance(2999);
    assert.equal(http.requests.length, 1, 'waits at least Retry-After');
    await clock.advance(2000);
    assert.equal(http.requests.length, 2);
    assert.deepEqual(http.requests[1]?.body.events.map((e) => e.eventId), http.requests[0]?.body.events.map((e) => e.eventId));
    const stats = tracker.stats();
    assert.equal(stats.retries, 1);
    assert.equal(stats.accepted, 2);
    assert.equal(stats.queued, 0);
  });

  void test('retries 429 and network errors with growing backoff', async () => {
    const { clock, http, tracker } = setup({ batchSize: 1, retry: { baseDelayMs: 100, maxDelayMs: 10_000 }, random: () => 0.999 });
    http.reply(new TypeError('fetch failed'), { status: 429 }, { status: 500 });
    tracker.track({ type: 'page_view' });
    const times: number[] = [];
    for (let i = 0; i < 200 && http.requests.length < 4; i++) {
      const before = http.requests.length;
      await clock.advance(10);
      if (http.requests.length > before) times.push(clock.now());
    }
    assert.equal(http.requests.length, 4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // full jitter with random ≈ 1: ~100, ~200, ~400 ms (rounded up to the 10 ms steps).
    assert.ok((gaps[0] ?? 0) >= 90 && (gaps[1] ?? 0) >= 190 && (gaps[2] ?? 0) >= 390, `gaps ${gaps.join(',')}`);
    assert.equal(tracker.stats().accepted, 1);
  });

  for (const status of [400, 401, 403, 404, 413]) {
    void test(`does not retry HTTP ${status}`, async () => {
      const { clock, http, tracker, errors } = setup({ batchSize: 1 });
      http.reply({ status, body: { message: 'no' } });
      tracker.track({ type: 'page_view' });
      await clock.advance(60_000);
      assert.equal(http.requests.length, 1);
      assert.equal(tracker.stats().failed, 1);
      assert.equal(errors[0]?.kind, 'failed');
      assert.equal(errors[0]?.status, status);
    });
  }

  void test('gives up after maxAttempts and reports the events as failed', async () => {
    const { clock, http, tracker, errors } = setup({ batchSize: 1, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10 } });
    http.reply({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const id = tracker.track({ type: 'page_view' });
    await clock.advance(1000);
    assert.equal(http.requests.length, 3);
    assert.equal(tracker.stats().failed, 1);
    assert.deepEqual(errors[0]?.eventIds, [id]);
  });

  void test('reports events the server rejected and does not resend them', async () => {
    const { clock, http, tracker, errors } = setup({ batchSize: 2 });
    http.reply({ status: 200, body: { accepted: 1, duplicates: 0, rejected: [{ index: 1, field: 'events[1].itemId', reason: 'required' }] } });
    tracker.track({ type: 'page_view' });
    const bad = tracker.track({ type: 'product_view' });
    await clock.advance(5000);
    assert.equal(http.requests.length, 1);
    assert.equal(tracker.stats().rejected, 1);
    assert.deepEqual(errors[0]?.eventIds, [bad]);
    assert.match(errors[0]?.reason ?? '', /itemId: required/);
  });

  void test('a bounded queue drops the oldest events and counts them', async () => {
    const { clock, http, tracker, errors } = setup({ batchSize: 1000, maxQueue: 5, flushIntervalMs: 100 });
    const ids = Array.from({ length: 8 }, () => tracker.track({ type: 'page_view' }));
    assert.equal(tracker.stats().dropped, 3);
    assert.deepEqual(errors.flatMap((e) => e.eventIds), ids.slice(0, 3));
    await clock.advance(100);
    assert.deepEqual(http.eventIds(), ids.slice(3));
  });

  void test('the bound also holds while Kafka is down (retries keep only the newest)', async () => {
    const { clock, http, tracker } = setup({ batchSize: 10, maxQueue: 20, retry: { maxAttempts: 100, baseDelayMs: 1000, maxDelayMs: 1000 } });
    for (let i = 0; i < 50; i++) http.reply({ status: 503, headers: { 'retry-after': '1' } });
    for (let i = 0; i < 500; i++) {
      tracker.track({ type: 'page_view' });
      if (i % 10 === 0) await clock.advance(100);
    }
    const stats = tracker.stats();
    assert.ok(stats.queued + stats.inFlight <= 30, `held ${stats.queued} + ${stats.inFlight}`);
    assert.ok(stats.dropped >= 470, `dropped ${stats.dropped}`);
  });

  void test('limits requests in flight', async () => {
    const { clock, http, tracker } = setup({ batchSize: 1, maxInFlight: 2 });
    http.hold = true;
    for (let i = 0; i < 5; i++) tracker.track({ type: 'page_view' });
    await clock.advance(0);
    assert.equal(http.requests.length, 2);
    assert.equal(tracker.stats().inFlight, 2);
    http.hold = false;
    http.release();
    await clock.advance(0);
    await clock.advance(0);
    assert.equal(http.requests.length, 5);
    assert.equal(http.maxConcurrent, 2);
    assert.equal(tracker.stats().accepted, 5);
  });

  void test('flush resolves once everything was delivered; close drops later events', async () => {
    const { http, tracker } = setup({ scheduler: undefined, batchSize: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) tracker.track({ type: 'page_view' });
    await tracker.close();
    assert.equal(http.eventIds().length, 25);
    tracker.track({ type: 'page_view' });
    await settle();
    assert.equal(http.eventIds().length, 25);
    assert.equal(tracker.stats().dropped, 1);
  });

  void test('on pagehide the queue goes to sendBeacon: key in the URL, text/plain JSON body', async () => {
    const page = new FakePage();
    const beacons: { url: string; data: string }[] = [];
    const { clock, http, tracker } = setup({
      page,
      sendBeacon: (url, data) => {
        beacons.push({ url, data });
        return true;
      },
      key: 'pk test/1',
      flushIntervalMs: 60_000,
    });
    const ids = [tracker.track({ type: 'page_view' }), tracker.track({ type: 'add_to_cart', itemId: '9' })];
    page.fire('pagehide');
    assert.equal(beacons.length, 1);
    assert.equal(beacons[0]?.url, 'http://ingest.test/v1/events?key=pk%20test%2F1');
    const body = JSON.parse(beacons[0]?.data ?? '{}') as { events: { eventId: string }[] };
    assert.deepEqual(
      body.events.map((e) => e.eventId),
      ids,
    );
    assert.equal(tracker.stats().beaconed, 2);
    assert.equal(tracker.stats().queued, 0);
    await clock.advance(120_000);
    assert.equal(http.requests.length, 0, 'beaconed events are not sent again');
  });

  void test('visibilitychange to hidden beacons too, and splits beacons under 64 KiB', () => {
    const page = new FakePage();
    const beacons: string[] = [];
    const { tracker } = setup({
      page,
      sendBeacon: (_url, data) => {
        beacons.push(data);
        return true;
      },
      flushIntervalMs: 60_000,
      batchSize: 1000,
    });
    for (let i = 0; i < 300; i++) tracker.track({ type: 'review', itemId: 'i', reviewRating: 4, reviewText: 'y'.repeat(500) });
    page.fire('visibilitychange');
    assert.equal(beacons.length, 0, 'still visible');
    page.document.visibilityState = 'hidden';
    page.fire('visibilitychange');
    assert.ok(beacons.length >= 3);
    for (const b of beacons) assert.ok(utf8Length(b) <= 60_000);
    assert.equal(beacons.reduce((n, b) => n + (JSON.parse(b) as { events: unknown[] }).events.length, 0), 300);
  });

  void test('when sendBeacon refuses, falls back to a keepalive fetch', () => {
    const page = new FakePage();
    const { http, tracker } = setup({ page, sendBeacon: () => false, flushIntervalMs: 60_000 });
    tracker.track({ type: 'page_view' });
    page.fire('pagehide');
    assert.equal(http.requests.length, 1);
    assert.equal(http.requests[0]?.init.keepalive, true);
    assert.match(http.requests[0]?.url ?? '', /\?key=pk_test$/);
  });

  void test('close removes the page listeners', async () => {
    const page = new FakePage();
    const { tracker } = setup({ page });
    assert.equal(page.listenerCount(), 2);
    await tracker.close();
    assert.equal(page.listenerCount(), 0);
  });

  void test('100k calls are all kept, in order, with distinct ids (cost per call: `clickwise bench clients`)', () => {
    const { tracker } = setup({ maxQueue: 200_000, batchSize: 1000, flushIntervalMs: 60_000 });
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) ids.add(tracker.track({ type: 'product_view', itemId: String(i) }));
    assert.equal(ids.size, 100_000);
    const stats = tracker.stats();
    assert.equal(stats.tracked, 100_000);
    assert.equal(stats.queued + stats.inFlight, 100_000);
  });
});

void describe('chunkEvents', () => {
  void test('respects event and byte limits and keeps order', () => {
    const events = Array.from({ length: 25 }, (_, i) => ({ eventId: `e${i}`, type: 'page_view' as const, sessionId: 's', eventTime: i }));
    const chunks = chunkEvents(events, 10, 1_000_000);
    assert.deepEqual(
      chunks.map((c) => c.length),
      [10, 10, 5],
    );
    assert.deepEqual(chunks.flat(), events);
    const small = chunkEvents(events, 100, 200);
    for (const c of small) assert.ok(utf8Length(JSON.stringify({ events: c })) <= 200);
    assert.deepEqual(small.flat(), events);
  });

  void test('utf8Length matches TextEncoder', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀é€z']) assert.equal(utf8Length(s), new TextEncoder().encode(s).length);
  });
});
