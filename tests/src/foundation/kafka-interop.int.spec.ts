import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { EventSchema, FeatureUpdateSchema, shopperKey, topics, type Event } from '@clickwise/contracts';
import { KafkaPlatform, KafkaProducer, type ConsumedRecord } from '@clickwise/kafka';
import { runScript, testInfra, uniqueName, waitFor } from '@clickwise/testing';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fullEvent } from './factories.js';
import { fullyCommitted } from '../kafka/group.js';
import { kcatConsume, kcatEnvelopes, kcatProduce } from './kcat.js';

/** Groups records by key, keeping their order (per-key order is what Kafka promises). */
function byKey<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = out.get(key) ?? [];
    list.push(item);
    out.set(key, list);
  }
  return out;
}

void describe('Kafka interop: the project\'s Kafka layer and kcat (librdkafka) read each other\'s protobuf records', () => {
  const { kafkaBrokers } = testInfra();
  let kafka: KafkaPlatform;
  let producer: KafkaProducer;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    // The project installs kcat itself (deploy/local/test-tools.sh), as `./clickwise test` does.
    const tools = await runScript('test-tools.sh', [], {});
    assert.equal(tools.code, 0, `deploy/local/test-tools.sh failed:\n${tools.stderr}${tools.stdout}`);
    kafka = KafkaPlatform.create({ brokers: kafkaBrokers, clientId: uniqueName('interop') });
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await producer.disconnect();
  });

  void test('KafkaProducer writes Event records; kcat reads the bytes and they decode to the same events, key = shopper key', async () => {
    const scoped = kafka.withPrefix(`${uniqueName('interop-out')}.`);
    await scoped.admin.ensureTopics([topics.events]);
    const topic = scoped.topics.events;
    // 6 shoppers; some anonymous only, so the key falls back to the anonymous id.
    const sent: Event[] = [];
    for (let i = 0; i < 36; i++) {
      const shopper = i % 6;
      sent.push(fullEvent(shopper < 4 ? { userId: `u-${shopper}`, anonymousId: `a-${shopper}` } : { userId: '', anonymousId: `a-${shopper}` }));
    }
    const before = Date.now();
    await producer.send(topic, sent.map((event) => KafkaProducer.encode(topics.events, shopperKey(event), event)));
    const acked = Date.now();

    const read = await kcatConsume(kafkaBrokers, topic.name);
    assert.equal(read.length, sent.length, 'kcat read every record once');
    const decoded = read.map((record) => {
      assert.ok(record.value, 'value is not null');
      assert.ok(record.key, 'key is not null');
      return { record, event: fromBinary(EventSchema, record.value), key: record.key.toString('utf8') };
    });
    const sentById = new Map(sent.map((event) => [event.eventId, event]));
    for (const { event, key, record } of decoded) {
      const original = sentById.get(event.eventId);
      assert.ok(original, `kcat returned an event the test did not send: ${event.eventId}`);
      // Every field, including optional presence, the repeated field, the nested context and int64s.
      assert.deepStrictEqual(event, original);
      assert.ok(equals(EventSchema, event, original));
      assert.equal(key, shopperKey(original), 'record key is the shopper key');
      // LogAppendTime: the broker stamped the record while send() was in flight.
      assert.ok(record.timestampMs >= before - 5 && record.timestampMs <= acked + 5, `timestamp ${record.timestampMs} outside [${before}, ${acked}]`);
    }
    assert.equal(new Set(decoded.map((d) => d.event.eventId)).size, sent.length, 'no duplicates');
    // A key lives on one partition and keeps its order.
    const readByKey = byKey(decoded.sort((a, b) => a.record.partition - b.record.partition || a.record.offset - b.record.offset), (d) => d.key);
    for (const [key, events] of byKey(sent, shopperKey)) {
      const got = readByKey.get(key) ?? [];
      assert.equal(new Set(got.map((d) => d.record.partition)).size, 1, `key ${key} on one partition`);
      assert.deepStrictEqual(got.map((d) => d.event.eventId), events.map((e) => e.eventId), `order of key ${key}`);
    }
    assert.equal(readByKey.get('a-4')?.length, 6, 'anonymous shoppers are keyed by anonymous id');
  });

  void test('kcat sees LogAppendTime on the catalogue\'s events topic, and CreateTime where the catalogue does not ask for it', async () => {
    const prefix = `${uniqueName('interop-ts')}.`;
    const scoped = kafka.withPrefix(prefix);
    const result = await scoped.admin.ensureTopics([topics.events, topics.featuresUpdated]);
    assert.deepStrictEqual(result.created.sort(), [prefix + topics.events.name, prefix + topics.featuresUpdated.name].sort());
    const event = fullEvent();
    await producer.send(scoped.topics.events, [KafkaProducer.encode(topics.events, shopperKey(event), event)]);
    await producer.send(scoped.topics.featuresUpdated, [
      KafkaProducer.encode(topics.featuresUpdated, 'u-1', create(FeatureUpdateSchema, { shopperKey: 'u-1', eventId: event.eventId })),
    ]);
    const events = await kcatEnvelopes(kafkaBrokers, scoped.topics.events.name);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.tstype, 'logappend', 'events carry their ingestion time as the Kafka timestamp');
    assert.equal(events[0]?.key, shopperKey(event));
    const updates = await kcatEnvelopes(kafkaBrokers, scoped.topics.featuresUpdated.name);
    assert.equal(updates.length, 1);
    assert.equal(updates[0]?.tstype, 'create', 'a topic without message.timestamp.type keeps the producer time');
  });

  void test('kcat writes protobuf bytes; the project\'s ConsumerLoop consumes and decodes them, every field equal', async () => {
    const scoped = kafka.withPrefix(`${uniqueName('interop-in')}.`);
    await scoped.admin.ensureTopics([topics.events, topics.deadLetters]);
    const topic = scoped.topics.events;
    const dir = await mkdtemp(join(tmpdir(), 'clickwise-kcat-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sent: Event[] = [];
    for (let i = 0; i < 15; i++) sent.push(fullEvent({ userId: `kc-${i % 3}` }));
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const before = Date.now();
    for (const [key, events] of byKey(sent, shopperKey)) {
      const files: string[] = [];
      for (const event of events) {
        const file = join(dir, `${event.eventId}.bin`);
        await writeFile(file, toBinary(EventSchema, event));
        files.push(file);
      }
      await kcatProduce(kafkaBrokers, topic.name, key, files, { traceparent });
    }
    const produced = Date.now();

    const received: ConsumedRecord<typeof EventSchema>[] = [];
    const groupId = uniqueName('interop-group');
    const loop = scoped.consumerLoop({
      groupId,
      topic,
      stage: 'interop-test',
      deadLetters: producer,
      handle: (records) => {
        received.push(...records);
        return Promise.resolve();
      },
    });
    cleanups.push(() => loop.stop());
    await loop.start();
    await waitFor(() => received.length >= sent.length, { timeoutMs: 30_000, message: `${sent.length} records through ConsumerLoop` });
    // Once the group committed up to the end, nothing may be handled again.
    await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 15_000, message: 'offsets committed to the end' });

    assert.equal(received.length, sent.length);
    const sentById = new Map(sent.map((event) => [event.eventId, event]));
    for (const record of received) {
      const original = sentById.get(record.value.eventId);
      assert.ok(original, `unexpected event ${record.value.eventId}`);
      assert.deepStrictEqual(record.value, original);
      assert.ok(equals(EventSchema, record.value, original));
      assert.equal(record.key, shopperKey(original));
      assert.deepStrictEqual(Buffer.from(record.raw), Buffer.from(toBinary(EventSchema, original)), 'raw bytes as kcat wrote them');
      assert.equal(record.headers?.traceparent?.toString(), traceparent, 'kcat header reaches the handler');
      assert.ok(record.timestampMs >= before - 5 && record.timestampMs <= produced + 5, 'LogAppendTime stamped by the broker');
    }
    const receivedByKey = byKey(received, (r) => r.key ?? '');
    for (const [key, events] of byKey(sent, shopperKey)) {
      assert.deepStrictEqual(receivedByKey.get(key)?.map((r) => r.value.eventId), events.map((e) => e.eventId), `order of key ${key}`);
    }
  });
});
