import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventsUrl, IngestClient, keyedUrl } from './ingest-client.js';
import { backoffDelay, parseRetryAfter } from './retry.js';
import { FakeFetch } from './testing/fakes.js';

const event = (id: string) => ({ eventId: id, type: 'page_view' as const, sessionId: 's', anonymousId: 'a', eventTime: 1 });

function client(http: FakeFetch, sleeps: number[], extra: Partial<ConstructorParameters<typeof IngestClient>[0]> = {}) {
  return new IngestClient({
    endpoint: 'http://h:8080/',
    key: 'k',
    fetch: http.fetch,
    random: () => 0.5,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    now: () => 0,
    ...extra,
  });
}

void describe('IngestClient.send', () => {
  void test('returns the counts of a 200', async () => {
    const http = new FakeFetch().reply({ status: 200, body: { accepted: 1, duplicates: 1, rejected: [] } });
    const result = await client(http, []).send([event('a'), event('b')]);
    assert.deepEqual(result, { ok: true, status: 200, accepted: 1, duplicates: 1, rejected: [], attempts: 1 });
    assert.equal(http.requests[0]?.url, 'http://h:8080/v1/events');
  });

  void test('retries 429/503/network with Retry-After honoured, same body each time', async () => {
    const http = new FakeFetch().reply(
      { status: 429, headers: { 'Retry-After': '2' } },
      new Error('ECONNRESET'),
      { status: 503, headers: { 'retry-after': '1' } },
    );
    const sleeps: number[] = [];
    const result = await client(http, sleeps).send([event('a')]);
    assert.equal(result.ok, true);
    assert.equal(result.attempts, 4);
    assert.ok((sleeps[0] ?? 0) >= 2000);
    assert.ok((sleeps[1] ?? 0) < 2000);
    assert.ok((sleeps[2] ?? 0) >= 1000);
    assert.equal(new Set(http.requests.map((r) => r.init.body)).size, 1);
  });

  void test('a 400 listing every event as rejected is a per-event answer', async () => {
    const rejected = [{ index: 0, eventId: 'a', field: 'events[0].eventTime', reason: 'is more than 24 h old' }];
    const http = new FakeFetch().reply({ status: 400, body: { accepted: 0, duplicates: 0, rejected, error: { code: 'invalid_events', message: 'all 1 events were rejected' } } });
    const result = await client(http, []).send([event('a')]);
    assert.deepEqual(result, { ok: true, status: 400, accepted: 0, duplicates: 0, rejected, attempts: 1 });
  });

  void test('does not retry other 4xx', async () => {
    const http = new FakeFetch().reply({ status: 401, body: { error: { code: 'unauthenticated', message: 'invalid API key' } } });
    const result = await client(http, []).send([event('a')]);
    assert.equal(result.ok, false);
    assert.equal(result.retriable, false);
    assert.equal(result.status, 401);
    assert.equal(result.error, 'HTTP 401: invalid API key');
    assert.equal(http.requests.length, 1);
  });

  void test('stops after maxAttempts', async () => {
    const http = new FakeFetch().reply(...Array.from({ length: 10 }, () => ({ status: 502 })));
    const sleeps: number[] = [];
    const result = await client(http, sleeps, { retry: { maxAttempts: 4 } }).send([event('a')]);
    assert.equal(result.ok, false);
    assert.equal(result.retriable, true);
    assert.equal(result.attempts, 4);
    assert.equal(sleeps.length, 3);
  });

  void test('query mode sends the key in the URL and a text/plain body', async () => {
    const http = new FakeFetch();
    await client(http, [], { keyIn: 'query', key: 'a b' }).send([event('a')]);
    assert.equal(http.requests[0]?.url, 'http://h:8080/v1/events?key=a%20b');
    assert.equal(http.requests[0]?.init.headers['x-api-key'], undefined);
    assert.match(http.requests[0]?.init.headers['content-type'] ?? '', /^text\/plain/);
  });
});

void describe('retry helpers', () => {
  void test('urls', () => {
    assert.equal(eventsUrl('http://h'), 'http://h/v1/events');
    assert.equal(eventsUrl('http://h/v1/events'), 'http://h/v1/events');
    assert.equal(keyedUrl('http://h/', 'k&1'), 'http://h/v1/events?key=k%261');
  });

  void test('Retry-After as seconds or HTTP date', () => {
    assert.equal(parseRetryAfter('3', 0), 3000);
    assert.equal(parseRetryAfter(null, 0), undefined);
    assert.equal(parseRetryAfter('soon', 0), undefined);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  });

  void test('backoff is capped full jitter; Retry-After is a floor', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(policy, 1, () => 0.999), 99);
    assert.equal(backoffDelay(policy, 3, () => 0.999), 399);
    assert.equal(backoffDelay(policy, 10, () => 0.999), 999);
    assert.equal(backoffDelay(policy, 10, () => 0), 0);
    const honoured = backoffDelay(policy, 1, () => 0.5, 5000);
    assert.ok(honoured >= 5000 && honoured <= 6000);
  });
});
