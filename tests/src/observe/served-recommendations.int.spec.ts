import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { toJson } from '@bufbuild/protobuf';
import { RecommendationSchema, type Recommendation } from '@clickwise/contracts';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import type { ServiceProcess } from '../support/service-process.js';
import { storefront } from '../recommender/fixture.js';
import { metric, RecommenderScope, type RecommenderClient } from '../recommender/harness.js';

/**
 * The served-recommendations feed (ADR 0124): every list Recommend answers is published, as
 * answered, to recommendations.served.v1, keyed by shopper (what the status page's live panel
 * follows), and counted on the recommender's /metrics.
 */
void describe('observe: each served recommendation is published to recommendations.served.v1', () => {
  let scope: RecommenderScope;
  let service: ServiceProcess | undefined;
  let client: RecommenderClient;

  before(async () => {
    const infra = testInfra();
    scope = new RecommenderScope('served', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    service = await scope.startRecommender();
    client = scope.client(service);
    await scope.produce(storefront(uniqueName('served')).events);
    await scope.waitIndexed(service);
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void it('the record is the answer (id, shopper, session, items with reasons, model version), one per call', async () => {
    const key = await scope.createKey(['read']);
    const shoppers = ['served-a', 'served-b', 'served-c'];
    const answers: Recommendation[] = [];
    for (let i = 0; i < 12; i++) {
      const shopperKey = shoppers[i % shoppers.length]!;
      const answer = await client.recommend({ shopperKey, sessionId: `${shopperKey}-s`, k: 5 }, { metadata: { 'x-api-key': key }, timeoutMs: 5000 });
      assert.ok(answer.recommendation && answer.recommendation.items.length > 0, 'an answer with items');
      answers.push(answer.recommendation);
    }
    let served: Awaited<ReturnType<typeof scope.readAll<typeof RecommendationSchema>>> = [];
    await waitFor(
      async () => {
        served = await scope.readAll(scope.kafka.topics.recommendationsServed);
        return served.length >= answers.length;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'every served list on recommendations.served.v1' },
    );
    assert.equal(served.length, answers.length, 'one record per call');
    for (const answer of answers) {
      const record = served.find((r) => r.value.recommendationId === answer.recommendationId);
      assert.ok(record, `${answer.recommendationId} published`);
      assert.equal(record.key, answer.shopperKey, 'keyed by shopper');
      assert.deepEqual(toJson(RecommendationSchema, record.value), toJson(RecommendationSchema, answer), 'the record is the answer as served');
    }
    assert.equal(await metric(service!, 'clickwise_recommender_served_published_total', { outcome: 'written' }), answers.length);
  });
});
