import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testInfra, waitFor } from '@clickwise/testing';
import { simulatorEvents } from '../features/harness.js';
import type { ServiceProcess } from '../support/service-process.js';
import { PredictionScope, propensityDocument } from './harness.js';

async function metric(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
}

/**
 * A fresh platform (ADR 0077): clicks arrive before the trainer published any champion. The
 * service keeps them per shopper and scores them when the first champion loads, so every one of
 * those clicks is covered by a prediction on predictions.updated.v1 (before, the topic stayed empty).
 */
void describe('prediction: clicks that came before the first model are scored when it loads', () => {
  let scope: PredictionScope;
  let features: ServiceProcess | undefined;
  let prediction: ServiceProcess | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new PredictionScope('first-model', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
  });
  after(async () => {
    await prediction?.stop();
    await features?.stop();
    await scope.dispose();
  });

  void it('every click applied while no model was served is covered once the first champion is published', async () => {
    prediction = await scope.startPrediction();
    await waitFor(async () => (await metric(prediction!, 'clickwise_prediction_click_partitions')) === 6, { timeoutMs: 60_000, intervalMs: 200, message: 'prediction to own features.updated.v1' });
    features = await scope.start();
    const events = simulatorEvents(11, 1500, { shoppers: 120, items: 200, rate: 200 });
    await scope.produce(events);
    await scope.waitCaughtUp(120_000, features);
    let applied = new Set<string>();
    await waitFor(
      async () => {
        if ((await scope.pendingOutboxes()) > 0) return false;
        applied = new Set((await scope.readAll(scope.kafka.topics.featuresUpdated)).map((n) => n.value.eventId));
        return applied.size >= events.length * 0.9;
      },
      { timeoutMs: 60_000, intervalMs: 250, message: 'the features notices' },
    );
    // The service has read every notice, with no model: none is scored yet, the shoppers wait.
    await waitFor(async () => (await scope.kafka.admin.groupLag(scope.predictionGroup, scope.kafka.topics.featuresUpdated)).total === 0n, { timeoutMs: 60_000, intervalMs: 250, message: 'prediction to read every notice' });
    assert.equal((await scope.readAll(scope.kafka.topics.predictionsUpdated)).length, 0, 'no prediction without a model');
    const waiting = await metric(prediction, 'clickwise_prediction_clicks_waiting_shoppers');
    const shoppers = new Set(events.map((e) => e.userId || e.anonymousId));
    assert.ok(waiting > 0 && waiting <= shoppers.size, `${waiting} shoppers waiting of ${shoppers.size}`);

    const version = await scope.publishModel(propensityDocument());
    const covered = new Map<string, number>();
    let predictions: Awaited<ReturnType<typeof scope.readAll<typeof scope.kafka.topics.predictionsUpdated.spec.value>>> = [];
    await waitFor(
      async () => {
        predictions = await scope.readAll(scope.kafka.topics.predictionsUpdated);
        covered.clear();
        for (const p of predictions) for (const id of p.value.eventIds) covered.set(id, (covered.get(id) ?? 0) + 1);
        return [...applied].every((id) => covered.has(id));
      },
      { timeoutMs: 60_000, intervalMs: 250, message: 'every click covered after the first champion loaded' },
    );
    assert.deepEqual([...covered.values()].filter((n) => n !== 1), [], 'each click covered once');
    assert.equal(predictions.length, waiting, 'one prediction per waiting shopper');
    for (const { value: p } of predictions) {
      assert.equal(p.modelVersion, `propensity/${version.version}`);
      assert.ok(p.purchaseProbability > 0 && p.purchaseProbability < 1);
    }
    assert.equal(await metric(prediction, 'clickwise_prediction_clicks_waiting_shoppers'), 0);
  });
});
