import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { create } from '@bufbuild/protobuf';
import { ApiKeyStore } from '@clickwise/api-keys';
import { EventSchema, EventSource, EventType, type Event } from '@clickwise/contracts';
import { RedisKeys } from '@clickwise/redis';
import { repoRoot, testInfra, waitFor } from '@clickwise/testing';
import { assertParity, FeaturesScope, type FeaturesProcess } from './harness.js';

const run = promisify(execFile);
const T0 = Date.UTC(2026, 3, 1, 9, 0, 0);

function ev(id: string, shopper: string, atMs: number, type = EventType.PRODUCT_VIEW): Event {
  return create(EventSchema, {
    eventId: id,
    type,
    userId: shopper,
    sessionId: `${shopper}-s${Math.floor(atMs / 3_600_000)}`,
    itemId: `item-${id.length % 5}`,
    categoryId: 'c',
    price: 5,
    quantity: 1,
    eventTimeMs: BigInt(atMs),
    source: EventSource.SIMULATOR,
  });
}

/**
 * Erasure: POST /ops/erasures (ops-scoped key) and `clickwise erase` write privacy.erasures.v1 and
 * the service's erasure follower deletes the shopper's feature state (the CLI deletes nothing); the shopper's earlier events never come back (late
 * arrivals go to the DLQ without payload); later events build a new state that a restart does not
 * delete again; the offline executor given the same erasures agrees.
 */
void describe('features: erasure (ops endpoint, CLI, and the erasure topic)', () => {
  let scope: FeaturesScope;
  let service: FeaturesProcess | undefined;
  let store: ApiKeyStore;

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('erasure', infra.kafkaBrokers, infra.redisUrl);
    store = new ApiKeyStore(scope.redis, new RedisKeys(scope.redisKeyPrefix));
    await scope.createTopics();
    service = await scope.start();
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  const shopperKeys = async (shopper: string) => (await scope.redis.keys(`${scope.keys.base}*${shopper}*`)).filter((k) => !k.includes(':erased:') && !k.includes(':i:') && !k.includes(':c:'));
  const cli = async (args: string[], env: Record<string, string>) => {
    const { stdout } = await run(process.execPath, [join(repoRoot(), 'cli/dist/main.js'), ...args], {
      env: { ...process.env, KAFKA_TOPIC_PREFIX: scope.topicPrefix, REDIS_KEY_PREFIX: scope.redisKeyPrefix, KAFKA_BROKERS: scope.kafkaBrokers.join(','), REDIS_URL: scope.redisUrl, ...env },
      timeout: 60_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { stateDeletedBy: string; requestedAtMs: number };
  };

  void it('erases by endpoint and CLI, keeps earlier events out, keeps later state over a restart, and matches offline', async () => {
    const events: Event[] = [];
    for (let i = 0; i < 60; i++) for (const s of ['alice', 'bob', 'carol', 'dave']) events.push(ev(`${s}-${i}`, s, T0 + i * 90_000));
    await scope.produce(events);
    await scope.waitCaughtUp(60_000, service);
    assert.ok((await shopperKeys('alice')).length >= 3);

    // The endpoint needs an ops key.
    const url = `${service!.url}/ops/erasures`;
    const post = (key: string | undefined) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) }, body: JSON.stringify({ shopperKey: 'alice' }) });
    assert.equal((await post(undefined)).status, 401);
    const ingestKey = await store.create({ name: 'storefront', scopes: ['ingest'] });
    assert.equal((await post(ingestKey.key)).status, 403);
    const opsKey = await store.create({ name: 'operator', scopes: ['ops'] });
    const response = await post(opsKey.key);
    assert.equal(response.status, 200);
    const answer = (await response.json()) as { deletedKeys: number; requestedAtMs: number; shopperKey: string };
    // The service's own erasure consumer may apply the record first; either way the state is gone.
    assert.equal(answer.shopperKey, 'alice');
    assert.ok(answer.requestedAtMs > 0);
    assert.deepEqual(await shopperKeys('alice'), []);

    // The CLI, with the service running: the service applies the record.
    const byService = await cli(['erase', 'bob', '--json'], { FEATURES_HTTP_PORT: new URL(service!.url).port });
    assert.equal(byService.stateDeletedBy, 'features service');
    assert.deepEqual(await shopperKeys('bob'), []);

    // Late events of alice (before the erasure) feed nothing of hers; a later event starts afresh.
    const later = Date.now() + 60_000;
    await scope.produce([ev('alice-late', 'alice', T0 + 61 * 90_000), ev('alice-new', 'alice', later), ev('carol-more', 'carol', later)]);
    await scope.waitCaughtUp(60_000, service);
    // A range's dead letters go out after its state is written (the outbox, ADR 0037): wait for it.
    const late = await waitFor(async () => (await scope.readAll(scope.kafka.topics.deadLetters)).find((l) => l.value.eventId === 'alice-late'), {
      timeoutMs: 30_000,
      message: 'the dead letter of alice-late',
    });
    assert.equal(late?.value.reasonCode, 'shopper_erased');
    assert.equal(late?.value.payload.length, 0, 'no payload of an erased shopper is kept');
    assert.equal(late?.key, null);
    const aliceNow = await shopperKeys('alice');
    assert.ok(aliceNow.length >= 1, 'the new event built a new state');

    // A restart re-reads privacy.erasures.v1 from the beginning: already applied, nothing deleted again.
    await service!.stop();
    service = await scope.start();
    assert.deepEqual((await shopperKeys('alice')).sort(), aliceNow.sort());

    // The CLI with no service running only writes the record (it deletes nothing in Redis); the
    // service applies it when it starts, before any event.
    await service.stop();
    const daveBefore = await shopperKeys('dave');
    assert.ok(daveBefore.length >= 3);
    const byCli = await cli(['erase', 'dave', '--json'], { FEATURES_HTTP_PORT: '1' });
    assert.equal(byCli.stateDeletedBy, 'pending');
    assert.deepEqual((await shopperKeys('dave')).sort(), daveBefore.sort(), 'the CLI deletes no state itself');
    service = await scope.start();
    await waitFor(async () => (await shopperKeys('dave')).length === 0, { timeoutMs: 30_000, message: 'the restarted service applied the pending erasure' });

    // The erasure topic holds the three records; the offline executor honouring them agrees with Redis.
    const erasures = await scope.readAll(scope.kafka.topics.erasures);
    assert.deepEqual(erasures.map((e) => e.key).sort(), ['alice', 'bob', 'dave']);
    const { offline } = await scope.offline({ erasures: erasures.map((e) => [e.value.shopperKey, Number(e.value.requestedAtMs)]) });
    await waitFor(async () => (await scope.appliedOffsets()) >= BigInt(events.length + 3), { timeoutMs: 30_000 });
    await assertParity(scope, offline);
  });
});
