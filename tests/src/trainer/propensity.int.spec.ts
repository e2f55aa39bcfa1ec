import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ApiKeyStore } from '@clickwise/api-keys';
import { FeatureEngine } from '@clickwise/features';
import { ModelRegistry } from '@clickwise/model-registry';
import { loadSequenceModel, SEQUENCE_ARTIFACT_FORMAT } from '@clickwise/sequence';
import { testInfra, waitFor } from '@clickwise/testing';
import { ARTIFACT_FORMAT, PurchaseScorer } from '@clickwise/training';
import { retailRocketEvents } from '../features/harness.js';
import type { ServiceProcess } from '../support/service-process.js';
import { logLines, metric, status, TrainerScope, type RunView } from './harness.js';

async function lastRun(service: ServiceProcess, accept: (run: RunView) => boolean, message: string, timeoutMs: number): Promise<RunView> {
  return waitFor(
    async () => {
      const run = (await status(service)).lastRun;
      return run && accept(run) ? run : undefined;
    },
    { timeoutMs, intervalMs: 250, message: `${message}\n--- service output ---\n${service.output().slice(-4000)}` },
  );
}

/**
 * The production trainer (its manifest's entry: the real purchase-propensity, segments and next-item jobs) against real
 * Kafka and Redis: too short a history fails with the reason and the service stays up; the
 * RetailRocket week on Kafka gives a champion in the registry; a second run is compared with it on
 * the same hold-out.
 */
void describe('trainer service, production entry: the purchase-propensity, segments and next-item jobs', () => {
  const infra = testInfra();
  const short = new TrainerScope('trainer-short', infra.kafkaBrokers, infra.redisUrl);
  const s = new TrainerScope('trainer-propensity', infra.kafkaBrokers, infra.redisUrl);
  let service: ServiceProcess | undefined;
  let registry: ModelRegistry | undefined;

  after(async () => {
    await service?.kill();
    await registry?.stop();
    await short.dispose();
    await s.dispose();
  });

  // Two runs of three jobs (the next-item model trains in TensorFlow.js too): more than the runner's default 10 minutes on a loaded box.
  void it('fails a run on 5 events with the reason, then trains the RetailRocket week into a champion, and compares the next run with it', { timeout: 1_800_000 }, async () => {
    const env = { TRAINER_CHECK_MS: '200', TRAINER_RETRY_AFTER_MS: '600000', TRAINER_INTERVAL: '1h' };
    await short.createTopics();
    await short.produce(5);
    service = await short.start(env, { production: true });
    assert.deepEqual((await status(service)).jobs, ['propensity', 'segments', 'next-item']);
    const [backendLine] = logLines(service, 'TensorFlow.js backend');
    assert.ok(backendLine && ['native', 'wasm', 'cpu'].includes(String(backendLine.backend)), 'the trainer logs the backend in use');

    // 1. No champion and 5 events: the start-up run fails on the time split, says why, and the service stays ready.
    const failed = await lastRun(service, (r) => r.outcome === 'failed', 'the start-up run on 5 events', 60_000);
    assert.equal(failed.trigger, 'no-model');
    assert.match(failed.jobs.find((j) => j.name === 'propensity')?.error ?? '', /a time split needs at least/);
    assert.match(failed.jobs.find((j) => j.name === 'segments')?.error ?? '', /too few to segment/);
    assert.match(failed.jobs.find((j) => j.name === 'next-item')?.error ?? '', /too few for a next-item hold-out/);
    assert.equal(logLines(service, 'job failed').length, 3);
    assert.equal((await fetch(`${service.url}/health/ready`)).status, 200);
    assert.equal(await service.stop(), 0);

    // 2. The week on Kafka (topics of its own): no champion, so the trainer trains at start.
    await s.createTopics();
    await s.produceEvents(retailRocketEvents());
    service = await s.start(env, { production: true });
    const ops = (await new ApiKeyStore(s.redis, s.keys).create({ name: 'operator', scopes: ['ops'] })).key;
    const train = () => fetch(`${service!.url}/ops/train`, { method: 'POST', headers: { 'x-api-key': ops } });
    const first = await lastRun(service, (r) => r.trigger === 'no-model', 'the start-up run on the week', 900_000);
    assert.equal(first.outcome, 'ok', JSON.stringify(first));

    registry = new ModelRegistry(s.kafka, { groupPrefix: 'trainer-propensity-test' });
    await registry.start();
    const champion = registry.champion('propensity');
    assert.ok(champion, 'a propensity champion');
    assert.equal(champion.artifact.format, ARTIFACT_FORMAT);
    assert.equal(champion.featureDefinitionsVersion, new FeatureEngine().version, 'trained on the serving definitions');
    assert.ok(['tensorflow', 'native', 'wasm', 'cpu'].includes(champion.backend), champion.backend);
    // The rule "added to cart in this session" scores 0.747 on this hold-out (ADR 0053).
    assert.ok(champion.metrics.roc_auc! > 0.8, `ROC-AUC ${champion.metrics.roc_auc}`);
    assert.ok(champion.metrics.roc_auc_low! < champion.metrics.roc_auc! && champion.metrics.roc_auc! < champion.metrics.roc_auc_high!, 'with its interval');
    const scorer = PurchaseScorer.fromBytes(await registry.readArtifact(champion));
    assert.ok(scorer.columns.length > 20, `${scorer.columns.length} columns`);
    const segments = registry.champion('segments');
    assert.ok(segments, 'a segments champion from the same run');
    assert.ok(segments.metrics.k! >= 2 && segments.metrics.shoppers! > 10_000, JSON.stringify(segments.metrics));
    assert.equal(segments.featureDefinitionsVersion, champion.featureDefinitionsVersion);
    // The next-item sequence model of the same run beats popularity on its time hold-out (HR@20 and MRR@20 over every item).
    const nextItem = registry.champion('next-item');
    assert.ok(nextItem, 'a next-item champion from the same run');
    assert.equal(nextItem.artifact.format, SEQUENCE_ARTIFACT_FORMAT);
    assert.equal(nextItem.featureDefinitionsVersion, '', 'reads no feature definitions');
    const m = nextItem.metrics;
    assert.ok(m.cases! > 500, `${m.cases} hold-out cases`);
    assert.ok(m['hr@20']! > m.popularity_hr20! && m['mrr@20']! > m.popularity_mrr20!, `next-item ${JSON.stringify(m)}`);
    const sequence = loadSequenceModel(await registry.readArtifact(nextItem));
    assert.equal(sequence.itemIds.length, m.items);
    const someItem = sequence.itemIds[0]!;
    assert.ok(sequence.topK([someItem], 20).length === 20, 'serves a top 20 without TensorFlow');

    // 3. A manual run is published too, compared with the champion on the same hold-out.
    assert.equal((await train()).status, 202);
    const second = await lastRun(service, (r) => r.trigger === 'manual', 'the manual run', 900_000);
    assert.equal(second.outcome, 'ok', JSON.stringify(second));
    await waitFor(() => registry!.list('propensity').length === 2, { timeoutMs: 30_000, message: 'two versions' });
    const [v1, v2] = registry.list('propensity');
    assert.equal(v1!.version, champion.version);
    assert.equal(v2!.comparedToVersion, v1!.version, 'compared with the champion');
    assert.equal(v2!.holdoutFromMs, v1!.holdoutFromMs, 'on the same hold-out');
    const now = registry.champion('propensity')!;
    assert.equal(now.version, v2!.wonWhenPublished ? v2!.version : v1!.version, 'champion only if it won');
    await waitFor(() => registry!.list('next-item').length === 2, { timeoutMs: 30_000, message: 'two next-item versions' });
    const [n1, n2] = registry.list('next-item');
    assert.equal(n2!.comparedToVersion, n1!.version, 'the next-item model is compared with its champion');
    assert.equal(n2!.holdoutFromMs, n1!.holdoutFromMs, 'on the same hold-out');
    // Same history and seed: the same model, so it does not strictly beat the champion.
    assert.equal(registry.champion('next-item')!.version, n2!.wonWhenPublished ? n2!.version : n1!.version, 'champion only if it won');
    assert.equal(await metric(service, 'clickwise_trainer_runs_total', { trigger: 'no-model', outcome: 'ok' }), 1);
    assert.equal(await metric(service, 'clickwise_trainer_runs_total', { trigger: 'manual', outcome: 'ok' }), 1);
  });
});
