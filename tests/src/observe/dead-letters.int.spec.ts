import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testInfra, waitFor } from '@clickwise/testing';
import { PredictionScope } from '../prediction/harness.js';
import type { ServiceProcess } from '../support/service-process.js';
import { metric as sample } from '../recommender/harness.js';

/**
 * DLQ counts by reason on every service's /metrics (issue 12): a consumer built on libs/kafka that
 * dead-letters a record counts it in `clickwise_kafka_dead_letters_total{stage,reason}`. Here the
 * prediction service's readers of features.updated.v1 meet records that are not FeatureUpdates.
 */
void describe('observe: dead letters by stage and reason on /metrics', () => {
  let scope: PredictionScope;
  let prediction: ServiceProcess | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new PredictionScope('dlq-metrics', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
  });
  after(async () => {
    await prediction?.stop();
    await scope.dispose();
  });

  void it('undecodable notices: each reader that dead-letters them counts them under its stage, reason decode_failed', async () => {
    prediction = await scope.startPrediction();
    const service = prediction;
    await waitFor(async () => (await sample(service, 'clickwise_prediction_click_partitions', {})) === 6, { timeoutMs: 60_000, intervalMs: 200, message: 'prediction to own features.updated.v1' });
    const producer = scope.kafka.producer({ lingerMs: 0 });
    await producer.connect();
    try {
      // Field 1 (a string) says 16 bytes follow; one does: not a FeatureUpdate.
      const broken = Buffer.from([0x0a, 0x10, 0x41]);
      await producer.send(scope.kafka.topics.featuresUpdated, ['dlq-a', 'dlq-b', 'dlq-c'].map((key) => ({ key, value: broken, headers: {} })));
    } finally {
      await producer.disconnect();
    }
    await waitFor(async () => (await sample(service, 'clickwise_kafka_dead_letters_total', { stage: 'prediction', reason: 'decode_failed' })) === 3, { timeoutMs: 60_000, intervalMs: 250, message: 'three decode_failed dead letters counted for stage prediction' });
    const letters = (await scope.readAll(scope.kafka.topics.deadLetters)).filter((l) => l.value.stage === 'prediction');
    assert.equal(letters.length, 3, 'and the three letters are on clickstream.dlq.v1');
    assert.ok(letters.every((l) => l.value.reasonCode === 'decode_failed'));
    assert.equal(await sample(service, 'clickwise_kafka_dead_letters_total', { service: 'prediction', stage: 'prediction' }), 3, 'labelled with the service');
  });
});
