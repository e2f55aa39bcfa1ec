import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeArtifact, initialWeights, PureSequenceModel, SEQUENCE_ARTIFACT_FORMAT } from '@clickwise/sequence';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import * as grpc from '@grpc/grpc-js';
import { PredictionScope, propensityDocument } from '../prediction/harness.js';
import { storefront } from '../recommender/fixture.js';
import { RecommenderScope } from '../recommender/harness.js';
import { metric } from '../support/metrics.js';
import type { ServiceProcess } from '../support/service-process.js';

const DURATION = 'clickwise_grpc_server_duration_seconds';
const code = (p: Promise<unknown>) => p.then(() => 'OK', (e: grpc.ServiceError) => grpc.status[e.code]);

/**
 * Issue 12 on the shared gRPC edge (libs/grpc GrpcEdge), scraped from the real services' /metrics:
 * every call timed by method and status code, and the model versions in use by role, following a
 * hot swap.
 */
void describe('observe: gRPC latency by method and code, and the models in use (prediction)', () => {
  let scope: PredictionScope;
  let service: ServiceProcess | undefined;

  before(async () => {
    scope = new PredictionScope('grpc-metrics', testInfra().kafkaBrokers, testInfra().redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void it('Predict timed by code; champion and shadow in use, the champion followed through a swap', async () => {
    const v1 = await scope.publishModel(propensityDocument(-3));
    const shadow = await scope.publishModel(propensityDocument(-1), { champion: false });
    service = await scope.startPrediction({ PREDICTION_SCORE_UNKNOWN: 'true', PREDICTION_PER_CLICK: 'false', PREDICTION_CHALLENGER_VERSION: shadow.version, PREDICTION_CHALLENGER_MODE: 'shadow' });
    const client = scope.client(service);
    const key = await scope.createKey(['read']);
    const auth = { metadata: { 'x-api-key': key }, timeoutMs: 5000 };
    const codes = [
      ...(await Promise.all([1, 2, 3].map((i) => code(client.predict({ shopperKey: `someone-${i}` }, auth))))),
      await code(client.predict({ shopperKey: 'someone' }, { timeoutMs: 5000 })),
      await code(client.predict({ shopperKey: '' }, auth)),
      await code(client.predictBatch({ requests: [] }, auth)),
    ];
    assert.deepEqual(codes, ['OK', 'OK', 'OK', 'UNAUTHENTICATED', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
    const at = (labels: Record<string, string>) => metric(service!, `${DURATION}_count`, { service: 'prediction', ...labels });
    assert.equal(await at({ method: 'Predict', code: 'OK' }), 3);
    assert.equal(await at({ method: 'Predict', code: 'UNAUTHENTICATED' }), 1);
    assert.equal(await at({ method: 'Predict', code: 'INVALID_ARGUMENT' }), 1);
    assert.equal(await at({ method: 'PredictBatch', code: 'INVALID_ARGUMENT' }), 1);
    // The OK calls' buckets: each of them is under the histogram's largest bound.
    assert.equal(await metric(service, `${DURATION}_bucket`, { method: 'Predict', code: 'OK', le: '10' }), 3);

    const inUse = (labels: Record<string, string>) => metric(service!, 'clickwise_model_in_use', { service: 'prediction', model: 'propensity', ...labels });
    assert.equal(await inUse({ version: v1.version, role: 'champion' }), 1);
    assert.equal(await inUse({ version: shadow.version, role: 'shadow' }), 1);
    assert.equal(await inUse({}), 2, 'nothing else in use');

    const v2 = await scope.publishModel(propensityDocument(-2));
    await waitFor(async () => (await inUse({ version: v2.version, role: 'champion' })) === 1, { timeoutMs: 30_000, intervalMs: 100, message: 'the new champion in use' });
    assert.equal(await inUse({ version: v1.version }), 0, 'the champion swapped out is no longer in use');
    assert.equal(await inUse({ version: shadow.version, role: 'shadow' }), 1);
  });
});

void describe('observe: gRPC latency by method and code, and the models in use (recommender)', () => {
  let scope: RecommenderScope;
  let service: ServiceProcess | undefined;

  before(async () => {
    scope = new RecommenderScope('recs-grpc-metrics', testInfra().kafkaBrokers, testInfra().redisUrl);
    await scope.createTopics();
    await scope.registry.start();
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void it('Recommend and SimilarItems timed by code; the next-item champion in use, followed through a swap', async () => {
    const f = storefront(uniqueName('grpc-metrics'));
    const items = [...new Set(f.events.map((e) => e.itemId))].sort();
    const artifact = (seed: number) => encodeArtifact(new PureSequenceModel(items, initialWeights(items.length, 8, 5, 10, seed), undefined));
    const v1 = await scope.publishSequence(artifact(1), SEQUENCE_ARTIFACT_FORMAT);
    service = await scope.startRecommender();
    const client = scope.client(service);
    const key = await scope.createKey(['read']);
    const auth = { metadata: { 'x-api-key': key }, timeoutMs: 5000 };
    const codes = [
      await code(client.recommend({ shopperKey: 'nobody', k: 3 }, auth)),
      await code(client.recommend({ shopperKey: 'nobody', k: 3 }, { timeoutMs: 5000 })),
      await code(client.recommend({ shopperKey: 'nobody', k: 101 }, auth)),
      await code(client.similarItems({ itemId: f.item('a1'), k: 3 }, auth)),
    ];
    assert.deepEqual(codes, ['OK', 'UNAUTHENTICATED', 'INVALID_ARGUMENT', 'OK']);
    const at = (labels: Record<string, string>) => metric(service!, `${DURATION}_count`, { service: 'recommender', ...labels });
    assert.equal(await at({ method: 'Recommend', code: 'OK' }), 1);
    assert.equal(await at({ method: 'Recommend', code: 'UNAUTHENTICATED' }), 1);
    assert.equal(await at({ method: 'Recommend', code: 'INVALID_ARGUMENT' }), 1);
    assert.equal(await at({ method: 'SimilarItems', code: 'OK' }), 1);

    const inUse = (labels: Record<string, string>) => metric(service!, 'clickwise_model_in_use', { service: 'recommender', model: 'next-item', ...labels });
    assert.equal(await inUse({ version: v1.version, role: 'champion' }), 1);
    const v2 = await scope.publishSequence(artifact(2), SEQUENCE_ARTIFACT_FORMAT);
    await waitFor(async () => (await inUse({ version: v2.version, role: 'champion' })) === 1, { timeoutMs: 30_000, intervalMs: 100, message: 'the new champion in use' });
    assert.equal(await inUse({ version: v1.version }), 0);
    assert.equal(await inUse({}), 1);
  });
});
