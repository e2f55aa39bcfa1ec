import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { FeatureUpdateSchema, topics } from '@clickwise/contracts';
import { FeatureReader } from '@clickwise/feature-store';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import type { Consumer } from 'kafkajs';
import { engine, FeaturesScope, simulatorEvents, type FeaturesProcess } from './harness.js';

/**
 * Notices and state (ADR 0037): a reader that, on a FeatureUpdate, reads the shopper from Redis
 * finds at least the notice's snapshot version, never the state from before the event.
 *
 * A real reader (as prediction is one) consumes features.updated.v1 while the real features
 * service applies a loaded topic at full speed; on every fetched batch it reads, for each shopper
 * in it, the snapshot version through the FeatureReader at once, and compares it with the highest
 * version the batch's notices announced for that shopper (so every notice is checked).
 */
void describe('features notices: the state a notice announces is in Redis before the notice', () => {
  let scope: FeaturesScope;
  let service: FeaturesProcess | undefined;
  let consumer: Consumer | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('notice-order', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
  });
  after(async () => {
    await consumer?.disconnect();
    await service?.stop();
    await scope.dispose();
  });

  void it('every notice: Redis snapshot version ≥ the notice version, read as soon as the notice arrives', async () => {
    const events = simulatorEvents(37, 24_000, { shoppers: 2_000, items: 1_500, rate: 200 });
    await scope.produce(events, 5000);
    const reader = new FeatureReader(scope.redis, engine, scope.keys);
    const behind: string[] = [];
    let notices = 0;
    let reads = 0;
    consumer = scope.kafka.consumer({ groupId: uniqueName('notice-reader'), maxWaitTimeInMs: 5, minBytes: 1 });
    await consumer.connect();
    await consumer.subscribe({ topic: scope.topic(topics.featuresUpdated.name), fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const announced = new Map<string, bigint>();
        for (const m of batch.messages) {
          const u = fromBinary(FeatureUpdateSchema, m.value ?? Buffer.alloc(0));
          if (u.snapshotVersion > (announced.get(u.shopperKey) ?? 0n)) announced.set(u.shopperKey, u.snapshotVersion);
        }
        const found = await Promise.all([...announced.keys()].map((shopperKey) => reader.read({ shopperKey })));
        [...announced].forEach(([shopperKey, version], i) => {
          const stored = BigInt(found[i]!.snapshotVersion);
          if (stored < version) behind.push(`${shopperKey}: notice ${version}, Redis ${stored}`);
        });
        notices += batch.messages.length;
        reads += announced.size;
      },
    });
    service = await scope.start({ LOG_LEVEL: 'warn' });
    await scope.waitCaughtUp(240_000, service);
    const ends = await scope.endOffsets(scope.topic(topics.featuresUpdated.name));
    let written = 0;
    for (const v of ends.values()) written += Number(v);
    await waitFor(() => notices >= written, { timeoutMs: 60_000, message: `the reader to get every notice (${notices} of ${written})` });
    console.log(`notice order: ${notices} notices for ${events.length} events checked with ${reads} reads; ${behind.length} found Redis behind the notice`);
    assert.ok(written >= events.length * 0.9, `${written} notices for ${events.length} events`);
    assert.deepEqual(behind.slice(0, 10), [], `${behind.length} notices announced a snapshot version Redis did not hold yet`);
  });
});
