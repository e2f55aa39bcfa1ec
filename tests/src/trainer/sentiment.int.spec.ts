import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ApiKeyStore } from '@clickwise/api-keys';
import { ModelRegistry } from '@clickwise/model-registry';
import { repoRoot, testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { decodeSentimentArtifact, SENTIMENT_ARTIFACT_FORMAT, SENTIMENT_MODEL, SentimentModel } from '@clickwise/text';
import { startFeatures } from '../features/harness.js';
import type { ServiceProcess } from '../support/service-process.js';
import { status, TrainerScope, type RunView } from './harness.js';

const REVIEWS = join(repoRoot(), '..', 'shared', 'data', 'reviews');

type JobView = RunView['jobs'][number] & { outcome?: string; metrics?: Record<string, number>; note?: string };

/**
 * The production trainer with TRAINER_SENTIMENT_REVIEWS trains the review-sentiment model itself
 * (ADR 0061): it publishes `sentiment` to the registry with its held-back accuracy, the features
 * service loads that champion as it loads models, and a run on the same corpus skips it.
 */
void describe('trainer service: the sentiment job', () => {
  const infra = testInfra();
  const s = new TrainerScope('trainer-sentiment', infra.kafkaBrokers, infra.redisUrl);
  let trainer: ServiceProcess | undefined;
  let features: ServiceProcess | undefined;
  let registry: ModelRegistry | undefined;

  after(async () => {
    await features?.kill();
    await trainer?.kill();
    await registry?.stop();
    await s.dispose();
  });

  void it('trains on ../shared/data/reviews, publishes the champion with its held-back accuracy, the features service loads it, and the next run skips it', async () => {
    await s.createTopics();
    await s.produce(5);
    trainer = await s.start({ TRAINER_CHECK_MS: '200', TRAINER_RETRY_AFTER_MS: '600000', TRAINER_INTERVAL: '1h', TRAINER_SENTIMENT_REVIEWS: REVIEWS }, { production: true });
    assert.deepEqual((await status(trainer)).jobs, ['sentiment', 'propensity', 'segments', 'next-item'], 'the sentiment job runs first');

    // No champion: the start-up run. 5 events are too few for propensity and segments, not for sentiment.
    const first = await waitFor(
      async () => {
        const run = (await status(trainer!)).lastRun;
        return run?.trigger === 'no-model' ? run : undefined;
      },
      { timeoutMs: 600_000, intervalMs: 250, message: `the start-up run\n${trainer.output().slice(-4000)}` },
    );
    const job = (first.jobs as JobView[]).find((j) => j.name === SENTIMENT_MODEL);
    assert.ok(job?.ok && job.version, JSON.stringify(first.jobs));
    assert.equal(job.outcome, 'published');
    assert.ok(first.jobs.filter((j) => j.name !== SENTIMENT_MODEL).every((j) => !j.ok), 'propensity and segments fail on 5 events');

    registry = new ModelRegistry(s.kafka, { groupPrefix: uniqueName('sentiment-test') });
    await registry.start();
    const champion = registry.champion(SENTIMENT_MODEL);
    assert.ok(champion, 'a sentiment champion');
    assert.equal(champion.version, job.version);
    assert.equal(champion.artifact.format, SENTIMENT_ARTIFACT_FORMAT);
    assert.equal(champion.featureDefinitionsVersion, '');
    const m = champion.metrics;
    console.log(`sentiment ${champion.version}: held-back accuracy ${m.accuracy!.toFixed(3)} (ROC-AUC ${m.roc_auc!.toFixed(3)}) on ${m.held_back} texts; majority ${m.majority_accuracy!.toFixed(3)}, lexicon ${m.lexicon_accuracy!.toFixed(3)}`);
    assert.ok(m.held_back! > 900, `${m.held_back} held back`);
    assert.ok(m.accuracy! > m.majority_accuracy! && m.accuracy! > m.lexicon_accuracy!, JSON.stringify(m));
    assert.ok(m.accuracy! >= 0.85 && m.roc_auc! >= 0.9, JSON.stringify(m));
    const bytes = await registry.readArtifact(champion);
    const model = new SentimentModel(bytes);
    assert.ok(model.score('I love it, works great') > 0.7 && model.score('terrible, it broke after a day') < 0.3);
    assert.deepEqual(decodeSentimentArtifact(bytes).trainedOn.files, ['amazon_alexa.tsv', 'amazon_cells_labelled.txt', 'yelp_labelled.txt']);

    // The features service, on the same topics, loads the champion as it starts.
    features = await startFeatures({ kafkaBrokers: infra.kafkaBrokers, redisUrl: infra.redisUrl, topicPrefix: s.topicPrefix, redisKeyPrefix: `${s.redisKeyPrefix}f:`, groupId: uniqueName('features') });
    const loaded = (await (await fetch(`${features.url}/status`)).json()) as { sentimentModel: { registryVersion: string | null; modelVersion: string | null } };
    assert.equal(loaded.sentimentModel.registryVersion, champion.version);
    assert.equal(loaded.sentimentModel.modelVersion, model.version);

    // A manual run: same corpus, same settings as the champion, so the job skips (no new version).
    const ops = (await new ApiKeyStore(s.redis, s.keys).create({ name: 'operator', scopes: ['ops'] })).key;
    assert.equal((await fetch(`${trainer.url}/ops/train`, { method: 'POST', headers: { 'x-api-key': ops } })).status, 202);
    const second = await waitFor(
      async () => {
        const run = (await status(trainer!)).lastRun;
        return run?.trigger === 'manual' ? run : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 250, message: `the manual run\n${trainer.output().slice(-4000)}` },
    );
    const skipped = (second.jobs as JobView[]).find((j) => j.name === SENTIMENT_MODEL);
    assert.equal(skipped?.outcome, 'skipped', JSON.stringify(second.jobs));
    assert.match(skipped.note ?? '', new RegExp(`the champion ${champion.version} was trained on this corpus`));
    assert.equal(registry.list(SENTIMENT_MODEL).length, 1);
  });
});
