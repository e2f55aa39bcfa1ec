import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FeatureReader } from '@clickwise/feature-store';
import type { ConsumerLoop, KafkaProducer } from '@clickwise/kafka';
import type { FeatureUpdateSchema } from '@clickwise/contracts';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
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
  let consumer: ConsumerLoop<typeof FeatureUpdateSchema> | undefined;
  let producer: KafkaProducer | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('notice-order', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
  });
  after(async () => {
    await consumer?.stop();
    await producer?.disconnect();
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
    producer = scope.kafka.producer();
    consumer = scope.kafka.consumerLoop({
      groupId: uniqueName('notice-reader'),
      topic: scope.kafka.topics.featuresUpdated,
      stage: 'notice-order-test',
      deadLetters: producer,
      maxWaitTimeMs: 5,
      handle: async (batch) => {
        const announced = new Map<string, bigint>();
        for (const { value: u } of batch) {
          if (u.snapshotVersion > (announced.get(u.shopperKey) ?? 0n)) announced.set(u.shopperKey, u.snapshotVersion);
        }
        const found = await Promise.all([...announced.keys()].map((shopperKey) => reader.read({ shopperKey })));
        [...announced].forEach(([shopperKey, version], i) => {
          const stored = BigInt(found[i]!.snapshotVersion);
          if (stored < version) behind.push(`${shopperKey}: notice ${version}, Redis ${stored}`);
        });
        notices += batch.length;
        reads += announced.size;
      },
    });
    await consumer.start();
    service = await scope.start({ LOG_LEVEL: 'warn' });
    await scope.waitCaughtUp(240_000, service);
    const ends = await scope.endOffsets(scope.kafka.topics.featuresUpdated);
    let written = 0;
    for (const v of ends.values()) written += Number(v);
    await waitFor(() => notices >= written, { timeoutMs: 60_000, message: `the reader to get every notice (${notices} of ${written})` });
    console.log(`notice order: ${notices} notices for ${events.length} events checked with ${reads} reads; ${behind.length} found Redis behind the notice`);
    assert.ok(written >= events.length * 0.9, `${written} notices for ${events.length} events`);
    assert.deepEqual(behind.slice(0, 10), [], `${behind.length} notices announced a snapshot version Redis did not hold yet`);
  });
});
