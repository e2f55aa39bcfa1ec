import { create } from '@bufbuild/protobuf';
import { ModelArtifactRecordSchema, topics } from '@clickwise/contracts';
import { InvalidInputError, NotFoundError } from '@clickwise/errors';
import { KafkaPlatform } from '@clickwise/kafka';
import { testInfra, uniqueName } from '@clickwise/testing';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactUri, chunkRecords, sha256Hex } from './artifacts.js';
import { decideChampion } from './champion.js';
import { assertCompatible } from './compat.js';
import { CorruptArtifactError, IncompatibleModelError, MissingArtifactError } from './errors.js';
import { versionRecord } from './records.js';
import { ModelRegistry, type ModelRegistryOptions, type PublishInput } from './registry.js';
import type { Champion } from './types.js';

const HOLDOUT = { holdoutFromMs: Date.UTC(2026, 10, 30), holdoutToMs: Date.UTC(2026, 11, 2) };
const DEFS = 'a1b2c3d4e5f6';

function input(model: string, artifact: Uint8Array, overrides: Partial<PublishInput> = {}): PublishInput {
  return { model, artifact, format: 'test-bytes/1', metrics: { roc_auc: 0.8, pr_auc: 0.2 }, featureDefinitionsVersion: DEFS, backend: 'cpu', ...HOLDOUT, ...overrides };
}

void describe('ModelRegistry against Kafka: versions, champion pointer, artifacts', () => {
  const kafka = KafkaPlatform.create({ brokers: testInfra().kafkaBrokers, clientId: 'model-registry-spec', logLevel: 'ERROR', topicPrefix: `${uniqueName('registry')}.` });
  const open: ModelRegistry[] = [];
  const errors: { error: unknown; what: string }[] = [];
  let cacheRoot: string;

  async function registry(options: Partial<ModelRegistryOptions> = {}): Promise<ModelRegistry> {
    const r = new ModelRegistry(kafka, { groupPrefix: 'registry-spec', by: 'spec', onError: (error, { what }) => errors.push({ error, what }), ...options });
    open.push(r);
    await r.start();
    return r;
  }

  async function close(r: ModelRegistry): Promise<void> {
    open.splice(open.indexOf(r), 1);
    await r.stop();
  }

  before(async () => {
    await kafka.admin.ensureTopics([topics.modelsPublished, topics.modelArtifacts, topics.deadLetters]);
    cacheRoot = await mkdtemp(join(tmpdir(), 'model-cache-'));
  });
  after(async () => {
    await Promise.allSettled(open.map((r) => r.stop()));
    await kafka.admin.deletePrefixedTopics();
    await kafka.close();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  void test('publish, then read back by version: the record as published, the bytes equal and verified', async () => {
    const r = await registry();
    const bytes = randomBytes(1_300_000); // 3 chunks
    const createdAtMs = Date.UTC(2026, 11, 2, 4, 30, 12, 345);
    const published = await r.publish(input('propensity', bytes, { createdAtMs, metrics: { roc_auc: 0.871, pr_auc: 0.251, ece: 0.012 } }), { champion: false });
    const sha = sha256Hex(bytes);
    assert.equal(published.version, `20261202T043012.345Z-${sha.slice(0, 8)}`);

    const got = r.get('propensity', published.version);
    assert.ok(got, 'readable at once after publish');
    assert.deepEqual(got, published);
    assert.equal(got.createdAtMs, createdAtMs);
    assert.deepEqual(got.metrics, { roc_auc: 0.871, pr_auc: 0.251, ece: 0.012 });
    assert.equal(got.featureDefinitionsVersion, DEFS);
    assert.equal(got.backend, 'cpu');
    assert.equal(got.holdoutFromMs, HOLDOUT.holdoutFromMs);
    assert.equal(got.holdoutToMs, HOLDOUT.holdoutToMs);
    assert.equal(got.artifact.uri, `kafka://models.artifacts.v1/${sha}`);
    assert.equal(got.artifact.sha256, sha);
    assert.equal(got.artifact.sizeBytes, bytes.length);
    assert.equal(got.artifact.format, 'test-bytes/1');
    assert.equal(got.artifact.chunks, 3);
    assert.equal(got.artifact.endOffset - got.artifact.firstOffset, 3);

    const read = await r.readArtifact(got);
    assert.ok(Buffer.from(read).equals(bytes));
    // The topic holds the chunks and a manifest (and the record, with the version's key, on models.published.v1).
    const onTopic = await kafka.admin.readTopic(kafka.topics.modelArtifacts);
    assert.deepEqual(
      onTopic.filter((x) => x.value.sha256 === sha).map((x) => x.key),
      [`${sha}/0`, `${sha}/1`, `${sha}/2`, `${sha}/manifest`],
    );
    const versions = await kafka.admin.readTopic(kafka.topics.modelsPublished);
    assert.ok(versions.some((x) => x.key === `propensity/${published.version}` && x.value.artifactSha256 === sha));
    await close(r);
  });

  void test('champion pointer: publish as champion, promote, publish again, roll back twice; watchers see each change in order; a restarted registry reads the same state', async () => {
    const model = 'pointer';
    const r = await registry();
    const seen: string[] = [];
    const unwatch = r.watchChampion(model, async (c: Champion) => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // an async load: calls still come one at a time, in order
      seen.push(c.version);
    });
    const v1 = await r.publish(input(model, randomBytes(1000), { version: 'v1', createdAtMs: 1_000 }), { champion: true, reason: 'no champion yet' });
    assert.equal(r.champion(model)?.version, 'v1');
    assert.equal(r.champion(model)?.reason, 'no champion yet');
    assert.equal(r.champion(model)?.promotedBy, 'spec');
    assert.deepEqual(r.champion(model)?.previousChampions, []);

    // The trainer's decision: v2 loses on the same hold-out, stored anyway with its comparison.
    const decision = decideChampion(v1, { metrics: { roc_auc: 0.79 }, ...HOLDOUT }, { metric: 'roc_auc' });
    assert.equal(decision.champion, false);
    const v2 = await r.publish(input(model, randomBytes(1000), { version: 'v2', createdAtMs: 2_000, metrics: { roc_auc: 0.79 }, comparedToVersion: decision.comparedToVersion }), {
      champion: decision.champion,
      reason: decision.reason,
    });
    assert.equal(v2.comparedToVersion, 'v1');
    assert.equal(v2.wonWhenPublished, false);
    assert.equal(r.champion(model)?.version, 'v1', 'a loser does not become champion');

    // The operator promotes it anyway.
    const promoted = await r.promote(model, 'v2');
    assert.equal(promoted.version, 'v2');
    assert.deepEqual(promoted.previousChampions, ['v1']);
    assert.equal(promoted.reason, 'promoted by the operator');
    await r.publish(input(model, randomBytes(1000), { version: 'v3', createdAtMs: 3_000, comparedToVersion: 'v2' }), { champion: true, reason: 'roc_auc beats' });
    assert.deepEqual(r.champion(model)?.previousChampions, ['v2', 'v1']);
    assert.deepEqual(
      r.list(model).map((v) => v.version),
      ['v1', 'v2', 'v3'],
    );

    const back1 = await r.rollback(model);
    assert.equal(back1.version, 'v2');
    assert.deepEqual(back1.previousChampions, ['v1']);
    assert.equal(back1.reason, 'rollback from v3');
    const back2 = await r.rollback(model);
    assert.equal(back2.version, 'v1');
    assert.deepEqual(back2.previousChampions, []);
    await assert.rejects(r.rollback(model), (e: unknown) => e instanceof NotFoundError && /no earlier champion to roll back to \(champion v1 is the first\)/.test(e.message));
    await assert.rejects(r.promote(model, 'v9'), (e: unknown) => e instanceof NotFoundError && /pointer\/v9 is not in the registry/.test(e.message));
    // Promoting the champion is a no-op.
    assert.equal((await r.promote(model, 'v1')).promotedAtMs, back2.promotedAtMs);

    const deadline = Date.now() + 5000;
    while (seen.length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(seen, ['v1', 'v2', 'v3', 'v2', 'v1']);
    unwatch();

    // Restarted: a new registry (a new replica, a new group) reads the same state from Kafka.
    const state = { list: r.list(model), champion: r.champion(model) };
    await close(r);
    const again = new ModelRegistry(kafka, { groupPrefix: 'registry-spec' });
    open.push(again);
    // A watch registered before start gets the champion once caught up, not every pointer of the catch-up.
    const early: string[] = [];
    again.watchChampion(model, (c) => {
      early.push(c.version);
    });
    await again.start();
    assert.deepEqual(again.list(model), state.list);
    assert.deepEqual(again.champion(model), state.champion);
    // A watch registered now gets the current champion at once.
    const now: string[] = [];
    again.watchChampion(model, (c) => {
      now.push(c.version);
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(early, ['v1']);
    assert.deepEqual(now, ['v1']);
    // The restarted registry reads every artifact back (no cache: from Kafka).
    for (const v of again.list(model)) assert.equal(sha256Hex(await again.readArtifact(v)), v.artifact.sha256);
    await close(again);
  });

  void test('versions never change: the same version with other bytes is refused, with the same bytes it is a retry; the same bytes under a new version are not stored twice', async () => {
    const r = await registry();
    const bytes = randomBytes(700_000);
    const first = await r.publish(input('immutable', bytes, { version: 'v1' }), { champion: false });
    await assert.rejects(
      r.publish(input('immutable', randomBytes(10), { version: 'v1' }), { champion: false }),
      (e: unknown) => e instanceof InvalidInputError && /immutable\/v1 exists with another artifact/.test(e.message),
    );
    assert.deepEqual(await r.publish(input('immutable', bytes, { version: 'v1' }), { champion: false }), first);
    const artifactRecords = await kafka.admin.recordCount(kafka.topics.modelArtifacts);
    const second = await r.publish(input('immutable', bytes, { version: 'v2' }), { champion: false });
    assert.equal(await kafka.admin.recordCount(kafka.topics.modelArtifacts), artifactRecords, 'no chunks written again');
    assert.deepEqual(second.artifact, first.artifact);
    await assert.rejects(r.publish(input('Bad Name', bytes), { champion: false }), (e: unknown) => e instanceof InvalidInputError && e.field === 'model');
    await assert.rejects(r.publish(input('immutable', bytes, { version: 'champion' }), { champion: false }), (e: unknown) => e instanceof InvalidInputError && e.field === 'version');
    await assert.rejects(r.publish(input('immutable', new Uint8Array(0)), { champion: false }), /artifact must be non-empty bytes/);
    await assert.rejects(r.publish(input('immutable', bytes, { metrics: { roc_auc: Number.NaN } }), { champion: false }), /metric roc_auc must be a finite number/);
    await assert.rejects(r.publish(input('immutable', bytes, { backend: '' }), { champion: false }), /backend is required/);
    await close(r);
  });

  void test('a 20 MB artifact round-trips through Kafka; the local cache serves a restart and a corrupt cached copy is read again from Kafka', async () => {
    const cacheDir = join(cacheRoot, 'big');
    const writer = await registry({ cacheDir });
    const bytes = randomBytes(20 * 1024 * 1024);
    let t = Date.now();
    const published = await writer.publish(input('next-item', bytes, { format: 'tfjs-layers/1', backend: 'wasm' }), { champion: true });
    const publishMs = Date.now() - t;
    assert.equal(published.artifact.chunks, 40);
    await close(writer);

    // A replica with no cache: every chunk from Kafka.
    const reader = await registry();
    const champion = reader.champion('next-item');
    assert.ok(champion);
    t = Date.now();
    const read = await reader.readArtifact(champion);
    const readMs = Date.now() - t;
    assert.ok(Buffer.from(read).equals(bytes), '20 MB equal');
    console.log(`20 MB artifact: publish ${publishMs} ms, read from Kafka and verify ${readMs} ms`);
    await close(reader);

    // The writer's cache has the verified copy: a restart reads it from disk.
    const cachedPath = join(cacheDir, published.artifact.sha256);
    assert.ok((await readFile(cachedPath)).equals(bytes));
    const restarted = await registry({ cacheDir });
    t = Date.now();
    assert.ok(Buffer.from(await restarted.readArtifact(published)).equals(bytes));
    console.log(`20 MB artifact from the local cache: ${Date.now() - t} ms`);

    // A corrupt cached copy is noticed, deleted and replaced by the verified bytes from Kafka.
    const corrupt = await readFile(cachedPath);
    corrupt[12345]! ^= 0xff;
    await writeFile(cachedPath, corrupt);
    const before = errors.length;
    assert.ok(Buffer.from(await restarted.readArtifact(published)).equals(bytes));
    assert.ok((await readFile(cachedPath)).equals(bytes), 'the cache holds the good copy again');
    const warning = errors.slice(before).find((e) => e.what === 'artifact cache');
    assert.match(String(warning?.error), /does not match its SHA-256: deleted, reading .* from /);
    await close(restarted);
  });

  void test('a corrupt chunk on Kafka and a missing artifact are clear errors', async () => {
    const r = await registry();
    const topic = kafka.topics.modelArtifacts;
    const producer = kafka.producer({ maxBatchRecords: 1 });
    await producer.connect();
    try {
      // A writer that broke chunk 1 after computing its digest: the bytes on Kafka are not the ones the digest names.
      const bytes = randomBytes(3000);
      const { sha256, records } = chunkRecords(bytes, 1000);
      const part = records[1]!.value.part;
      assert.equal(part.case, 'chunk');
      if (part.case === 'chunk') {
        part.value.data = Uint8Array.from(part.value.data);
        part.value.data[7]! ^= 0x01;
      }
      const first = (await kafka.admin.endOffsets(topic)).get(0)!;
      for (const rec of records) await producer.send(topic, [topic.record(rec.value, { key: rec.key })]);
      const end = (await kafka.admin.endOffsets(topic)).get(0)!;
      await producer.send(topic, [
        topic.record(
          create(ModelArtifactRecordSchema, { sha256, part: { case: 'manifest', value: { sizeBytes: 3000n, chunks: 3, chunkBytes: 1000, partition: 0, firstOffset: first, endOffset: end } } }),
          { key: `${sha256}/manifest` },
        ),
      ]);
      const artifact = { uri: artifactUri(sha256), sha256, sizeBytes: 3000, format: 'test-bytes/1', partition: 0, firstOffset: Number(first), endOffset: Number(end), chunks: 3 };
      const common = { createdAtMs: 1, metrics: {}, featureDefinitionsVersion: DEFS, backend: 'cpu', ...HOLDOUT, comparedToVersion: '', wonWhenPublished: false };
      const missingSha = sha256Hex(randomBytes(16));
      const published = kafka.topics.modelsPublished;
      await producer.send(published, [
        published.record(versionRecord({ model: 'broken', version: 'corrupt', ...common, artifact }), { key: 'broken/corrupt' }),
        published.record(
          versionRecord({ model: 'broken', version: 'missing', ...common, artifact: { ...artifact, uri: artifactUri(missingSha), sha256: missingSha, firstOffset: Number(end) - 1, endOffset: Number(end) } }),
          { key: 'broken/missing' },
        ),
      ]);
    } finally {
      await producer.disconnect();
    }
    const deadline = Date.now() + 10_000;
    while (!r.get('broken', 'missing') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await assert.rejects(r.readArtifact(r.get('broken', 'corrupt')!), (e: unknown) => e instanceof CorruptArtifactError && /of broken\/corrupt is corrupt: chunk 1 of 3 does not match its SHA-256/.test(e.message));
    await assert.rejects(
      r.readArtifact(r.get('broken', 'missing')!),
      (e: unknown) => e instanceof MissingArtifactError && /of broken\/missing is incomplete on models\.artifacts\.v1: chunk 0, 1, 2 of 3 not found/.test(e.message),
    );
    await close(r);
  });

  void test('the feature-definitions guard refuses a model trained on other definitions, with a clear message', async () => {
    const r = await registry();
    const published = await r.publish(input('guarded', randomBytes(100), { version: '20261202T000000.000Z-aaaa', featureDefinitionsVersion: 'abc123abc123' }), { champion: true });
    assert.throws(
      () => r.championFor('guarded', 'def456def456'),
      (e: unknown) =>
        e instanceof IncompatibleModelError &&
        e.message === 'model guarded/20261202T000000.000Z-aaaa was trained on feature definitions abc123abc123, this service serves def456def456; retrain or deploy matching definitions',
    );
    assert.throws(() => assertCompatible(published, 'def456def456'), IncompatibleModelError);
    assert.equal(r.championFor('guarded', 'abc123abc123')?.version, published.version);
    assert.equal(r.championFor('no-such-model', 'abc123abc123'), undefined);
    // A model that reads no feature definitions (a text model) serves beside any.
    await r.publish(input('text', randomBytes(100), { featureDefinitionsVersion: '' }), { champion: true });
    assert.ok(r.championFor('text', 'def456def456'));
    await close(r);
  });
});
