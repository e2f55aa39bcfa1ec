import { create } from '@bufbuild/protobuf';
import { EventSchema, topics } from '@clickwise/contracts';
import { OverloadedError } from '@clickwise/errors';
import { testInfra, uniqueName } from '@clickwise/testing';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KafkaPlatform } from './platform.js';
import { KafkaProducer, type ProducerOptions } from './producer.js';
import type { OutgoingRecord, Topic } from './topic.js';

function record(id: string, padding = 0): OutgoingRecord {
  return KafkaProducer.encode(topics.events, `shopper-${id.length % 10}-${id.slice(-2)}`, create(EventSchema, { eventId: id, searchQuery: 'x'.repeat(padding) }));
}

/** Counts the writes the producer hands to the client (one produce request each on one broker). */
function countProduceRequests(producer: KafkaProducer): { readonly count: number; stop(): void } {
  const start = producer.writesSent;
  return {
    get count() {
      return producer.writesSent - start;
    },
    stop: () => undefined,
  };
}

/** Every event id in `topic`, read back from the beginning; checks the topic holds `expected` records. */
async function readIds(kafka: KafkaPlatform, topic: Topic<typeof EventSchema>, expected: number): Promise<string[]> {
  assert.equal(await kafka.admin.recordCount(topic), expected, `records in ${topic.name}`);
  return (await kafka.admin.readTopic(topic)).map((r) => r.value.eventId);
}

async function freshTopic(kafka: KafkaPlatform): Promise<Topic<typeof EventSchema>> {
  const scoped = kafka.withPrefix(`${uniqueName('producer-spec')}.`);
  await scoped.admin.ensureTopics([topics.events]);
  return scoped.topics.events;
}

void describe('KafkaProducer against real Kafka', () => {
  let kafka: KafkaPlatform;
  const producers: KafkaProducer[] = [];

  before(() => {
    kafka = KafkaPlatform.create({ brokers: testInfra().kafkaBrokers, clientId: uniqueName('producer-spec') });
  });

  after(async () => {
    for (const p of producers) await p.disconnect();
  });

  async function connected(options: ProducerOptions = {}): Promise<KafkaProducer> {
    const producer = kafka.producer(options);
    producers.push(producer);
    await producer.connect();
    return producer;
  }

  void test('many concurrent send() calls share produce requests (group commit); every acknowledged record is readable', async () => {
    const topic = await freshTopic(kafka);
    const producer = await connected();
    const requests = countProduceRequests(producer);
    // 500 callers at once, one record each.
    const burst = Array.from({ length: 500 }, (_, i) => `burst-${i}`);
    await Promise.all(burst.map((id) => producer.send(topic, [record(id)])));
    const burstRequests = requests.count;
    // 20 callers, each sending 50 records one after the other: while one request is in flight,
    // the next one fills up with whatever the others sent meanwhile.
    const sequential: string[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, caller) => {
        for (let i = 0; i < 50; i++) {
          const id = `seq-${caller}-${i}`;
          await producer.send(topic, [record(id)]);
          sequential.push(id);
        }
      }),
    );
    const sequentialRequests = requests.count - burstRequests;
    requests.stop();
    console.log(`produce requests: ${burstRequests} for 500 concurrent send() calls; ${sequentialRequests} for 1000 calls from 20 sequential callers`);
    assert.ok(burstRequests >= 1 && burstRequests <= 5, `500 concurrent calls took ${burstRequests} produce requests`);
    assert.ok(sequentialRequests < 1000 / 4, `1000 calls from 20 callers took ${sequentialRequests} produce requests`);
    assert.equal(producer.bufferedBytes, 0);
    assert.ok(producer.healthy);
    const ids = await readIds(kafka, topic, 1500);
    assert.deepStrictEqual(ids.sort(), [...burst, ...sequential].sort(), 'every acknowledged record, once');
  });

  void test('back-pressure: beyond maxBufferedBytes send() refuses at once with OverloadedError; what was accepted is written', async () => {
    const topic = await freshTopic(kafka);
    const maxBufferedBytes = 20_000;
    const producer = await connected({ maxBufferedBytes });
    // A record that alone exceeds the budget is refused without touching Kafka.
    await assert.rejects(producer.send(topic, [record('too-big', 30_000)]), (error: unknown) => {
      assert.ok(error instanceof OverloadedError);
      assert.equal(error.retriable, true);
      assert.ok(error.retryAfterMs > 0);
      return true;
    });

    // 100 callers at once with ~1 kB each: about 18 fit, the others are refused immediately.
    const settled: { id: string; ok: boolean; error?: unknown }[] = [];
    const calls = Array.from({ length: 100 }, (_, i) => {
      const id = `bp-${i}`;
      return producer.send(topic, [record(id, 1000)]).then(
        () => void settled.push({ id, ok: true }),
        (error: unknown) => void settled.push({ id, ok: false, error }),
      );
    });
    assert.ok(producer.bufferedBytes <= maxBufferedBytes, `buffered ${producer.bufferedBytes} bytes`);
    await Promise.all(calls);
    const accepted = settled.filter((s) => s.ok).map((s) => s.id);
    const refused = settled.filter((s) => !s.ok);
    console.log(`back-pressure: ${accepted.length} accepted, ${refused.length} refused with OverloadedError (maxBufferedBytes ${maxBufferedBytes})`);
    assert.ok(accepted.length > 0 && refused.length > 0, `${accepted.length} accepted, ${refused.length} refused`);
    assert.ok(refused.every((r) => r.error instanceof OverloadedError), 'every refusal is an OverloadedError');
    // Refusals do not wait for Kafka: they all settled before the first acknowledgement.
    const firstAck = settled.findIndex((s) => s.ok);
    assert.ok(settled.slice(firstAck).every((s) => s.ok), 'no refusal settled after an acknowledgement');
    assert.equal(producer.bufferedBytes, 0, 'the buffer drains once Kafka acknowledged');

    // Once drained, sends are accepted again.
    await producer.send(topic, [record('after-drain', 1000)]);
    const ids = await readIds(kafka, topic, accepted.length + 1);
    assert.deepStrictEqual(ids.sort(), [...accepted, 'after-drain'].sort(), 'exactly the acknowledged records');
  });

  void test('a produce request holds at most maxBatchBytes (whole send() calls), and each record once', async () => {
    const topic = await freshTopic(kafka);
    // Records of ~10 kB: 64 send() calls of 2 records each are ~1.3 MB; at most 100 kB per request
    // means at least 13 requests, where maxBatchRecords alone (10,000) would allow one.
    const producer = await connected({ maxBatchBytes: 100_000, lingerMs: 5 });
    const requests = countProduceRequests(producer);
    const ids = Array.from({ length: 128 }, (_, i) => `bytes-${i}`);
    await Promise.all(Array.from({ length: 64 }, (_, c) => producer.send(topic, [record(ids[2 * c]!, 10_000), record(ids[2 * c + 1]!, 10_000)])));
    const sent = requests.count;
    console.log(`byte bound: ${sent} produce requests for 64 calls of ~20 kB under maxBatchBytes 100 kB`);
    assert.ok(sent >= 13, `${sent} produce requests; ~1.3 MB under a 100 kB bound needs at least 13`);
    assert.ok(sent <= 64, `${sent} produce requests for 64 calls`);
    assert.deepStrictEqual((await readIds(kafka, topic, 128)).sort(), [...ids].sort());
  });

  void test('disconnect() flushes what is still queued', async () => {
    const topic = await freshTopic(kafka);
    const producer = kafka.producer({ lingerMs: 50 });
    await producer.connect();
    let acknowledged = 0;
    const pending = Array.from({ length: 30 }, (_, i) => producer.send(topic, [record(`flush-${i}`)]).then(() => void acknowledged++));
    await producer.disconnect();
    assert.equal(acknowledged, 30, 'every send resolved before disconnect() returned');
    await Promise.all(pending);
    assert.equal((await readIds(kafka, topic, 30)).length, 30);
  });
});
