import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema } from '@clickwise/contracts';
import { testInfra, waitFor } from '@clickwise/testing';
import { ensureKcat, jsonEvent, kcatRead, postEvents, TestScope, type IngestionProcess } from './harness.js';

const SHOP = 'http://shop.test:8000';

/** CORS over the wire: a browser's preflight and cross-origin POSTs (headers as a browser checks them). */
void describe('ingestion CORS for browser storefronts', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('ingest-cors', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let key: string;

  before(async () => {
    await Promise.all([ensureKcat(), scope.createTopics()]);
    key = (await scope.key('web', ['ingest'])).key;
    service = await scope.start({ CORS_ORIGINS: `${SHOP},https://other.example`, CORS_MAX_AGE_S: '900' });
  });

  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  const preflight = (origin: string) =>
    fetch(`${service.httpUrl}/v1/events`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
    });

  void test('preflight from an allowed origin, then a cross-origin POST that reaches Kafka', async () => {
    const pre = await preflight(SHOP);
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), SHOP);
    assert.equal(pre.headers.get('access-control-allow-methods'), 'POST');
    const allowed = (pre.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim());
    for (const h of ['content-type', 'x-api-key', 'authorization']) assert.ok(allowed.includes(h), `allows ${h}`);
    assert.equal(pre.headers.get('access-control-max-age'), '900');
    assert.match(pre.headers.get('vary') ?? '', /Origin/);

    const event = jsonEvent();
    const post = await postEvents(service.httpUrl, { events: [event] }, { key, headers: { origin: SHOP } });
    assert.equal(post.status, 200);
    assert.deepEqual(post.body, { accepted: 1, duplicates: 0, rejected: [] });
    assert.equal(post.headers.get('access-control-allow-origin'), SHOP);
    assert.equal(post.headers.get('access-control-expose-headers'), 'retry-after');

    const records = await waitFor(
      async () => {
        const read = await kcatRead(kafkaBrokers, scope.eventsTopic);
        return read.length >= 1 ? read : undefined;
      },
      { timeoutMs: 20_000, message: 'the cross-origin event on Kafka' },
    );
    assert.deepEqual(
      records.map((r) => fromBinary(EventSchema, r.value).eventId),
      [event.eventId],
    );
  });

  void test('error answers carry the CORS headers too (so the page can read them)', async () => {
    const unauthenticated = await postEvents(service.httpUrl, jsonEvent(), { headers: { origin: SHOP } });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.headers.get('access-control-allow-origin'), SHOP);
    const bad = await postEvents(service.httpUrl, undefined, { key, raw: '{"events": [', headers: { origin: SHOP } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('access-control-allow-origin'), SHOP);
    // Over the HTTP layer's hard cap: refused by the body parser, before the controller.
    const huge = await postEvents(service.httpUrl, undefined, { key, raw: Buffer.alloc(5 * 1024 * 1024, 0x20), headers: { origin: SHOP } });
    assert.equal(huge.status, 413);
    assert.equal(huge.headers.get('access-control-allow-origin'), SHOP);
    // sendBeacon's shape (text/plain, ?key=) is a simple request: no preflight, headers on the answer.
    const beacon = await postEvents(service.httpUrl, undefined, {
      raw: JSON.stringify(jsonEvent()),
      contentType: 'text/plain;charset=UTF-8',
      query: `?key=${encodeURIComponent(key)}`,
      headers: { origin: SHOP },
    });
    assert.equal(beacon.status, 200);
    assert.equal(beacon.headers.get('access-control-allow-origin'), SHOP);
  });

  void test('an origin outside the allow-list gets no Access-Control-Allow-Origin', async () => {
    const pre = await preflight('https://evil.example');
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    const post = await postEvents(service.httpUrl, jsonEvent(), { key, headers: { origin: 'https://evil.example' } });
    assert.equal(post.headers.get('access-control-allow-origin'), null);
    // Health and metrics are not part of the browser API.
    const health = await fetch(`${service.httpUrl}/health/live`, { headers: { origin: SHOP } });
    assert.equal(health.headers.get('access-control-allow-origin'), null);
  });
});
