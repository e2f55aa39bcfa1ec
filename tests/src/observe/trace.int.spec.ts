import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiKeyStore } from '@clickwise/api-keys';
import type { HttpEvent } from '@clickwise/contracts';
import { RedisKeys } from '@clickwise/redis';
import { testInfra, waitFor } from '@clickwise/testing';
import { FeaturesScope, type FeaturesProcess } from '../features/harness.js';
import { startIngestion, type IngestionProcess } from '../ingestion/harness.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

interface Click {
  event: HttpEvent;
  traceId: string;
  clientSpanId: string;
}

/**
 * One trace per click (issue 12): each click is posted in its own request with its own W3C
 * traceparent; the services export over OTLP to a receiver the test starts; each click's spans in
 * every service share the click's trace id and form one chain (client → ingestion → features), and
 * the features.updated.v1 notice carries the features span's context on to prediction.
 */
void describe('observe: one trace per click across the services, exported over OTLP', () => {
  let scope: FeaturesScope;
  const receiver = new OtlpReceiver();
  let ingestion: IngestionProcess | undefined;
  let features: FeaturesProcess | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('trace', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
  });
  after(async () => {
    await features?.stop();
    await ingestion?.stop();
    await receiver.stop();
    await scope.dispose();
  });

  void it('client → ingestion → features: one chain per click, the notice carries the features span on', async () => {
    const endpoint = await receiver.start();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint };
    ingestion = await startIngestion({ kafkaBrokers: scope.kafkaBrokers, redisUrl: scope.redisUrl, topicPrefix: scope.topicPrefix, redisKeyPrefix: scope.redisKeyPrefix, extra: otel });
    features = await scope.start(otel);
    const { key } = await new ApiKeyStore(scope.redis, new RedisKeys(scope.redisKeyPrefix)).create({ name: 'trace', scopes: ['ingest'] });

    const now = Date.now();
    const clicks: Click[] = Array.from({ length: 12 }, (_, i) => ({
      event: { eventId: `trace-${i}-${hex(4)}`, type: i % 4 === 3 ? 'add_to_cart' : 'product_view', userId: `trace-u${i % 3}`, sessionId: `trace-s${i % 3}`, itemId: `item-${i}`, eventTime: now - 1000 + i },
      traceId: hex(16),
      clientSpanId: hex(8),
    }));
    for (const c of clicks) {
      const response = await fetch(`${ingestion.httpUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, traceparent: `00-${c.traceId}-${c.clientSpanId}-01` },
        body: JSON.stringify({ events: [c.event] }),
      });
      assert.equal(response.status, 200, await response.text());
    }
    await scope.waitCaughtUp(60_000, features);

    const chainOf = (c: Click) => {
      const spans = receiver.trace(c.traceId);
      const ingest = spans.find((s) => s.service === 'ingestion' && s.parentSpanId === c.clientSpanId);
      const apply = ingest && spans.find((s) => s.service === 'features' && s.parentSpanId === ingest.spanId && s.attributes['clickwise.event_id'] === c.event.eventId);
      return { spans, ingest, apply };
    };
    try {
      await waitFor(() => clicks.every((c) => chainOf(c).apply !== undefined), { timeoutMs: 60_000, message: "every click's chain exported" });
    } catch (error) {
      const seen = receiver.spans.map((s) => `${s.service}:${s.name}:${s.traceId.slice(0, 6)}:${s.parentSpanId.slice(0, 4)}`).slice(0, 30);
      throw new Error(`${String(error)}; received ${receiver.spans.length} spans in ${receiver.requests} requests: ${seen.join(' ')}`, { cause: error });
    }

    const notices = await scope.readAll(scope.kafka.topics.featuresUpdated);
    for (const c of clicks) {
      const { spans, ingest, apply } = chainOf(c);
      assert.ok(ingest && apply);
      // Every span of the click's trace belongs to this click's chain: nothing from another click leaks in.
      assert.deepStrictEqual(new Set(spans.map((s: ReceivedSpan) => s.traceId)), new Set([c.traceId]));
      assert.equal(ingest.kind, 2, 'ingestion: a SERVER span');
      assert.equal(apply.kind, 5, 'features: a CONSUMER span');
      assert.ok(apply.startNs >= ingest.startNs, 'features starts after ingestion');
      const notice = notices.find((n) => n.value.eventId === c.event.eventId);
      assert.ok(notice, `a notice for ${c.event.eventId}`);
      assert.equal(notice.value.traceparent, `00-${c.traceId}-${apply.spanId}-01`, 'the notice carries the features span, for prediction to continue');
    }
  });
});
