import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { LocalRedis } from '@clickwise/local-infra';
import { testInfra, waitFor } from '@clickwise/testing';
import type { ServiceProcess } from '../support/service-process.js';
import { PredictionScope, propensityDocument, type PredictionClient } from './harness.js';

function code(error: unknown): grpc.status {
  return (error as grpc.ServiceError).code;
}

/**
 * UNAVAILABLE while Redis is down (and back by itself when it returns), RESOURCE_EXHAUSTED with a
 * retry delay past PREDICTION_MAX_INFLIGHT. The service scores unknown shoppers here
 * (PREDICTION_SCORE_UNKNOWN=true: the model's prior), so no features service is needed; the API
 * key stays cached across the outage, so the feature read is what fails.
 */
void describe('prediction: Redis down and overload', () => {
  let redis: LocalRedis;
  let scope: PredictionScope;
  let prediction: ServiceProcess | undefined;
  let client: PredictionClient;
  let key: string;

  before(async () => {
    redis = await LocalRedis.startOwn();
    scope = new PredictionScope('outage', testInfra().kafkaBrokers, redis.url);
    await scope.createTopics();
    await scope.startRegistry();
    await scope.publishModel(propensityDocument());
    key = await scope.createKey(['read']);
  });
  after(async () => {
    await prediction?.stop();
    await scope.dispose().catch(() => undefined);
    await redis.dispose();
  });

  void it('UNAVAILABLE while Redis is down, answers again once it is back', async () => {
    prediction = await scope.startPrediction({ PREDICTION_SCORE_UNKNOWN: 'true', PREDICTION_PER_CLICK: 'false', API_KEY_CACHE_TTL_MS: '60000', PREDICTION_REDIS_TIMEOUT_MS: '500' });
    client = scope.client(prediction);
    const call = () => client.predict({ shopperKey: 'new-shopper' }, { metadata: { 'x-api-key': key }, timeoutMs: 5000 });
    const prior = (await call()).prediction!;
    assert.equal(prior.snapshotVersion, 0n);
    assert.equal(prior.featureAgeMs, -1n, 'no events behind it');
    await redis.kill();
    await assert.rejects(call(), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.UNAVAILABLE);
      assert.match(e.details, /Redis \(live features\) did not answer/);
      assert.ok(Number(e.metadata.get('retry-after-ms')[0]) > 0);
      return true;
    });
    await redis.start();
    await waitFor(() => call().then(() => true, () => false), { timeoutMs: 30_000, intervalMs: 200, message: 'Predict to answer again after Redis came back' });
  });

  void it('RESOURCE_EXHAUSTED with retry-after-ms past PREDICTION_MAX_INFLIGHT; the admitted calls succeed', async () => {
    await prediction?.stop();
    // The restarted Redis of the first test kept nothing (no persistence): a new key.
    key = await scope.createKey(['read']);
    prediction = await scope.startPrediction({ PREDICTION_SCORE_UNKNOWN: 'true', PREDICTION_PER_CLICK: 'false', PREDICTION_MAX_INFLIGHT: '2' });
    client = scope.client(prediction);
    const outcomes = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => client.predict({ shopperKey: `s${i}` }, { metadata: { 'x-api-key': key }, timeoutMs: 20_000 })));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    const ok = outcomes.length - refused.length;
    assert.ok(refused.length > 0, 'some calls were refused');
    assert.ok(ok > 0, `some calls were admitted; refusals: ${[...new Set(refused.map((r) => String(r.reason)))].slice(0, 5).join(' | ')}`);
    for (const r of refused) {
      assert.equal(code(r.reason), grpc.status.RESOURCE_EXHAUSTED, String(r.reason));
      assert.equal((r.reason as grpc.ServiceError).metadata.get('retry-after-ms')[0], '50');
    }
    console.log(`overload: 300 calls at once with PREDICTION_MAX_INFLIGHT=2: ${ok} answered, ${refused.length} RESOURCE_EXHAUSTED`);
  });
});
