import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import type { HttpEvent, PredictionUpdate, WatchPredictionsResponse } from '@clickwise/contracts';
import { testInfra, waitFor } from '@clickwise/testing';
import type { FeaturesProcess } from '../features/harness.js';
import { startIngestion, type IngestionProcess } from '../ingestion/harness.js';
import { PredictionScope, propensityDocument } from '../prediction/harness.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import type { ServiceProcess } from '../support/service-process.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

interface Click {
  event: HttpEvent;
  traceId: string;
  clientSpanId: string;
}

async function metricText(service: ServiceProcess): Promise<string> {
  return (await fetch(`${service.url}/metrics`)).text();
}
const sample = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);

/**
 * One trace per click (issue 12, ADR 0123): each click is posted in its own request with its own W3C
 * traceparent; the services export over OTLP to a receiver the test starts; each click's spans in
 * every service share the click's trace id and form one chain: client → ingestion → features →
 * prediction → the WatchPredictions stream. A prediction that covers several clicks (the clicks
 * that came before the first model, coalesced per shopper: ADR 0077) has a span link to each
 * click, and each other click's trace gets a "prediction coalesced" span linked back to it. The
 * predictions on predictions.updated.v1 and the streamed messages carry the clicks' trace ids.
 */
void describe('observe: one trace per click across the services, exported over OTLP', () => {
  let scope: PredictionScope;
  const receiver = new OtlpReceiver();
  let ingestion: IngestionProcess | undefined;
  let features: FeaturesProcess | undefined;
  let prediction: ServiceProcess | undefined;
  let stream: grpc.ClientReadableStream<WatchPredictionsResponse> | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new PredictionScope('trace', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
  });
  after(async () => {
    stream?.cancel();
    await prediction?.stop();
    await features?.stop();
    await ingestion?.stop();
    await receiver.stop();
    await scope.dispose();
  });

  void it('client → ingestion → features → prediction → watcher: one chain per click; a coalesced prediction links all its clicks', async () => {
    const endpoint = await receiver.start();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint };
    prediction = await scope.startPrediction(otel);
    const predictionService = prediction;
    await waitFor(async () => sample(await metricText(predictionService), 'clickwise_prediction_click_partitions') === 6, { timeoutMs: 60_000, intervalMs: 200, message: 'prediction to own features.updated.v1' });
    ingestion = await startIngestion({ kafkaBrokers: scope.kafkaBrokers, redisUrl: scope.redisUrl, topicPrefix: scope.topicPrefix, redisKeyPrefix: scope.redisKeyPrefix, extra: otel });
    features = await scope.start(otel);
    const ingestKey = await scope.createKey(['ingest']);
    const watchKey = await scope.createKey(['read', 'watch-all']);
    const watched: PredictionUpdate[] = [];
    stream = scope.client(prediction).watchPredictions({ all: true }, { metadata: { 'x-api-key': watchKey } });
    stream.on('data', (m: WatchPredictionsResponse) => watched.push(m.prediction!));
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) => stream!.once('metadata', () => resolve()));

    const now = Date.now();
    const click = (i: number, shopper: string): Click => ({
      event: { eventId: `trace-${i}-${hex(4)}`, type: i % 4 === 3 ? 'add_to_cart' : 'product_view', userId: shopper, sessionId: `${shopper}-s`, itemId: `item-${i}`, eventTime: now - 1000 + i },
      traceId: hex(16),
      clientSpanId: hex(8),
    });
    const post = async (c: Click) => {
      const response = await fetch(`${ingestion!.httpUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ingestKey, traceparent: `00-${c.traceId}-${c.clientSpanId}-01` },
        body: JSON.stringify({ events: [c.event] }),
      });
      assert.equal(response.status, 200, await response.text());
    };
    const startedMs = Date.now();
    // Three clicks of one shopper before any model: kept, then scored together when the model loads.
    const early = [0, 1, 2].map((i) => click(i, 'trace-early'));
    for (const c of early) await post(c);
    await waitFor(async () => sample(await metricText(predictionService), 'clickwise_prediction_clicks_waiting_shoppers') === 1, { timeoutMs: 60_000, intervalMs: 200, message: 'the early clicks kept for the first model' });
    await scope.publishModel(propensityDocument());
    // Then one request per click, with a model served.
    const later = Array.from({ length: 12 }, (_, i) => click(3 + i, `trace-u${i % 3}`));
    for (const c of later) await post(c);
    const clicks = [...early, ...later];
    const byEvent = new Map(clicks.map((c) => [c.event.eventId, c]));
    await scope.waitCaughtUp(60_000, features);

    let predictions: PredictionUpdate[] = [];
    const predictionOf = (c: Click) => predictions.find((p) => p.eventIds.includes(c.event.eventId));
    const chainOf = (c: Click) => {
      const spans = receiver.trace(c.traceId);
      const ingest = spans.find((s) => s.service === 'ingestion' && s.parentSpanId === c.clientSpanId);
      const apply = ingest && spans.find((s) => s.service === 'features' && s.parentSpanId === ingest.spanId && s.attributes['clickwise.event_id'] === c.event.eventId);
      const predict = apply && spans.find((s) => s.service === 'prediction' && s.parentSpanId === apply.spanId);
      const send = predict && spans.find((s) => s.service === 'prediction' && s.name === 'WatchPredictions send' && s.parentSpanId === predict.spanId);
      return { spans, ingest, apply, predict, send };
    };
    /** The click whose trace holds a prediction's span: its newest covered click. */
    const newestOf = (p: PredictionUpdate) => byEvent.get(p.eventIds.at(-1)!)!;
    const complete = (c: Click) => {
      const p = predictionOf(c);
      if (!p) return false;
      const chain = chainOf(c);
      if (!chain.predict) return false;
      return newestOf(p) === c ? chain.send !== undefined : chainOf(newestOf(p)).send !== undefined;
    };
    try {
      await waitFor(
        async () => {
          predictions = (await scope.readAll(scope.kafka.topics.predictionsUpdated)).map((r) => r.value);
          return clicks.every(complete) && clicks.every((c) => watched.some((w) => w.eventIds.includes(c.event.eventId)));
        },
        { timeoutMs: 90_000, intervalMs: 250, message: "every click's chain exported, into prediction and the watcher" },
      );
    } catch (error) {
      const seen = receiver.spans.map((s) => `${s.service}:${s.name}:${s.traceId.slice(0, 6)}:${s.parentSpanId.slice(0, 4)}`).slice(0, 40);
      throw new Error(`${String(error)}; ${predictions.length} predictions, ${watched.length} watched; received ${receiver.spans.length} spans in ${receiver.requests} requests: ${seen.join(' ')}`, { cause: error });
    }

    const notices = await scope.readAll(scope.kafka.topics.featuresUpdated);
    let coalesced = 0;
    for (const c of clicks) {
      const { spans, ingest, apply, predict } = chainOf(c);
      assert.ok(ingest && apply && predict);
      // Every span of the click's trace belongs to this click's chain: nothing from another click leaks in.
      assert.deepStrictEqual(new Set(spans.map((s: ReceivedSpan) => s.traceId)), new Set([c.traceId]));
      assert.equal(ingest.kind, 2, 'ingestion: a SERVER span');
      assert.equal(apply.kind, 5, 'features: a CONSUMER span');
      assert.equal(predict.kind, 5, 'prediction: a CONSUMER span');
      assert.ok(apply.startNs >= ingest.startNs && predict.endNs >= apply.startNs, 'features after ingestion, prediction after features');
      const notice = notices.find((n) => n.value.eventId === c.event.eventId);
      assert.ok(notice, `a notice for ${c.event.eventId}`);
      assert.equal(notice.value.traceparent, `00-${c.traceId}-${apply.spanId}-01`, 'the notice carries the features span, for prediction to continue');
      assert.ok(Number(notice.value.acceptedAtMs) >= startedMs, 'the notice says when ingestion accepted the click');

      const p = predictionOf(c)!;
      const newest = newestOf(p);
      assert.deepStrictEqual(p.traceIds, p.eventIds.map((id) => byEvent.get(id)!.traceId), 'the prediction carries the trace id of every click it covers');
      const streamed = watched.find((w) => w.eventIds.includes(c.event.eventId))!;
      assert.deepStrictEqual(streamed.traceIds, p.traceIds, 'the streamed message carries them too');
      if (newest === c) {
        assert.equal(predict.name, 'prediction score');
        // A span link to every click the prediction covers (its own included), at that click's features span.
        const linked = new Set(predict.links.map((l) => `${l.traceId}/${l.spanId}`));
        const expected = new Set(p.eventIds.map((id) => { const k = byEvent.get(id)!; return `${k.traceId}/${chainOf(k).apply!.spanId}`; }));
        assert.deepStrictEqual(linked, expected, `the prediction for ${p.eventIds.join(',')} links each of its clicks`);
        if (p.eventIds.length > 1) coalesced++;
      } else {
        // A click covered by a later click's prediction: its trace goes on into prediction, linked to that prediction's span.
        assert.equal(predict.name, 'prediction coalesced');
        const score = chainOf(newest).predict!;
        assert.deepStrictEqual(predict.links, [{ traceId: score.traceId, spanId: score.spanId }]);
      }
    }
    assert.ok(coalesced >= 1, 'the three early clicks were scored as one prediction, which links all three');
    const early0 = predictionOf(early[0]!)!;
    assert.deepStrictEqual(early0.eventIds, early.map((c) => c.event.eventId));

    // Click → prediction latency on /metrics: one observation per covered click, each within the test's run.
    const text = await metricText(prediction);
    const count = sample(text, 'clickwise_prediction_click_to_prediction_seconds_count');
    const sum = sample(text, 'clickwise_prediction_click_to_prediction_seconds_sum');
    assert.equal(count, clicks.length, 'one latency per click');
    assert.ok(sum > 0 && sum / count <= (Date.now() - startedMs) / 1000, `mean ${sum / count} s within the run`);
  });
});
