import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { RedisKeys } from '@clickwise/redis';
import { LocalRedis, testInfra, waitFor } from '@clickwise/testing';
import { TestScope, type IngestionProcess } from '../ingestion/harness.js';
import { RETAILROCKET, runCli } from './cli.js';

interface Summary {
  replayed: number;
  accepted: number;
  duplicates: number;
  failed: number;
  retries: number;
}

const SLICE = 3000;

/**
 * A Redis that lost ingestion's dedupe ids (FLUSHALL; a restart without persistence) must not let a
 * rerun of the same deterministic ids through: ingestion rebuilds the ids from the events topic
 * before it claims again (ADR 0024), so the topic keeps one copy of each event.
 */
void describe('replay: dedupe survives a Redis that lost its state', () => {
  const { kafkaBrokers } = testInfra();
  let redis: LocalRedis;
  let scope: TestScope;
  let service: IngestionProcess;

  before(async () => {
    redis = await LocalRedis.startOwn();
    scope = new TestScope('dedupe-loss', kafkaBrokers, redis.url);
    scope.redis.on('error', () => undefined);
    await scope.createTopics();
    service = await scope.start();
  });

  after(async () => {
    await service?.stop();
    scope?.redis.disconnect();
    await redis?.dispose();
  });

  const replay = async () => {
    // Keys live in the same Redis: each round needs a fresh one.
    const { key } = await scope.key('replay', ['backfill']);
    const { code, json } = await runCli<Summary>(['replay', RETAILROCKET, '--format', 'retailrocket', '--limit', String(SLICE), '--endpoint', service.httpUrl, '--key', key]);
    assert.equal(code, 0, JSON.stringify(json));
    return json;
  };

  const idsOnTopic = async () => (await scope.kafka.admin.readTopic(scope.kafka.topics.events)).map((r) => r.value.eventId);

  const sentinel = async () => {
    const raw = await scope.redis.get(new RedisKeys(scope.redisKeys.prefix).dedupeSentinel());
    return raw === null ? undefined : (JSON.parse(raw) as { restored: number; tookMs: number; redisRunId: string });
  };

  void test('FLUSHALL between two replays: the rerun is all duplicates, one copy of each event', async () => {
    const first = await replay();
    assert.deepEqual([first.accepted, first.duplicates, first.failed], [SLICE, 0, 0]);
    await scope.redis.flushall();
    const rerun = await replay();
    assert.deepEqual([rerun.accepted, rerun.duplicates, rerun.failed], [0, SLICE, 0], 'the ids were rebuilt from Kafka before any claim');
    const rebuilt = await sentinel();
    assert.equal(rebuilt?.restored, SLICE, 'every id within the dedupe TTL restored');
    console.log(`dedupe rebuild of ${SLICE} ids after FLUSHALL: ${rebuilt?.tookMs} ms`);
    const ids = await idsOnTopic();
    assert.equal(ids.length, SLICE);
    assert.equal(new Set(ids).size, SLICE);
  });

  void test('Redis restarted empty between two replays: still one copy of each event', async () => {
    const before = await sentinel();
    await redis.stop();
    await redis.start();
    // Empty of the old run's state: ingestion notices the new Redis run on its own and may have
    // rebuilt already (in ~100 ms), so a sentinel is allowed only if it names the new run.
    const runId = /run_id:(\w+)/.exec(await scope.redis.info('server'))?.[1];
    assert.ok(runId !== undefined && runId !== before?.redisRunId, 'Redis restarted as a new run');
    const early = await sentinel();
    assert.ok(early === undefined || early.redisRunId === runId, `the restarted Redis holds no state of the old run: ${JSON.stringify(early)}`);
    const rerun = await replay();
    assert.deepEqual([rerun.accepted, rerun.duplicates, rerun.failed], [0, SLICE, 0]);
    const rebuilt = await waitFor(async () => sentinel(), { timeoutMs: 30_000, message: 'the sentinel rewritten' });
    assert.notEqual(rebuilt.redisRunId, before?.redisRunId, 'rebuilt into the new Redis run');
    const ids = await idsOnTopic();
    assert.equal(ids.length, SLICE);
    assert.equal(new Set(ids).size, SLICE);
  });
});
