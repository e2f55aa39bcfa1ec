import { create } from '@bufbuild/protobuf';
import { allTopics, EventSchema, topics } from '@clickwise/contracts';
import { testInfra, uniqueName } from '@clickwise/testing';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KafkaPlatform } from './platform.js';
import { KafkaProducer } from './producer.js';

void describe('readTopic: a topic from the beginning to its end at the call', () => {
  const kafka = KafkaPlatform.create({ brokers: testInfra().kafkaBrokers, clientId: 'read-topic-spec', logLevel: 'ERROR', topicPrefix: `${uniqueName('read-topic')}.` });
  const topic = kafka.topics.events;
  const producer = kafka.producer();

  before(async () => {
    await kafka.admin.ensureTopics(allTopics.filter((t) => t.name === topics.events.name));
    await producer.connect();
  });
  after(async () => {
    await producer.disconnect();
    await kafka.admin.deletePrefixedTopics();
  });

  void test('an empty topic gives no records at once', async () => {
    assert.deepEqual(await kafka.admin.readTopic(topic, { timeoutMs: 10_000 }), []);
  });

  void test('every record once, decoded, each partition in offset order; later records are not waited for', async () => {
    const shoppers = Array.from({ length: 40 }, (_, i) => `shopper-${i}`);
    const sent = Array.from({ length: 600 }, (_, i) => ({ key: shoppers[i % shoppers.length]!, id: `e-${i}` }));
    await producer.send(
      topic,
      sent.map((s) => KafkaProducer.encode(topics.events, s.key, create(EventSchema, { eventId: s.id, userId: s.key }))),
    );
    const records = await kafka.admin.readTopic(topic);
    // Records written after the call started are not part of the answer.
    await producer.send(topic, [KafkaProducer.encode(topics.events, 'late', create(EventSchema, { eventId: 'late' }))]);

    assert.equal(records.length, sent.length);
    assert.deepEqual(new Set(records.map((r) => r.value.eventId)), new Set(sent.map((s) => s.id)));
    for (const r of records) assert.equal(r.key, r.value.userId);
    for (let i = 1; i < records.length; i++) {
      const [a, b] = [records[i - 1]!, records[i]!];
      assert.ok(a.partition < b.partition || (a.partition === b.partition && BigInt(a.offset) < BigInt(b.offset)), 'partition, then offset order');
    }
    // One shopper's events keep their order (one partition per key).
    const ofOne = records.filter((r) => r.key === 'shopper-7').map((r) => Number(r.value.eventId.slice(2)));
    assert.deepEqual(ofOne, [...ofOne].sort((x, y) => x - y));
    assert.ok(ofOne.length === 15);
  });

  void test('an offset range of one partition: [from, until) of it, nothing of the others', async () => {
    const all = await kafka.admin.readTopic(topic);
    const partition = all[0]!.partition;
    const offsets = all.filter((r) => r.partition === partition).map((r) => BigInt(r.offset));
    assert.ok(offsets.length >= 6);
    const [from, until] = [offsets[2]!, offsets[5]!];
    const range = await kafka.admin.readTopic(topic, { fromOffsets: new Map([[partition, from]]), untilOffsets: new Map([[partition, until]]) });
    assert.deepEqual(
      range.map((r) => `${r.partition}@${r.offset}`),
      offsets.slice(2, 5).map((o) => `${partition}@${o}`),
    );
    // An end past the log is capped at its end; a range at the end is empty.
    const end = (await kafka.admin.endOffsets(topic)).get(partition)!;
    const tail = await kafka.admin.readTopic(topic, { fromOffsets: new Map([[partition, from]]), untilOffsets: new Map([[partition, end + 1000n]]) });
    assert.equal(tail.length, all.filter((r) => r.partition === partition && BigInt(r.offset) >= from).length);
    assert.deepEqual(await kafka.admin.readTopic(topic, { fromOffsets: new Map([[partition, end]]), untilOffsets: new Map([[partition, end + 5n]]) }), []);
  });
});
