import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Recommendation } from '@clickwise/contracts';
import { encodeArtifact, initialWeights, PureSequenceModel, SEQUENCE_ARTIFACT_FORMAT } from '@clickwise/sequence';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import type { ServiceProcess } from '../support/service-process.js';
import { storefront, type Fixture } from './fixture.js';
import { metric, RecommenderScope, type RecommenderClient } from './harness.js';

/** A libs/sequence model over the fixture's items (seeded weights, not trained: the test is about serving the format). */
function sequenceArtifact(f: Fixture, seed: number): Uint8Array {
  const items = [...new Set(f.events.map((e) => e.itemId))].sort();
  return encodeArtifact(new PureSequenceModel(items, initialWeights(items.length, 8, 5, 10, seed), undefined));
}

/**
 * The next-item champion from the registry, hot-swapped (the prediction service's ADR 0070 slot):
 * loaded at start, swapped while Recommend calls run without pause (none fails; each list names
 * the version that took part), a broken artifact refused with the served model kept, and
 * click-through counted for the version each id names.
 */
void describe('recommender: the sequence model from the registry, hot-swapped', () => {
  let scope: RecommenderScope;
  let service: ServiceProcess | undefined;
  let client: RecommenderClient;
  let key: string;
  let f: Fixture;
  const call = () => ({ metadata: { 'x-api-key': key }, timeoutMs: 5000 });

  before(async () => {
    const infra = testInfra();
    scope = new RecommenderScope('recs-swap', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    await scope.registry.start();
    f = storefront(uniqueName('swap'));
    key = await scope.createKey(['read']);
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void it('serves the champion at start, swaps to a new one under load without a failed call, and refuses a broken one', async () => {
    const v1 = await scope.publishSequence(sequenceArtifact(f, 1), SEQUENCE_ARTIFACT_FORMAT);
    service = await scope.startRecommender();
    client = scope.client(service);
    await scope.produce(f.events);
    await scope.waitIndexed(service);
    const viewer = (k = 10) => client.recommend({ shopperKey: f.shopper('viewer'), k }, call());
    const first = (await viewer()).recommendation!;
    assert.equal(first.modelVersion, v1.version, 'the champion published before start takes part');
    assert.match(first.recommendationId, new RegExp(`^r1\\.${v1.version.replace(/\./g, '\\.')}\\.[0-9a-f]{12}$`));
    assert.ok(first.items.some((i) => i.reasons.some((r) => r.text === 'next in sequences like yours')), 'sequence candidates carry their reason');
    const cold = (await client.recommend({ shopperKey: 'nobody-at-all', k: 5 }, call())).recommendation!;
    assert.equal(cold.modelVersion, 'live', 'a list the model had no part in (no session) says live');

    // Calls without pause while a broken version, then a good one, become champion.
    let stop = false;
    const answers: Recommendation[] = [];
    let failures = 0;
    const load = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          answers.push((await viewer(5)).recommendation!);
        } catch {
          failures++;
        }
      }
    });
    const broken = await scope.publishSequence(new TextEncoder().encode('not a sequence model'), SEQUENCE_ARTIFACT_FORMAT);
    await waitFor(async () => (await metric(service!, 'clickwise_recommender_models_rejected_total', { stage: 'load' })) >= 1, { timeoutMs: 30_000, intervalMs: 50, message: 'the broken version refused' });
    const v2 = await scope.publishSequence(sequenceArtifact(f, 2), SEQUENCE_ARTIFACT_FORMAT);
    await waitFor(() => answers.slice(-8).every((a) => a.modelVersion === v2.version) && answers.length > 50, { timeoutMs: 30_000, intervalMs: 20, message: 'answers from v2' });
    const swappedAt = answers.length;
    await waitFor(() => answers.length > swappedAt + 100, { timeoutMs: 30_000, intervalMs: 20, message: 'more answers after the swap' });
    stop = true;
    await Promise.all(load);
    assert.equal(failures, 0, 'no call failed during the swaps');
    const versions = new Set(answers.map((a) => a.modelVersion));
    assert.ok(!versions.has(broken.version), 'the broken version never served');
    assert.deepEqual([...versions].sort(), [v1.version, v2.version].sort());
    assert.ok(answers.slice(swappedAt).every((a) => a.modelVersion === v2.version), 'once swapped, only v2');
    assert.equal(await metric(service, 'clickwise_recommender_model_swaps_total'), 2, 'v1 at start, v2');
  });
});
