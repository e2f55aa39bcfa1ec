import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { PredictionUpdate, WatchPredictionsResponse } from '@clickwise/contracts';
import { testInfra, waitFor } from '@clickwise/testing';
import { simulatorEvents } from '../features/harness.js';
import type { ServiceProcess } from '../support/service-process.js';
import { PredictionScope, propensityDocument } from './harness.js';

async function gauge(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** A WatchPredictions stream collecting what it receives; resolves `open` once the server sent headers. */
function watch(stream: grpc.ClientReadableStream<WatchPredictionsResponse>) {
  const got: PredictionUpdate[] = [];
  let error: grpc.ServiceError | undefined;
  stream.on('data', (m: WatchPredictionsResponse) => got.push(m.prediction!));
  stream.on('error', (e: grpc.ServiceError) => (error = e));
  const open = new Promise<void>((resolve) => stream.once('metadata', () => resolve()));
  return { got, open, error: () => error };
}

const traceparentOf = (eventId: string) => `00-${createHash('sha256').update(eventId).digest('hex').slice(0, 32)}-${'ab'.repeat(8)}-01`;

/**
 * Per-click predictions with two replicas of the service (ADR 0071, 0072): the replicas share
 * features.updated.v1 in one group, every prediction goes to predictions.updated.v1, and each
 * replica reads all of that topic for its own watchers. A watcher on replica B receives the
 * predictions replica A made; a watch-all stream on A receives every one.
 */
void describe('prediction: a prediction after every click, watched on any replica', () => {
  let scope: PredictionScope;
  let features: ServiceProcess | undefined;
  const replicas: ServiceProcess[] = [];

  before(async () => {
    const infra = testInfra();
    scope = new PredictionScope('clicks', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
    await scope.publishModel(propensityDocument());
  });
  after(async () => {
    for (const r of replicas) await r.stop();
    await features?.stop();
    await scope.dispose();
  });

  void it('every applied event is covered by exactly one prediction with its trace id; watchers on either replica see them', async () => {
    // Pushed one at a time, so `after` stops the first even when the second fails to start.
    replicas.push(await scope.startPrediction());
    replicas.push(await scope.startPrediction());
    const [a, b] = replicas as [ServiceProcess, ServiceProcess];
    // Both replicas share the six partitions, and each reads all six of predictions.updated.v1.
    await waitFor(async () => (await gauge(a, 'clickwise_prediction_click_partitions')) + (await gauge(b, 'clickwise_prediction_click_partitions')) === 6 && (await gauge(a, 'clickwise_prediction_click_partitions')) > 0 && (await gauge(b, 'clickwise_prediction_click_partitions')) > 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
      message: 'the two replicas to share features.updated.v1',
    });
    const readKey = await scope.createKey(['read']);
    const opsKey = await scope.createKey(['read', 'watch-all']);

    const events = simulatorEvents(5, 4000, { shoppers: 150, items: 300, rate: 200 });
    const shopperOf = (e: (typeof events)[number]) => e.userId || e.anonymousId;
    const watched = [...new Set(events.map(shopperOf))].slice(0, 30);
    const clientA = scope.client(a);
    const clientB = scope.client(b);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = clientA.watchPredictions({ all: true }, { metadata: { 'x-api-key': readKey } });
        s.on('data', resolve);
        s.on('error', reject);
      }),
      (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED && /watch-all/.test(e.details),
    );
    const onB = watch(clientB.watchPredictions({ shopperKeys: watched }, { metadata: { 'x-api-key': readKey } }));
    const allOnA = watch(clientA.watchPredictions({ all: true }, { metadata: { 'x-api-key': opsKey } }));
    await Promise.all([onB.open, allOnA.open]);

    features = await scope.start();
    await scope.produceTraced(events, (e) => traceparentOf(e.eventId));
    await scope.waitCaughtUp(120_000, features);
    // State is written before its notices (ADR 0037): wait for the outboxes to empty, then read the notices.
    let notices: Awaited<ReturnType<typeof scope.readAll<typeof scope.kafka.topics.featuresUpdated.spec.value>>> = [];
    await waitFor(
      async () => {
        if ((await scope.pendingOutboxes()) > 0) return false;
        notices = await scope.readAll(scope.kafka.topics.featuresUpdated);
        return notices.length >= events.length * 0.9;
      },
      { timeoutMs: 60_000, intervalMs: 250, message: 'the features notices' },
    );
    const applied = new Map(notices.map((n) => [n.value.eventId, n.value.shopperKey] as const));
    assert.ok(applied.size > 3500, `${applied.size} events applied`);

    const covered = new Map<string, number>();
    let predictions: Awaited<ReturnType<typeof scope.readAll<typeof scope.kafka.topics.predictionsUpdated.spec.value>>> = [];
    await waitFor(
      async () => {
        predictions = await scope.readAll(scope.kafka.topics.predictionsUpdated);
        covered.clear();
        for (const p of predictions) for (const id of p.value.eventIds) covered.set(id, (covered.get(id) ?? 0) + 1);
        return [...applied.keys()].every((id) => covered.has(id));
      },
      { timeoutMs: 60_000, intervalMs: 250, message: 'every applied event covered by a prediction' },
    );
    assert.deepEqual([...covered.values()].filter((n) => n !== 1), [], 'each event covered once');
    for (const { key, value: p } of predictions) {
      assert.equal(key, p.shopperKey);
      assert.equal(p.eventIds.length, p.traceIds.length);
      p.eventIds.forEach((id, i) => {
        assert.equal(applied.get(id), p.shopperKey, `event ${id} is ${p.shopperKey}'s`);
        assert.equal(p.traceIds[i], traceparentOf(id).slice(3, 35), `trace id of ${id}`);
      });
      assert.ok(p.purchaseProbability > 0 && p.purchaseProbability < 1);
      assert.match(p.modelVersion, /^propensity\//);
      assert.ok(p.topFeatures.length === 5);
    }
    const coalesced = predictions.filter((p) => p.value.eventIds.length > 1).length;
    console.log(`per-click: ${applied.size} events, ${predictions.length} predictions (${coalesced} coalesced several clicks; most in one: ${Math.max(...predictions.map((p) => p.value.eventIds.length))})`);
    const scoredBy = await Promise.all(replicas.map((r) => gauge(r, 'clickwise_prediction_clicks_scored_total')));
    assert.ok(scoredBy.every((n) => n > 0), `both replicas scored clicks: ${scoredBy.join(', ')}`);
    assert.equal(scoredBy[0]! + scoredBy[1]!, applied.size);

    // Watchers: B's stream has every event of its shoppers (scored by A or B), A's watch-all every prediction.
    const watchedSet = new Set(watched);
    const wantOnB = [...applied].filter(([, s]) => watchedSet.has(s)).map(([id]) => id).sort();
    await waitFor(() => allOnA.got.length >= predictions.length && onB.got.flatMap((p) => p.eventIds).length >= wantOnB.length, { timeoutMs: 30_000, intervalMs: 100, message: 'watchers to receive the predictions' });
    assert.equal(onB.error(), undefined);
    assert.ok(onB.got.every((p) => watchedSet.has(p.shopperKey)), 'B only streams its shoppers');
    assert.deepEqual(onB.got.flatMap((p) => p.eventIds).sort(), wantOnB);
    assert.equal(allOnA.got.length, predictions.length);
    assert.ok(onB.got.every((p) => p.traceIds.every((t) => /^[0-9a-f]{32}$/.test(t))), 'each streamed prediction carries its clicks\' trace ids');
  });
});
