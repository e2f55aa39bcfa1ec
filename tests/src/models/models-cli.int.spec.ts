import { topics } from '@clickwise/contracts';
import { KafkaPlatform } from '@clickwise/kafka';
import { ModelRegistry, type Champion, type ModelVersion } from '@clickwise/model-registry';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { execCli, runCli } from '../replay/cli.js';

const HOLDOUT = { holdoutFromMs: Date.UTC(2026, 10, 30), holdoutToMs: Date.UTC(2026, 11, 2) };

void describe('clickwise models list|show|promote|rollback, run as a process against Kafka', () => {
  const prefix = `${uniqueName('models-cli')}.`;
  const kafka = KafkaPlatform.create({ brokers: testInfra().kafkaBrokers, clientId: 'models-cli-spec', logLevel: 'ERROR', topicPrefix: prefix });
  const env = { KAFKA_BROKERS: testInfra().kafkaBrokers.join(','), KAFKA_TOPIC_PREFIX: prefix };
  // The test's own replica: publishes as the trainer would, and sees what the CLI writes.
  const registry = new ModelRegistry(kafka, { groupPrefix: 'models-cli-spec', by: 'trainer' });
  const versions: ModelVersion[] = [];

  before(async () => {
    await kafka.admin.ensureTopics([topics.modelsPublished, topics.modelArtifacts, topics.deadLetters]);
    await registry.start();
    for (const [i, roc] of [0.84, 0.86, 0.83].entries()) {
      versions.push(
        await registry.publish(
          {
            model: 'propensity',
            version: `v${i + 1}`,
            createdAtMs: Date.UTC(2026, 11, 2, 4, i),
            artifact: randomBytes(600_000 + i),
            format: 'tfjs-layers/1',
            metrics: { roc_auc: roc, pr_auc: 0.2 + i / 100 },
            featureDefinitionsVersion: 'a1b2c3d4e5f6',
            backend: 'tensorflow',
            ...HOLDOUT,
            comparedToVersion: i === 0 ? '' : 'v1',
          },
          { champion: i < 2, reason: i === 0 ? 'no champion yet' : 'roc_auc beats' },
        ),
      );
    }
    await registry.publish(
      { model: 'sentiment', version: 's1', artifact: randomBytes(2000), format: 'logreg-json/1', metrics: { accuracy: 0.88 }, featureDefinitionsVersion: '', backend: 'cpu', ...HOLDOUT },
      { champion: true },
    );
  });
  after(async () => {
    await registry.stop();
    await kafka.admin.deletePrefixedTopics();
    await kafka.close();
  });

  void test('list: a table of every version with the champion marked; --json; one model', async () => {
    const table = await execCli(['models', 'list'], env);
    assert.equal(table.code, 0, table.stderr);
    console.log(table.stdout);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^model\s+version\s+champion\s+created \(UTC\)\s+backend\s+features\s+size\s+metrics$/);
    assert.equal(lines.length, 5, 'header + 4 versions');
    assert.match(lines[1]!, /^propensity\s+v1\s{2,}2026-12-02 04:00:00\s+tensorflow\s+a1b2c3d4e5f6\s+585\.9 KiB\s+roc_auc=0\.8400 pr_auc=0\.2000$/);
    assert.match(lines[2]!, /^propensity\s+v2\s+\*\s+2026-12-02 04:01:00\s+tensorflow/);
    assert.match(lines[3]!, /^propensity\s+v3\s{2,}2026-12-02 04:02:00/);
    assert.match(lines[4]!, /^sentiment\s+s1\s+\*\s+.*cpu\s+-\s+.*accuracy=0\.8800$/);

    const { code, json } = await runCli<{ models: { model: string; champion: string | null; versions: ModelVersion[] }[] }>(['models', 'list', 'propensity'], env);
    assert.equal(code, 0);
    assert.deepEqual(
      json.models.map((m) => [m.model, m.champion, m.versions.map((v) => v.version)]),
      [['propensity', 'v2', ['v1', 'v2', 'v3']]],
    );
    assert.deepEqual(json.models[0]!.versions, versions);
  });

  void test('show: the champion by default, a version by name; --verify reads the artifact and checks its SHA-256', async () => {
    const champion = await execCli(['models', 'show', 'propensity'], env);
    assert.equal(champion.code, 0, champion.stderr);
    console.log(champion.stdout);
    assert.match(champion.stdout, /version\s+v2 {2}\(champion\)/);
    assert.match(champion.stdout, /compared to\s+v1 \(won\)/);
    assert.match(champion.stdout, /champion\s+v2 since 20\d\d-.* by trainer: roc_auc beats/);
    assert.match(champion.stdout, /earlier champions\s+v1/);
    assert.match(champion.stdout, new RegExp(`sha256\\s+${versions[1]!.artifact.sha256}`));

    const { code, json } = await runCli<ModelVersion & { isChampion: boolean; verified: boolean; championPointer: Champion }>(['models', 'show', 'propensity', 'v3', '--verify'], env);
    assert.equal(code, 0);
    assert.equal(json.version, 'v3');
    assert.equal(json.isChampion, false);
    assert.equal(json.verified, true);
    assert.equal(json.championPointer.version, 'v2');

    const missing = await execCli(['models', 'show', 'propensity', 'v9'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /propensity\/v9 is not in the registry/);
  });

  void test('promote, then roll back twice: the pointer and its history change, and serving replicas see it', async () => {
    const promoted = await runCli<{ champion: Champion; previous: string | null }>(['models', 'promote', 'propensity', 'v3'], env);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal(promoted.json.previous, 'v2');
    assert.equal(promoted.json.champion.version, 'v3');
    assert.deepEqual(promoted.json.champion.previousChampions, ['v2', 'v1']);
    assert.match(promoted.json.champion.promotedBy, /^cli:/);
    assert.equal(promoted.json.champion.reason, 'forced by the operator (clickwise models promote)');
    // The test's replica (a follower, as serving runs) sees the new champion.
    await waitFor(() => registry.champion('propensity')?.version === 'v3', { timeoutMs: 10_000 });

    const first = await execCli(['models', 'rollback', 'propensity'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /propensity: champion v3 → v2 \(rolled back; earlier champions: v1\)/);
    const second = await runCli<{ champion: Champion; previous: string | null }>(['models', 'rollback', 'propensity'], env);
    assert.equal(second.code, 0);
    assert.equal(second.json.champion.version, 'v1');
    assert.deepEqual(second.json.champion.previousChampions, []);
    assert.equal(second.json.champion.reason, 'rollback from v2');
    await waitFor(() => registry.champion('propensity')?.version === 'v1', { timeoutMs: 10_000 });

    const none = await execCli(['models', 'rollback', 'propensity'], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /propensity has no earlier champion to roll back to \(champion v1 is the first\)/);
    const unknown = await execCli(['models', 'promote', 'propensity', 'v9'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /propensity\/v9 is not in the registry/);
    const usage = await execCli(['models', 'promote', 'propensity'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /models promote needs MODEL VERSION/);
  });
});
