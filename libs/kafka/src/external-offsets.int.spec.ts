import { create } from '@bufbuild/protobuf';
import { allTopics, EventSchema, topics } from '@clickwise/contracts';
import { InvalidInputError } from '@clickwise/errors';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BatchResult, ExternalOffsetsHandler, PartitionBatch } from './external-offsets.js';
import { KafkaPlatform } from './platform.js';
import { KafkaProducer } from './producer.js';
import type { OutgoingRecord } from './topic.js';

/**
 * A stateful handler as a real one is built: the applied records and the next offset of each
 * partition change together (in memory here; the features service does it in one Redis script).
 */
class Store implements ExternalOffsetsHandler<typeof EventSchema> {
  readonly stored = new Map<number, string>();
  readonly applied: string[] = [];
  /** Event ids whose range throws after it was applied (a lost reply), once. */
  readonly loseReply = new Set<string>();
  /** Event ids the handler refuses for good. */
  readonly reject = new Set<string>();
  opens = 0;

  open(partition: number): Promise<string | null> {
    this.opens++;
    return Promise.resolve(this.stored.get(partition) ?? null);
  }

  handle(batch: PartitionBatch<typeof EventSchema>): Promise<BatchResult> {
    if ((this.stored.get(batch.partition) ?? batch.logStart) !== batch.from) return Promise.resolve('reopen');
    const ids = batch.records.map((r) => r.value.eventId);
    const bad = ids.find((id) => this.reject.has(id));
    if (bad) return Promise.reject(new InvalidInputError(`cannot apply ${bad}`));
    this.applied.push(...ids);
    this.stored.set(batch.partition, batch.next);
    const lost = ids.find((id) => this.loseReply.delete(id));
    if (lost) return Promise.reject(new Error(`reply lost after applying ${lost}`));
    return Promise.resolve('ok');
  }
}

function event(id: string, shopper: string): OutgoingRecord {
  return KafkaProducer.encode(topics.events, shopper, create(EventSchema, { eventId: id, userId: shopper }));
}

void describe('ExternalOffsetsConsumer (offsets stored with the handler state) on real Kafka', () => {
  let kafka: KafkaPlatform;
  let producer: KafkaProducer;

  before(async () => {
    kafka = KafkaPlatform.create({ brokers: testInfra().kafkaBrokers, clientId: 'external-offsets-test', logLevel: 'ERROR' });
    producer = kafka.producer();
    await producer.connect();
  });
  after(async () => {
    await producer.disconnect();
  });

  async function setup(prefix: string) {
    await kafka.withPrefix(prefix).admin.ensureTopics(allTopics.filter((t) => t.name === topics.events.name || t.name === topics.deadLetters.name));
    // One shopper key: every record on one partition, in order.
    const partition = await partitionOf(prefix, 'one-shopper');
    return partition;
  }

  async function partitionOf(prefix: string, shopper: string): Promise<number> {
    const scoped = kafka.withPrefix(prefix);
    await producer.send(scoped.topics.events, [event(`probe-${shopper}`, shopper)]);
    const offsets = await scoped.admin.offsets(scoped.topics.events);
    return offsets.find((o) => o.high === 1n)!.partition;
  }

  function consumer(prefix: string, store: Store, maxBatchRecords = 1000) {
    const scoped = kafka.withPrefix(prefix);
    return scoped.externalOffsetsConsumer({
      groupId: `${prefix}group`,
      topic: scoped.topics.events,
      stage: 'external-offsets-test',
      handler: store,
      deadLetters: producer,
      maxBatchRecords,
      maxBackoffMs: 200,
      sessionTimeoutMs: 6000,
    });
  }

  void test('starts where the stored state stands, applies every later record once (a lost reply is not applied twice), skips none', async () => {
    const prefix = `${uniqueName('ext')}.`;
    const p = await setup(prefix);
    await producer.send(kafka.withPrefix(prefix).topics.events, Array.from({ length: 40 }, (_, i) => event(`e${i}`, 'one-shopper')));
    const store = new Store();
    // The state already holds the probe and e0..e9 (offsets 0..10): start at 11.
    store.stored.set(p, '11');
    store.loseReply.add('e25');
    const loop = consumer(prefix, store, 7);
    await loop.start();
    try {
      await waitFor(() => store.stored.get(p) === '41', { timeoutMs: 30_000, message: 'all records applied' });
      assert.deepEqual(store.applied, Array.from({ length: 30 }, (_, i) => `e${i + 10}`));
    } finally {
      await loop.stop();
    }
    // A restart resumes from the stored offset: nothing again.
    await producer.send(kafka.withPrefix(prefix).topics.events, [event('e40', 'one-shopper')]);
    const again = consumer(prefix, store);
    await again.start();
    try {
      await waitFor(() => store.stored.get(p) === '42', { timeoutMs: 30_000, message: 'the new record applied' });
      assert.equal(store.applied.filter((id) => id === 'e40').length, 1);
      assert.equal(new Set(store.applied).size, store.applied.length, 'no record applied twice');
    } finally {
      await again.stop();
    }
  });

  void test('an undecodable record and a record the handler refuses go to the DLQ; the offset moves past both', async () => {
    const prefix = `${uniqueName('ext')}.`;
    const p = await setup(prefix);
    const records: OutgoingRecord[] = [event('a', 'one-shopper'), { key: 'one-shopper', value: Buffer.from([0xff, 0xff, 0xff]) }, event('bad', 'one-shopper'), event('b', 'one-shopper')];
    await producer.send(kafka.withPrefix(prefix).topics.events, records);
    const store = new Store();
    store.reject.add('bad');
    const loop = consumer(prefix, store);
    await loop.start();
    try {
      await waitFor(() => store.stored.get(p) === '5', { timeoutMs: 30_000, message: 'offset past the poison records' });
      assert.deepEqual(store.applied, ['probe-one-shopper', 'a', 'b']);
    } finally {
      await loop.stop();
    }
    const scoped = kafka.withPrefix(prefix);
    const letters = (await scoped.admin.readTopic(scoped.topics.deadLetters)).map((r) => ({ code: r.value.reasonCode, offset: r.value.originalOffset }));
    assert.deepEqual(letters.sort((x, y) => Number(x.offset - y.offset)), [{ code: 'decode_failed', offset: 2n }, { code: 'handler_rejected', offset: 3n }]);
  });

  void test('when another writer moved the stored offset, the loop reopens and continues from there', async () => {
    const prefix = `${uniqueName('ext')}.`;
    const p = await setup(prefix);
    const store = new Store();
    const loop = consumer(prefix, store);
    await loop.start();
    try {
      await waitFor(() => store.stored.get(p) === '1', { timeoutMs: 30_000, message: 'probe applied' });
      // Someone else applied offsets 1..20 meanwhile.
      store.stored.set(p, '21');
      await producer.send(kafka.withPrefix(prefix).topics.events, Array.from({ length: 30 }, (_, i) => event(`x${i}`, 'one-shopper')));
      await waitFor(() => store.stored.get(p) === '31', { timeoutMs: 30_000, message: 'the rest applied' });
      assert.deepEqual(store.applied, ['probe-one-shopper', ...Array.from({ length: 10 }, (_, i) => `x${i + 20}`)]);
      assert.ok(store.opens >= 2, 'reopened');
    } finally {
      await loop.stop();
    }
  });
});
