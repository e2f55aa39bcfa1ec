import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { EventSchema, EventSource, EventType, type Event } from '@clickwise/contracts';
import { FeatureEngine } from '@clickwise/features';
import { ModelRegistry } from '@clickwise/model-registry';
import { FeatureKeys } from '@clickwise/redis';
import { SENTIMENT_ARTIFACT_FORMAT, SENTIMENT_MODEL, SentimentModel } from '@clickwise/text';
import { reviewCorpus, sentimentRegistryMetrics } from '@clickwise/text/corpus';
import { trainSentimentModel } from '@clickwise/text/train';
import { repoRoot, testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { assertParity, engine as noModelEngine, FeaturesScope, type FeaturesProcess } from './harness.js';

const REVIEWS = join(repoRoot(), '..', 'shared', 'data', 'reviews');
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);

/** Views and reviews (with texts) of 12 items by 30 shoppers over a few hours. */
function reviewEvents(prefix: string, texts: readonly string[]): Event[] {
  const out: Event[] = [];
  for (let i = 0; i < 600; i++) {
    const review = i % 3 === 0;
    out.push(
      create(EventSchema, {
        eventId: `${prefix}-${i}`,
        type: review ? EventType.REVIEW : EventType.PRODUCT_VIEW,
        anonymousId: `shopper-${i % 30}`,
        sessionId: `s-${i % 30}`,
        itemId: `item-${(i * 7) % 12}`,
        categoryId: `c-${i % 4}`,
        reviewRating: review ? 1 + (i % 5) : undefined,
        reviewText: review && i % 9 !== 0 ? texts[i % texts.length]! : '',
        eventTimeMs: BigInt(T0 + i * 20_000),
        source: EventSource.SIMULATOR,
      }),
    );
  }
  return out;
}

/**
 * The features service takes the sentiment model champion from the model registry (ADR 0058):
 * review texts are scored through the definitions (Redis = the offline executor with the same
 * model), and a new champion switches to a new definitions version, built from the log.
 */
void describe('features: review sentiment from the registry champion', () => {
  let scope: FeaturesScope;
  let registry: ModelRegistry;
  let service: FeaturesProcess | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('sentiment', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    registry = new ModelRegistry(scope.kafka, { groupPrefix: uniqueName('trainer'), by: 'test' });
    await registry.start();
  });
  after(async () => {
    await service?.stop();
    await registry.stop();
    await scope.dispose();
  });

  async function caughtUp(keys: FeatureKeys): Promise<void> {
    const ends = await scope.endOffsets(scope.kafka.topics.events);
    await waitFor(
      async () => {
        const stored = await scope.redis.hgetall(keys.offsets(scope.kafka.topics.events.name));
        for (const [p, end] of ends) if (end > 0n && BigInt((stored[String(p)] ?? '-1').split('|')[0] || '-1') < end) return false;
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 100, message: `features under ${keys.definitionsVersion} to apply every event\n${service?.output().slice(-3000) ?? ''}` },
    );
  }

  async function status(): Promise<{ definitionsVersion: string; sentimentModel: { registryVersion: string | null; modelVersion: string | null } }> {
    const response = await fetch(`${service!.url}/status`);
    return (await response.json()) as never;
  }

  void it('scores review texts with the champion, and rebuilds under a new definitions version when the champion changes', async () => {
    const corpus = reviewCorpus({
      alexa: readFileSync(join(REVIEWS, 'amazon_alexa.tsv'), 'utf8'),
      amazonCells: readFileSync(join(REVIEWS, 'amazon_cells_labelled.txt'), 'utf8'),
      yelp: readFileSync(join(REVIEWS, 'yelp_labelled.txt'), 'utf8'),
    }).filter((_, i) => i % 3 === 0);
    const first = await trainSentimentModel({ texts: corpus, seed: 1, epochs: 6, backend: 'wasm' });
    const publish = (artifact: Uint8Array, metrics: Record<string, number>) =>
      registry.publish(
        { model: SENTIMENT_MODEL, artifact, format: SENTIMENT_ARTIFACT_FORMAT, metrics, featureDefinitionsVersion: '', backend: 'wasm', holdoutFromMs: 0, holdoutToMs: 0 },
        { champion: true, reason: 'test' },
      );
    const v1 = await publish(first.artifact, sentimentRegistryMetrics(first.metrics));

    const texts = corpus.slice(0, 40).map((t) => t.text);
    await scope.produce(reviewEvents('a', texts));
    service = await scope.start();
    const engine1 = new FeatureEngine(undefined, { sentiment: new SentimentModel(first.artifact) });
    const keys1 = new FeatureKeys(engine1.version, scope.redisKeyPrefix);
    await caughtUp(keys1);
    const s1 = await status();
    assert.equal(s1.definitionsVersion, engine1.version);
    assert.equal(s1.sentimentModel.registryVersion, v1.version);
    assert.notEqual(engine1.version, noModelEngine.version);

    const { offline } = await scope.offline({ engine: engine1 });
    await assertParity({ redis: scope.redis, keys: keys1 }, offline);
    const item = offline.values('item', 'item-0', offline.streamTimeMs);
    assert.equal(typeof item.item_review_sentiment_mean_30d, 'number', 'an item with reviews has a sentiment mean');
    assert.ok((item.item_scored_reviews_30d as number) > 0);

    // A new champion: the service switches to its definitions version and builds it from the log.
    const second = await trainSentimentModel({ texts: corpus, seed: 2, epochs: 6, backend: 'wasm' });
    const v2 = await publish(second.artifact, sentimentRegistryMetrics(second.metrics));
    const engine2 = new FeatureEngine(undefined, { sentiment: new SentimentModel(second.artifact) });
    assert.notEqual(engine2.version, engine1.version);
    const keys2 = new FeatureKeys(engine2.version, scope.redisKeyPrefix);
    await waitFor(async () => (await status()).sentimentModel.registryVersion === v2.version, { timeoutMs: 60_000, message: 'the service to switch to v2' });
    await scope.produce(reviewEvents('b', texts.slice(5)).map((e) => ({ ...e, eventTimeMs: e.eventTimeMs + 12_000_000n })));
    await caughtUp(keys2);
    const replay2 = await scope.offline({ engine: engine2 });
    await assertParity({ redis: scope.redis, keys: keys2 }, replay2.offline);
    // The first namespace stays beside it (readers switch by version).
    assert.ok((await scope.redis.exists(keys1.meta())) === 1);
  });
});
