import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { KafkaPlatform } from '@clickwise/kafka';
import { createRedis, FeatureKeys, RedisKeys, type RedisClient } from '@clickwise/redis';
import { freePort } from '@clickwise/testing';
import { assertParity, engine, offlineOverTopic } from '../features/harness.js';
import { execCli, runCli } from './cli.js';

interface UpSummary {
  replay?: { code: number; skipped?: string };
  features?: { lag: number };
  services: { name: string; ready: boolean }[];
}

const WEEK = 38_741;

/**
 * The real CLI, on ports and a state folder of its own: `up` (the RetailRocket week), `down`, `up
 * --replay-again`, `up`. Kafka keeps its log and Redis its append-only file across `down`; the
 * second replay is deduplicated after ingestion rebuilt its dedupe ids for the new Redis run; the
 * third `up` does not send the landed replay at all. At the end the events topic holds one copy of
 * each event, nothing was dead-lettered, and Redis's features equal the offline executor's.
 */
void describe('up, down, up: one copy of the history', () => {
  let env: Record<string, string>;
  let state: string;
  let redis: RedisClient | undefined;

  before(async () => {
    state = await mkdtemp(join(tmpdir(), 'clickwise-up-'));
    env = {
      CLICKWISE_STATE_DIR: state,
      KAFKA_PORT: String(await freePort()),
      KAFKA_CONTROLLER_PORT: String(await freePort()),
      REDIS_PORT: String(await freePort()),
      INGESTION_HTTP_PORT: String(await freePort()),
      INGESTION_GRPC_PORT: String(await freePort()),
      FEATURES_HTTP_PORT: String(await freePort()),
      PREDICTION_HTTP_PORT: String(await freePort()),
      PREDICTION_GRPC_PORT: String(await freePort()),
      TRAINER_HTTP_PORT: String(await freePort()),
      RECOMMENDER_HTTP_PORT: String(await freePort()),
      RECOMMENDER_GRPC_PORT: String(await freePort()),
      CONSOLE_HTTP_PORT: String(await freePort()),
      REDIS_DIR: '',
      KAFKA_DIR: '',
    };
  });

  after(async () => {
    redis?.disconnect();
    await execCli(['down'], env, { timeoutMs: 120_000 });
    await rm(state, { recursive: true, force: true });
  });

  const up = async (...args: string[]) => {
    const { code, json, stderr } = await runCli<UpSummary>(['up', ...args], env, { timeoutMs: 600_000 });
    assert.equal(code, 0, `${JSON.stringify(json)}\n${stderr.slice(-3000)}`);
    assert.ok(json.services.every((s) => s.ready), JSON.stringify(json.services));
    assert.equal(json.features?.lag, 0, 'the features service applied every event');
    return json;
  };

  // Steps of one scenario, in order (each within the runner's per-test timeout).
  void test('up: the week is replayed', async () => {
    const first = await up();
    assert.equal(first.replay?.code, 0);
    assert.equal(first.replay?.skipped, undefined);
  });

  void test('down, then up --replay-again: every event a duplicate', async () => {
    const down = await execCli(['down'], env, { timeoutMs: 120_000 });
    assert.equal(down.code, 0, down.stderr.slice(-2000));
    const again = await up('--replay-again');
    assert.equal(again.replay?.code, 0, 'sent again; the replay exits 0');
  });

  void test('up again: the landed replay is not sent', async () => {
    const third = await up();
    assert.match(third.replay?.skipped ?? '', /landed/);
  });

  void test('one copy of each event, no dead letters, features equal to the offline executor', async () => {
    const kafka = KafkaPlatform.create({ brokers: [`127.0.0.1:${env.KAFKA_PORT}`], clientId: 'up-down-up-test', logLevel: 'NOTHING' });
    const events = await kafka.admin.readTopic(kafka.topics.events);
    assert.equal(events.length, WEEK, 'one record per event on clickstream.events.v1');
    assert.equal(new Set(events.map((r) => r.value.eventId)).size, WEEK);
    const letters = await kafka.admin.readTopic(kafka.topics.deadLetters);
    assert.equal(letters.length, 0, `dead letters: ${JSON.stringify(letters.slice(0, 3).map((l) => l.value.reason))}`);

    redis = createRedis(`redis://127.0.0.1:${env.REDIS_PORT}`, { connectionName: 'up-down-up-test', commandTimeoutMs: 60_000 });
    const sentinel = JSON.parse((await redis.get(new RedisKeys('cw:').dedupeSentinel())) ?? '{}') as { restored?: number; tookMs?: number };
    assert.equal(sentinel.restored, WEEK, 'after down/up ingestion re-remembered every id of the week');
    console.log(`dedupe rebuild of the week after down/up: ${sentinel.tookMs} ms`);

    const { offline, tooLate } = await offlineOverTopic(kafka);
    assert.equal(tooLate.size, 0);
    const report = await assertParity({ redis, keys: new FeatureKeys(engine.version, 'cw:') }, offline);
    assert.ok(report.shoppers > 1000, `features compared for ${report.shoppers} shoppers`);
  });
});
