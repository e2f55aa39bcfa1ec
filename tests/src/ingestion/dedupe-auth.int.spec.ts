import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema, EventType, IngestService } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { ensureKcat, jsonEvent, kcatRead, postEvents, TestScope, type IngestionProcess } from './harness.js';

/** The service's default API_KEY_CACHE_TTL_MS: how long a revoked key may still be accepted. */
const CACHE_TTL_MS = 1000;

void describe('ingestion dedupe and API keys', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('ingest-dedupe', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let key: { key: string; id: string };

  before(async () => {
    await Promise.all([ensureKcat(), scope.createTopics()]);
    key = await scope.key('dedupe', ['ingest']);
    service = await scope.start();
  });

  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  /** The dedupe generation Redis's clock is in (12 h generations for the default 24 h TTL). */
  const GENERATION_MS = 12 * 3_600_000;
  const currentGeneration = async () => {
    const [seconds, micros] = await scope.redis.time();
    return Math.floor((Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)) / GENERATION_MS);
  };

  const idsOnKafka = async () => (await kcatRead(kafkaBrokers, scope.eventsTopic)).map((r) => fromBinary(EventSchema, r.value).eventId);

  void test('an event id seen in the window is dropped and counted, over HTTP and gRPC, and within one batch', async () => {
    const a = jsonEvent();
    const b = jsonEvent();
    const first = await postEvents(service.httpUrl, { events: [a, b] }, { key: key.key });
    assert.deepEqual(first.body, { accepted: 2, duplicates: 0, rejected: [] });
    const again = await postEvents(service.httpUrl, { events: [a, b] }, { key: key.key });
    assert.equal(again.status, 200, 'a resend is not an error');
    assert.deepEqual(again.body, { accepted: 0, duplicates: 2, rejected: [] });

    const c = jsonEvent();
    const inBatch = await postEvents(service.httpUrl, { events: [c, c, a] }, { key: key.key });
    assert.deepEqual(inBatch.body, { accepted: 1, duplicates: 2, rejected: [] });

    const client = createClient(IngestService, service.grpcAddress);
    try {
      const viaGrpc = await client.ingestBatch(
        { events: [{ eventId: a.eventId, type: EventType.PAGE_VIEW, userId: 'x', sessionId: 's', eventTimeMs: BigInt(Date.now()) }] },
        { metadata: { 'x-api-key': key.key } },
      );
      assert.equal(viaGrpc.accepted, 0);
      assert.equal(viaGrpc.duplicates, 1);
    } finally {
      client.close();
    }

    const ids = await idsOnKafka();
    assert.deepEqual(ids.sort(), [a.eventId, b.eventId, c.eventId].sort(), 'each id once on Kafka');

    // The dedupe memory is the documented Redis layout (docs/specs/redis-keys.md, ADR 0028): the id is
    // `1` in the hash of the 12 h generation it was written in, which Redis keeps until lookups stop
    // reading it — at least the 24 h window, less than 36 h (and a minute).
    const generation = await currentGeneration();
    const hash = scope.redisKeys.dedupeGeneration(GENERATION_MS, generation);
    assert.equal(await scope.redis.hget(hash, a.eventId), '1');
    const kept = (await scope.redis.pexpiretime(hash)) - Date.now();
    assert.ok(kept >= 24 * 3_600_000 && kept <= 36 * 3_600_000 + 60_000, `kept for the 24 h window, got ${kept} ms`);

    const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
    assert.match(metrics, /clickwise_ingest_events_duplicate_total\{[^}]*route="http"[^}]*\} 4/);
    assert.match(metrics, /clickwise_ingest_events_duplicate_total\{[^}]*route="grpc"[^}]*\} 1/);
  });

  void test('an id that another request is still writing is answered 503 + Retry-After, and accepted on retry once free', async () => {
    const e = jsonEvent();
    // A claim left by a request in flight elsewhere (the documented claim value is a request token).
    const hash = scope.redisKeys.dedupeGeneration(GENERATION_MS, await currentGeneration());
    await scope.redis.hset(hash, e.eventId, `other-request-token@${Date.now() + 60_000}`);
    const busy = await postEvents(service.httpUrl, e, { key: key.key });
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '1');
    assert.match((busy.body.error as { message: string }).message, /being written by another request/);
    await scope.redis.hdel(hash, e.eventId); // that request failed and released it
    const retry = await postEvents(service.httpUrl, e, { key: key.key });
    assert.deepEqual(retry.body, { accepted: 1, duplicates: 0, rejected: [] });
  });

  void test('401 without a valid key (header, Bearer, ?key=), 403 without the scope, revocation within the key cache TTL', async () => {
    const e = jsonEvent();
    assert.equal((await postEvents(service.httpUrl, e, {})).status, 401);
    assert.equal((await postEvents(service.httpUrl, e, { key: 'cw_not-a-key' })).status, 401);
    const bearer = await postEvents(service.httpUrl, e, { headers: { authorization: `Bearer ${key.key}` } });
    assert.equal(bearer.status, 200, 'Authorization: Bearer works');
    // sendBeacon: key in the query string, text/plain body.
    const beacon = await postEvents(service.httpUrl, undefined, { raw: JSON.stringify(jsonEvent()), contentType: 'text/plain;charset=UTF-8', query: `?key=${encodeURIComponent(key.key)}` });
    assert.equal(beacon.status, 200, 'sendBeacon style works');

    const reader = await scope.key('reader', ['read', 'watch-all']);
    const forbidden = await postEvents(service.httpUrl, jsonEvent(), { key: reader.key });
    assert.equal(forbidden.status, 403);

    const doomed = await scope.key('doomed', ['ingest']);
    assert.equal((await postEvents(service.httpUrl, jsonEvent(), { key: doomed.key })).status, 200);
    await scope.store.revoke(doomed.id);
    // The service caches key lookups for API_KEY_CACHE_TTL_MS (1 s by default): a revoke bites
    // within that bound (docs/specs/http-ingest.md). Measured from the revoke, with some slack for
    // the request itself on a busy machine.
    const revokedAt = Date.now();
    const revoked = await waitFor(
      async () => {
        const r = await postEvents(service.httpUrl, jsonEvent(), { key: doomed.key });
        return r.status === 401 ? r : undefined;
      },
      { timeoutMs: CACHE_TTL_MS + 1500, intervalMs: 50, message: `the revoked key to be refused within ${CACHE_TTL_MS} ms` },
    );
    assert.ok(Date.now() - revokedAt < CACHE_TTL_MS + 1500);
    assert.match((revoked.body.error as { message: string }).message, /revoked/);

    const client = createClient(IngestService, service.grpcAddress);
    try {
      const event = { eventId: uniqueName('g'), type: EventType.PAGE_VIEW, userId: 'u', sessionId: 's', eventTimeMs: BigInt(Date.now()) };
      await assert.rejects(client.ingestBatch({ events: [event] }), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED);
      await assert.rejects(client.ingestBatch({ events: [event] }, { metadata: { 'x-api-key': doomed.key } }), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED);
      await assert.rejects(client.ingestBatch({ events: [event] }, { metadata: { 'x-api-key': reader.key } }), (err: grpc.ServiceError) => err.code === grpc.status.PERMISSION_DENIED);
      const stream = client.ingestStream({ metadata: { 'x-api-key': 'cw_nope' } });
      stream.write({ events: [event] });
      await assert.rejects(stream.end(), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
    // The same gRPC histogram by method and status code as prediction and recommender (issue 12).
    const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
    const calls = (method: string, code: string) => new RegExp(`clickwise_grpc_server_duration_seconds_count\\{(?=[^}]*method="${method}")(?=[^}]*code="${code}")[^}]*\\} (\\d+)`).exec(metrics)?.[1];
    assert.equal(calls('IngestBatch', 'UNAUTHENTICATED'), '2', 'two IngestBatch calls refused as UNAUTHENTICATED');
    assert.equal(calls('IngestBatch', 'PERMISSION_DENIED'), '1');
    assert.equal(calls('IngestStream', 'UNAUTHENTICATED'), '1');
  });

  void test('a key over its rate gets 429 with Retry-After (gRPC: RESOURCE_EXHAUSTED), and passes again later', async () => {
    const slow = await scope.key('slow', ['ingest'], 5);
    // Start at the beginning of a second so the whole burst falls in one window.
    await waitFor(() => Date.now() % 1000 < 300, { intervalMs: 5 });
    const first = await postEvents(service.httpUrl, { events: Array.from({ length: 5 }, () => jsonEvent()) }, { key: slow.key });
    assert.equal(first.status, 200);
    const limited = await postEvents(service.httpUrl, jsonEvent(), { key: slow.key });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.match((limited.body.error as { message: string }).message, /limited to 5 events\/s/);
    const client = createClient(IngestService, service.grpcAddress);
    try {
      const event = { eventId: uniqueName('g'), type: EventType.PAGE_VIEW, userId: 'u', sessionId: 's', eventTimeMs: BigInt(Date.now()) };
      await assert.rejects(client.ingestBatch({ events: [event] }, { metadata: { 'x-api-key': slow.key } }), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.ok(Number(err.metadata.get('retry-after-ms')[0]) > 0);
        return true;
      });
    } finally {
      client.close();
    }
    const later = await waitFor(
      async () => {
        const r = await postEvents(service.httpUrl, jsonEvent(), { key: slow.key });
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 5000, intervalMs: 200, message: 'the next window' },
    );
    assert.equal(later.status, 200);
    const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
    assert.match(metrics, /clickwise_ingest_rate_limited_total\{[^}]*route="http"[^}]*\} [1-9]/);
  });

  void test('a backfill key may send history that an ingest key may not', async () => {
    const backfill = await scope.key('replay', ['backfill']);
    const old = jsonEvent({ eventTime: Date.UTC(2015, 5, 1, 12) });
    const refused = await postEvents(service.httpUrl, old, { key: key.key });
    assert.equal(refused.status, 400);
    const accepted = await postEvents(service.httpUrl, old, { key: backfill.key });
    assert.deepEqual(accepted.body, { accepted: 1, duplicates: 0, rejected: [] });
  });
});
