import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema, EventSource, EventType, IngestService, shopperKey, type Event } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { ensureKcat, jsonEvent, kcatRead, postEvents, TestScope, type IngestionProcess } from './harness.js';

/**
 * Events posted over HTTP (one and a batch) and gRPC (unary and client-streaming) come out of
 * clickstream.events.v1 as protobuf, read back with kcat (librdkafka, independent of the service's
 * Kafka client) and decoded: every field, the shopper key, arrival stamps and the trace context.
 */
void describe('ingestion round trip: HTTP and gRPC in, protobuf on Kafka out', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('ingest-rt', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let key: { key: string; id: string };

  before(async () => {
    await Promise.all([ensureKcat(), scope.createTopics()]);
    key = await scope.key('roundtrip', ['ingest']);
    service = await scope.start();
  });

  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  const byId = async (expected: number) => {
    const records = await waitFor(
      async () => {
        const read = await kcatRead(kafkaBrokers, scope.eventsTopic);
        return read.length >= expected ? read : undefined;
      },
      { timeoutMs: 20_000, message: `${expected} records on ${scope.eventsTopic}` },
    );
    return new Map(records.map((r) => [fromBinary(EventSchema, r.value).eventId, { record: r, event: fromBinary(EventSchema, r.value) }]));
  };

  void test('HTTP, gRPC unary and gRPC streaming events are on Kafka, decoded field for field', async () => {
    const before = BigInt(Date.now());
    const single = jsonEvent({
      type: 'review',
      reviewText: 'Läuft gut — 5 Sterne 🛒',
      reviewRating: 5,
      quantity: 2,
      itemIds: ['a', 'b'],
      context: { device: 'desktop', referrer: 'https://example.com/', page: '/p/1', userAgent: 'Mozilla/5.0', locale: 'de-DE' },
      source: 'tracker',
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const one = await postEvents(service.httpUrl, single, { key: key.key, headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.deepEqual(one.body, { accepted: 1, duplicates: 0, rejected: [] });

    const batch = Array.from({ length: 20 }, (_, i) => jsonEvent(i % 2 ? { userId: undefined, anonymousId: `anon-${i}` } : {}));
    const many = await postEvents(service.httpUrl, { events: batch }, { key: key.key });
    assert.equal(many.status, 200);
    assert.deepEqual(many.body, { accepted: 20, duplicates: 0, rejected: [] });

    const client = createClient(IngestService, service.grpcAddress);
    const grpcEvent = (i: number) => ({
      eventId: uniqueName(`grpc-${i}`),
      type: EventType.ADD_TO_CART,
      userId: `grpc-user-${i % 4}`,
      sessionId: 'grpc-session',
      itemId: `item-${i}`,
      price: 3.25,
      currency: 'USD',
      quantity: 1,
      eventTimeMs: BigInt(Date.now() - 500),
    });
    const unaryEvents = Array.from({ length: 10 }, (_, i) => grpcEvent(i));
    const streamEvents = Array.from({ length: 30 }, (_, i) => grpcEvent(100 + i));
    try {
      const unary = await client.ingestBatch({ events: unaryEvents }, { metadata: { 'x-api-key': key.key }, timeoutMs: 20_000 });
      assert.equal(unary.accepted, 10);
      assert.equal(unary.rejected.length, 0);
      const stream = client.ingestStream({ metadata: { 'x-api-key': key.key }, timeoutMs: 20_000 });
      for (let i = 0; i < 3; i++) stream.write({ events: streamEvents.slice(i * 10, i * 10 + 10) });
      const totals = await stream.end();
      assert.equal(totals.accepted, 30);
      assert.equal(totals.duplicates, 0);
    } finally {
      client.close();
    }
    const afterMs = BigInt(Date.now());

    const found = await byId(61);
    assert.equal(found.size, 61, 'each event exactly once');

    const check = (id: string, route: EventSource, sent: Partial<Event>) => {
      const hit = found.get(id);
      assert.ok(hit, `event ${id} is on Kafka`);
      const { event, record } = hit;
      assert.equal(record.key, shopperKey(event), 'keyed by shopper');
      assert.ok(event.ingestedAtMs >= before && event.ingestedAtMs <= afterMs, 'stamped with arrival time');
      assert.equal(event.apiKeyId, key.id);
      assert.equal(event.source, route);
      for (const [field, value] of Object.entries(sent)) assert.deepEqual(event[field as keyof Event], value, `${id}.${field}`);
      return hit;
    };

    const s = check(single.eventId, EventSource.TRACKER, {
      type: EventType.REVIEW,
      userId: single.userId as string,
      sessionId: single.sessionId as string,
      itemId: single.itemId as string,
      categoryId: 'cat-1',
      price: 12.5,
      currency: 'EUR',
      quantity: 2,
      reviewText: 'Läuft gut — 5 Sterne 🛒',
      reviewRating: 5,
      itemIds: ['a', 'b'],
      eventTimeMs: BigInt(single.eventTime as number),
    });
    assert.deepEqual(
      { ...s.event.context, $typeName: undefined },
      { $typeName: undefined, device: 'desktop', referrer: 'https://example.com/', page: '/p/1', userAgent: 'Mozilla/5.0', locale: 'de-DE' },
    );
    assert.match(s.record.headers.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`), 'the request trace continues in the Kafka record headers');

    for (const e of batch) {
      check(e.eventId, EventSource.HTTP, {
        type: EventType.PRODUCT_VIEW,
        anonymousId: (e.anonymousId as string | undefined) ?? '',
        itemId: e.itemId as string,
        eventTimeMs: BigInt(e.eventTime as number),
      });
    }
    for (const e of [...unaryEvents, ...streamEvents]) {
      const { record } = check(e.eventId, EventSource.GRPC, { type: EventType.ADD_TO_CART, userId: e.userId, itemId: e.itemId, price: 3.25, currency: 'USD', eventTimeMs: e.eventTimeMs });
      assert.match(record.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/, 'gRPC requests get a span too');
    }

    const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
    assert.match(metrics, /clickwise_ingest_events_accepted_total\{route="http",service="ingestion"\} 21/);
    assert.match(metrics, /clickwise_ingest_events_accepted_total\{route="grpc",service="ingestion"\} 40/);
    assert.match(metrics, /clickwise_ingest_request_duration_seconds_count\{[^}]*route="http"[^}]*\} [1-9]/);
    assert.match(metrics, /clickwise_ingest_request_duration_seconds_bucket\{[^}]*le="0\.0005"[^}]*\} \d+/, 'latency is a histogram');
    // Nothing waits for Kafka once every request was answered.
    assert.match(metrics, /^clickwise_ingest_kafka_buffered_bytes\{service="ingestion"\} 0$/m);
    for (const family of ['clickwise_ingest_events_rejected_total', 'clickwise_ingest_events_duplicate_total', 'clickwise_ingest_unauthenticated_total']) {
      assert.match(metrics, new RegExp(`^# TYPE ${family} counter$`, 'm'), `${family} is exported`);
    }
  });

  void test('health: live and ready answer, gRPC health says SERVING, /metrics is Prometheus text', async () => {
    const live = await fetch(`${service.httpUrl}/health/live`);
    assert.equal(live.status, 200);
    const ready = (await (await fetch(`${service.httpUrl}/health/ready`)).json()) as Record<string, unknown>;
    assert.equal(ready.ready, true);
    assert.equal(ready.kafka, true);
    assert.equal(ready.redis, true);
    const metrics = await fetch(`${service.httpUrl}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await metrics.text(), /process_resident_memory_bytes/);
    // grpc.health.v1.Health/Check for the ingest service: HealthCheckResponse{status: SERVING (1)}.
    const raw = new grpc.Client(service.grpcAddress, grpc.credentials.createInsecure());
    try {
      const service_ = Buffer.from('clickwise.v1.IngestService');
      const request = Buffer.concat([Buffer.from([0x0a, service_.length]), service_]);
      const response = await new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, request, (error, value) => (error ? reject(error) : resolve(value!))),
      );
      assert.deepEqual([...response], [0x08, 0x01]);
    } finally {
      raw.close();
    }
  });

  void test('SIGTERM drains in-flight requests: every acknowledged event is on Kafka and the process exits 0', async () => {
    const own = await scope.start();
    const acknowledged: string[] = [];
    let signalAt = Number.POSITIVE_INFINITY;
    let afterSignal = 0;
    const loop = async () => {
      while (Date.now() < signalAt) {
        const events = Array.from({ length: 200 }, () => jsonEvent());
        try {
          const r = await postEvents(own.httpUrl, { events }, { key: key.key });
          if (r.status === 200) {
            acknowledged.push(...events.map((e) => e.eventId));
            if (Date.now() >= signalAt) afterSignal++;
          }
        } catch {
          // Refused once the server closed: fine, nothing was acknowledged.
        }
      }
    };
    const loops = Array.from({ length: 6 }, () => loop());
    await waitFor(() => acknowledged.length >= 2000, { message: 'some traffic before the signal' });
    signalAt = Date.now();
    const code = await own.stop();
    await Promise.all(loops);
    assert.equal(code, 0, `exit code 0; output:\n${own.output()}`);
    assert.ok(afterSignal > 0, 'requests in flight at SIGTERM were answered 200, not dropped');
    const onKafka = new Set((await kcatRead(kafkaBrokers, scope.eventsTopic)).map((r) => fromBinary(EventSchema, r.value).eventId));
    const lost = acknowledged.filter((id) => !onKafka.has(id));
    assert.equal(lost.length, 0, `${lost.length} acknowledged events missing from Kafka`);
  });
});
