import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { testInfra } from '@clickwise/testing';
import { simulatorEvents } from '../features/harness.js';
import type { ServiceProcess } from '../support/service-process.js';
import { expectedScore, PredictionScope, propensityDocument, SEGMENTS_ARTIFACT_FORMAT, SEGMENTS_MODEL, segmentsOf, type PredictionClient } from './harness.js';

const run = promisify(execFile);

/** grpcurl from PATH or the Go bin folder (`go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest`). */
function grpcurlPath(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')]) {
    const p = join(dir, 'grpcurl');
    if (dir && existsSync(p)) return p;
  }
  throw new Error('grpcurl is not installed: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest');
}

function code(error: unknown): grpc.status {
  return (error as grpc.ServiceError).code;
}

/**
 * Predict over gRPC against the real service process, with the real features service filling
 * Redis from simulator events and a clickwise-linear/1 champion published in the registry before
 * start: scores checked against the spec's formula over the same features read independently.
 */
void describe('prediction: Predict, PredictBatch, auth, errors, health, reflection', () => {
  let scope: PredictionScope;
  let features: ServiceProcess | undefined;
  let prediction: ServiceProcess | undefined;
  let client: PredictionClient;
  let readKey: string;
  let shoppers: string[];
  const doc = propensityDocument();
  let version: string;
  let segments: ReturnType<typeof segmentsOf>;
  let segmentsVersion: string;

  before(async () => {
    const infra = testInfra();
    scope = new PredictionScope('predict', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
    version = (await scope.publishModel(doc)).version;
    const events = simulatorEvents(91, 3000, { shoppers: 200, items: 300, rate: 100 });
    shoppers = [...new Set(events.map((e) => e.userId || e.anonymousId))];
    features = await scope.start();
    await scope.produce(events);
    await scope.waitCaughtUp(120_000, features);
    segments = segmentsOf(await Promise.all(shoppers.map((shopperKey) => scope.reader.read({ shopperKey }))));
    segmentsVersion = (await scope.publishModel(segments.artifact, { model: SEGMENTS_MODEL, format: SEGMENTS_ARTIFACT_FORMAT })).version;
    prediction = await scope.startPrediction({ PREDICTION_PER_CLICK: 'false' });
    client = scope.client(prediction);
    readKey = await scope.createKey(['read']);
  });
  after(async () => {
    await prediction?.stop();
    await features?.stop();
    await scope.dispose();
  });

  void it('answers the champion loaded at start, scored by the spec formula, with an explanation that adds up', async () => {
    const shopper = shoppers[0]!;
    const first = (await client.predict({ shopperKey: shopper, topContributions: 100 }, { metadata: { 'x-api-key': readKey }, timeoutMs: 5000 })).prediction!;
    const second = (await client.predict({ shopperKey: shopper, topContributions: 2 }, { metadata: { 'x-api-key': readKey }, timeoutMs: 5000 })).prediction!;
    const snapshot = await scope.reader.read({ shopperKey: shopper });
    const want = expectedScore(doc, snapshot);
    assert.equal(first.model, 'propensity');
    const segment = segments.model.assign(segments.record(snapshot));
    assert.deepEqual({ id: first.segment?.id, name: first.segment?.name, version: first.segment?.modelVersion }, { id: String(segment.id), name: segment.name, version: segmentsVersion });
    assert.equal(first.modelVersion, version);
    assert.equal(first.explanationMethod, 'linear-exact');
    assert.ok(Math.abs(first.logit - want.logit) < 1e-9, `logit ${first.logit} vs ${want.logit}`);
    assert.ok(Math.abs(first.purchaseProbability - 1 / (1 + Math.exp(-want.logit))) < 1e-9);
    assert.ok(Math.abs(first.baselineLogit - want.baselineLogit) < 1e-12);
    assert.equal(first.topContributions.length, doc.inputs.length, 'all six inputs when 100 are asked');
    for (const c of first.topContributions) assert.ok(Math.abs(c.contribution - want.contributions.get(c.feature)!) < 1e-9, c.feature);
    const sum = first.topContributions.reduce((s, c) => s + c.contribution, first.baselineLogit);
    assert.ok(Math.abs(sum - first.logit) < 1e-9, 'baseline + contributions = logit');
    const magnitudes = first.topContributions.map((c) => Math.abs(c.contribution));
    assert.deepEqual(magnitudes, [...magnitudes].sort((x, y) => y - x), 'largest first');
    assert.deepEqual(second.topContributions.map((c) => c.feature), first.topContributions.slice(0, 2).map((c) => c.feature));
    assert.ok(second.sequence > first.sequence, 'server sequence increases');
    assert.equal(first.snapshotVersion, BigInt(snapshot.snapshotVersion));
    assert.equal(first.newestEventTimeMs, BigInt(snapshot.refMs!));
    assert.ok(first.featureAgeMs >= 0n && first.featureAgeMs === BigInt(Number(first.predictedAtMs) - snapshot.refMs!), 'freshness = predicted at − newest event time');
  });

  void it('maps errors once: UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT (field), NOT_FOUND', async () => {
    const shopper = shoppers[0]!;
    await assert.rejects(client.predict({ shopperKey: shopper }), (e) => code(e) === grpc.status.UNAUTHENTICATED);
    await assert.rejects(client.predict({ shopperKey: shopper }, { metadata: { 'x-api-key': 'cw_not_a_key' } }), (e) => code(e) === grpc.status.UNAUTHENTICATED);
    const ingestKey = await scope.createKey(['ingest']);
    await assert.rejects(client.predict({ shopperKey: shopper }, { metadata: { 'x-api-key': ingestKey } }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.PERMISSION_DENIED);
      assert.match(e.details, /lacks the "read" scope/);
      return true;
    });
    await assert.rejects(client.predict({ shopperKey: '' }, { metadata: { 'x-api-key': readKey } }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(e.metadata.get('x-field')[0], 'shopper_key');
      return true;
    });
    await assert.rejects(client.predict({ shopperKey: shopper, topContributions: 101 }, { metadata: { 'x-api-key': readKey } }), (e) => code(e) === grpc.status.INVALID_ARGUMENT);
    await assert.rejects(client.predict({ shopperKey: 'nobody-at-all' }, { metadata: { 'x-api-key': readKey } }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.NOT_FOUND);
      assert.match(e.details, /no features are stored for shopper "nobody-at-all"/);
      return true;
    });
    // A deadline already too short for the call: the client sees DEADLINE_EXCEEDED, not a late answer.
    await assert.rejects(client.predict({ shopperKey: shopper }, { metadata: { 'x-api-key': readKey }, timeoutMs: 0 }), (e) => code(e) === grpc.status.DEADLINE_EXCEEDED);
  });

  void it('PredictBatch answers each shopper on its own, in order', async () => {
    const asked = [shoppers[1]!, 'nobody-at-all', shoppers[2]!];
    const response = await client.predictBatch({ requests: asked.map((shopperKey) => ({ shopperKey })) }, { metadata: { 'x-api-key': readKey } });
    assert.deepEqual(response.results.map((r) => r.shopperKey), asked);
    assert.deepEqual(response.results.map((r) => r.errorCode), [0, grpc.status.NOT_FOUND, 0]);
    assert.equal(response.results[0]!.prediction!.modelVersion, version);
    assert.equal(response.results[1]!.prediction, undefined);
    await assert.rejects(client.predictBatch({ requests: [] }, { metadata: { 'x-api-key': readKey } }), (e) => code(e) === grpc.status.INVALID_ARGUMENT);
    await assert.rejects(client.predictBatch({ requests: [{ shopperKey: 'a' }, { shopperKey: '' }] }, { metadata: { 'x-api-key': readKey } }), (e: grpc.ServiceError) => {
      assert.equal(e.metadata.get('x-field')[0], 'requests[1].shopper_key');
      return true;
    });
  });

  void it('grpcurl, knowing only the address and a key, lists the services by reflection, checks health and calls Predict', async () => {
    const grpcurl = grpcurlPath();
    const address = `127.0.0.1:${prediction!.ports.grpc}`;
    const list = await run(grpcurl, ['-plaintext', address, 'list']);
    assert.match(list.stdout, /clickwise\.v1\.PredictionService/);
    assert.match(list.stdout, /grpc\.health\.v1\.Health/);
    const health = await run(grpcurl, ['-plaintext', '-d', '{"service":"clickwise.v1.PredictionService"}', address, 'grpc.health.v1.Health/Check']);
    assert.equal((JSON.parse(health.stdout) as { status: string }).status, 'SERVING');
    const out = await run(grpcurl, ['-plaintext', '-H', `x-api-key: ${readKey}`, '-d', JSON.stringify({ shopper_key: shoppers[3] }), address, 'clickwise.v1.PredictionService/Predict']);
    const answer = JSON.parse(out.stdout) as { prediction: { shopperKey: string; modelVersion: string; purchaseProbability: number; topContributions: unknown[] } };
    assert.equal(answer.prediction.shopperKey, shoppers[3]);
    assert.equal(answer.prediction.modelVersion, version);
    assert.ok(answer.prediction.purchaseProbability > 0 && answer.prediction.purchaseProbability < 1);
    assert.equal(answer.prediction.topContributions.length, 5, 'the default of 5');
    await assert.rejects(run(grpcurl, ['-plaintext', '-d', JSON.stringify({ shopper_key: shoppers[3] }), address, 'clickwise.v1.PredictionService/Predict']), (e: { stderr: string }) => {
      assert.match(e.stderr, /Unauthenticated/);
      return true;
    });
  });

  void it('a challenger to a deterministic share of shoppers (hash of the key), with the share and version on every answer; shadow beside', async () => {
    const challenger = await scope.publishModel(propensityDocument(-0.5), { champion: false });
    const share = await scope.startPrediction({ PREDICTION_PER_CLICK: 'false', PREDICTION_CHALLENGER_VERSION: challenger.version, PREDICTION_CHALLENGER_MODE: 'share', PREDICTION_CHALLENGER_SHARE: '0.5' });
    const shadow = await scope.startPrediction({ PREDICTION_PER_CLICK: 'false', PREDICTION_CHALLENGER_VERSION: challenger.version, PREDICTION_CHALLENGER_MODE: 'shadow' });
    try {
      const shareClient = scope.client(share);
      const shadowClient = scope.client(shadow);
      const arms = new Set<string>();
      for (const shopper of shoppers.slice(0, 40)) {
        const bucket = createHash('sha256').update(shopper).digest().readUInt32BE(0) / 2 ** 32;
        const want = bucket < 0.5 ? challenger.version : version;
        for (let i = 0; i < 2; i++) {
          const p = (await shareClient.predict({ shopperKey: shopper }, { metadata: { 'x-api-key': readKey } })).prediction!;
          assert.equal(p.modelVersion, want, `shopper ${shopper} (bucket ${bucket})`);
          assert.equal(p.arm, bucket < 0.5 ? 'challenger' : 'champion');
          assert.equal(p.challengerShare, 0.5);
          assert.equal(p.challengerMode, 'share');
          arms.add(p.arm);
        }
        const s = (await shadowClient.predict({ shopperKey: shopper }, { metadata: { 'x-api-key': readKey } })).prediction!;
        assert.equal(s.modelVersion, version, 'shadow: the champion answers');
        assert.equal(s.shadowModelVersion, challenger.version);
        assert.ok(s.shadowProbability > 0 && s.shadowProbability < 1 && s.shadowProbability !== s.purchaseProbability);
      }
      assert.deepEqual([...arms].sort(), ['challenger', 'champion']);
    } finally {
      await share.stop();
      await shadow.stop();
    }
  });
});
