import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiKeyStore } from '@clickwise/api-keys';
import { retailRocketMapping } from '@clickwise/clickstream-files';
import type { HttpEvent } from '@clickwise/contracts';
import { RedisKeys } from '@clickwise/redis';
import { Simulator } from '@clickwise/simulator';
import { repoRoot, testInfra } from '@clickwise/testing';
import { startIngestion, type IngestionProcess } from '../ingestion/harness.js';
import { assertParity, FeaturesScope, type FeaturesProcess } from './harness.js';

/** The RetailRocket week in the HTTP contract's JSON, in event-time order. */
function retailRocketJson(): HttpEvent[] {
  const lines = readFileSync(join(repoRoot(), '..', 'shared', 'data', 'retailrocket-week', 'events.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines
    .map((line, i) => {
      const [time, user, type, item, session, category] = line.split('\t') as [string, string, string, string, string, string];
      return { i, event: { eventId: `rr-${i}`, type: retailRocketMapping.typeMap[type] ?? 'page_view', userId: `rr-u${user}`, sessionId: `rr-s${session}`, itemId: item, categoryId: category, eventTime: Number(time) * 1000, source: 'replay' } satisfies HttpEvent };
    })
    .sort((a, b) => Number(a.event.eventTime) - Number(b.event.eventTime) || a.i - b.i)
    .map((x) => x.event);
}

/**
 * The whole path: HTTP → ingestion → clickstream.events.v1 → features → Redis, for the RetailRocket
 * week and a simulator run with every event type; Redis then equals the offline executor over
 * what ingestion wrote, and every accepted event id is in features.updated.v1 or the DLQ.
 */
void describe('ingestion → Kafka → features → Redis parity', () => {
  let scope: FeaturesScope;
  let ingestion: IngestionProcess | undefined;
  let features: FeaturesProcess | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('ingest-parity', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
  });
  after(async () => {
    await features?.stop();
    await ingestion?.stop();
    await scope.dispose();
  });

  void it('RetailRocket week + 8,000 simulated events posted over HTTP', async () => {
    ingestion = await startIngestion({ kafkaBrokers: scope.kafkaBrokers, redisUrl: scope.redisUrl, topicPrefix: scope.topicPrefix, redisKeyPrefix: scope.redisKeyPrefix });
    features = await scope.start();
    const store = new ApiKeyStore(scope.redis, new RedisKeys(scope.redisKeyPrefix));
    const { key } = await store.create({ name: 'replay', scopes: ['backfill'] });
    const simulated = new Simulator({ seed: 'features-ingestion', shoppers: 2000, items: 1000, rate: 30 }).take(8000);
    assert.equal(new Set(simulated.map((e) => e.type)).size, 10, 'every event type');
    const all = [...retailRocketJson(), ...simulated];

    let accepted = 0;
    const started = Date.now();
    for (let i = 0; i < all.length; i += 1000) {
      const response = await fetch(`${ingestion.httpUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ events: all.slice(i, i + 1000) }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await response.json()) as { accepted: number; rejected: unknown[] };
      assert.equal(response.status, 200, JSON.stringify(body).slice(0, 500));
      assert.deepEqual(body.rejected, []);
      accepted += body.accepted;
    }
    assert.equal(accepted, all.length);
    await scope.waitCaughtUp(120_000, features);
    const elapsed = Date.now() - started;

    const { offline, events } = await scope.offline();
    assert.equal(events.length, all.length);
    const report = await assertParity(scope, offline);
    const updates = await scope.readAll(scope.kafka.topics.featuresUpdated);
    const letters = await scope.readAll(scope.kafka.topics.deadLetters);
    const seen = new Set([...updates.map((u) => u.value.eventId), ...letters.map((l) => l.value.eventId)]);
    assert.deepEqual(all.filter((e) => !seen.has(e.eventId)).map((e) => e.eventId), []);
    console.log(
      `ingestion parity: ${accepted} events posted and applied in ${elapsed} ms; ${report.shoppers} shoppers, ${report.sessions} sessions, ` +
        `${report.items} items, ${report.categories} categories equal (${report.values} values)`,
    );
  });
});
