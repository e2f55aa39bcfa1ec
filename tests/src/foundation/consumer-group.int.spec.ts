import { fromBinary } from '@bufbuild/protobuf';
import { DeadLetterSchema, EventSchema, shopperKey, topics, type Event } from '@clickwise/contracts';
import { ConsumerLoop, createKafka, ensureTopics, KafkaProducer, type ConsumedRecord } from '@clickwise/kafka';
import { runScript, testInfra, uniqueName, waitFor } from '@clickwise/testing';
import type { Kafka } from 'kafkajs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fullEvent } from './factories.js';
import { committedOffsets, endOffsets, fullyCommitted } from './group.js';
import { kcatConsume } from './kcat.js';

type Received = ConsumedRecord<typeof EventSchema>;

/** A ConsumerLoop that records what it handled and which partitions the group gave it. */
class Member {
  readonly received: Received[] = [];
  assignment: number[] = [];
  joins = 0;
  readonly loop: ConsumerLoop<typeof EventSchema>;
  private running = false;

  constructor(
    readonly name: string,
    options: { kafka: Kafka; groupId: string; prefix: string; deadLetters: KafkaProducer },
  ) {
    const topic = options.prefix + topics.events.name;
    this.loop = new ConsumerLoop({
      kafka: options.kafka,
      groupId: options.groupId,
      topic: topics.events,
      topicPrefix: options.prefix,
      stage: 'group-test',
      deadLetters: options.deadLetters,
      handle: (records) => {
        this.received.push(...records);
        return Promise.resolve();
      },
    });
    this.loop.raw.on(this.loop.raw.events.GROUP_JOIN, (event) => {
      this.joins++;
      this.assignment = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
    });
  }

  async start(): Promise<void> {
    await this.loop.start();
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.loop.stop();
  }

  ids(): string[] {
    return this.received.map((r) => r.value.eventId);
  }
}

/** 40 shoppers, so every one of the 6 partitions gets records. */
function eventsFor(count: number, tag: string): Event[] {
  return Array.from({ length: count }, (_, i) => fullEvent({ userId: `shopper-${i % 40}`, eventId: `${tag}-${i}` }));
}

function encode(events: Event[]) {
  return events.map((event) => KafkaProducer.encode(topics.events, shopperKey(event), event));
}

function countBy<T>(items: T[], keyOf: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(keyOf(item), (out.get(keyOf(item)) ?? 0) + 1);
  return out;
}

const ALL_PARTITIONS = [0, 1, 2, 3, 4, 5];

void describe('consumer groups and dead letters (ConsumerLoop on real Kafka)', () => {
  const { kafkaBrokers } = testInfra();
  let kafka: Kafka;
  let producer: KafkaProducer;
  const members: Member[] = [];

  before(async () => {
    const tools = await runScript('test-tools.sh', [], {});
    assert.equal(tools.code, 0, `deploy/local/test-tools.sh failed:\n${tools.stderr}`);
    kafka = createKafka({ brokers: kafkaBrokers, clientId: uniqueName('group-test') });
    producer = new KafkaProducer(kafka);
    await producer.connect();
  });

  after(async () => {
    for (const member of members) await member.stop();
    await producer.disconnect();
  });

  void test('two members share a 6-partition topic; one stops and the other takes over; a restart resumes from the committed offset', async () => {
    const prefix = `${uniqueName('group')}.`;
    await ensureTopics(kafka, [topics.events, topics.deadLetters], { prefix });
    const topic = prefix + topics.events.name;
    const groupId = uniqueName('group-id');
    const make = (name: string) => {
      const member = new Member(name, { kafka, groupId, prefix, deadLetters: producer });
      members.push(member);
      return member;
    };

    // 1. Both up: the group splits the partitions between them.
    const a = make('a');
    const b = make('b');
    await a.start();
    await waitFor(() => a.assignment.length === 6, { timeoutMs: 30_000, message: 'a owns all partitions alone' });
    await b.start();
    await waitFor(
      () =>
        a.assignment.length > 0 &&
        b.assignment.length > 0 &&
        [...a.assignment, ...b.assignment].sort((x, y) => x - y).join() === ALL_PARTITIONS.join(),
      { timeoutMs: 30_000, message: 'a and b share the 6 partitions' },
    );
    const firstBatch = eventsFor(240, 'phase1');
    await producer.send(topic, encode(firstBatch));
    await waitFor(() => a.received.length + b.received.length >= firstBatch.length, { timeoutMs: 30_000, message: 'phase 1 consumed' });
    await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 15_000, message: 'phase 1 committed' });

    assert.ok(a.received.length > 0 && b.received.length > 0, `both members got records (a ${a.received.length}, b ${b.received.length})`);
    for (const member of [a, b]) {
      const partitions = new Set(member.received.map((r) => r.partition));
      for (const p of partitions) assert.ok(member.assignment.includes(p), `${member.name} got records only from its partitions`);
    }
    const phase1 = [...a.ids(), ...b.ids()];
    assert.equal(phase1.length, firstBatch.length, 'no record handled twice while both are up');
    assert.deepStrictEqual(new Set(phase1), new Set(firstBatch.map((e) => e.eventId)), 'every record handled');
    assert.deepStrictEqual([...new Set([...a.received, ...b.received].map((r) => r.partition))].sort(), ALL_PARTITIONS);

    // 2. b stops: a takes over all partitions and gets every new record, once.
    const aBefore = a.received.length;
    const bBefore = b.received.length;
    await b.stop();
    await waitFor(() => a.assignment.length === 6, { timeoutMs: 30_000, message: 'a takes over b\'s partitions' });
    const secondBatch = eventsFor(120, 'phase2');
    await producer.send(topic, encode(secondBatch));
    await waitFor(() => a.received.length - aBefore >= secondBatch.length, { timeoutMs: 30_000, message: 'phase 2 consumed by a' });
    await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 15_000, message: 'phase 2 committed' });
    assert.equal(b.received.length, bBefore, 'a stopped member gets nothing');
    const phase2 = a.received.slice(aBefore);
    assert.deepStrictEqual(phase2.map((r) => r.value.eventId).sort(), secondBatch.map((e) => e.eventId).sort(), 'exactly the new records, once');
    assert.deepStrictEqual([...new Set(phase2.map((r) => r.partition))].sort(), ALL_PARTITIONS, 'including b\'s former partitions');

    // 3. a stops after committing; records arrive while nobody consumes; a new member resumes exactly there.
    await a.stop();
    const committed = await committedOffsets(kafka, groupId, topic);
    const ends = await endOffsets(kafka, topic);
    assert.deepStrictEqual(committed, ends, 'everything handled was committed');
    const thirdBatch = eventsFor(120, 'phase3');
    await producer.send(topic, encode(thirdBatch));
    const c = make('c');
    await c.start();
    await waitFor(() => c.received.length >= thirdBatch.length, { timeoutMs: 30_000, message: 'phase 3 consumed by c' });
    await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 15_000, message: 'phase 3 committed' });
    assert.deepStrictEqual(c.ids().sort(), thirdBatch.map((e) => e.eventId).sort(), 'no committed record again, every new one once');
    for (const p of ALL_PARTITIONS) {
      const offsets = c.received.filter((r) => r.partition === p).map((r) => Number(r.offset));
      assert.ok(offsets.length > 0, `partition ${p} got new records`);
      assert.equal(Math.min(...offsets), committed.get(p), `partition ${p} resumed at its committed offset`);
    }
    assert.equal(a.received.length, aBefore + secondBatch.length, 'a handled nothing after it stopped');
  });

  void test('a record that does not decode goes to the DLQ with the reason; the partition keeps moving', async () => {
    const prefix = `${uniqueName('poison')}.`;
    await ensureTopics(kafka, [topics.events, topics.deadLetters], { prefix });
    const topic = prefix + topics.events.name;
    const groupId = uniqueName('poison-group');
    const before = fullEvent({ userId: 'poisoned-shopper' });
    const afterIt = fullEvent({ userId: 'poisoned-shopper' });
    // Field 1 (event_id) claims 16 bytes; only 2 follow.
    const poison = Buffer.from([0x0a, 0x10, 0x61, 0x62]);
    await producer.send(topic, [
      KafkaProducer.encode(topics.events, 'poisoned-shopper', before),
      { key: 'poisoned-shopper', value: poison },
      KafkaProducer.encode(topics.events, 'poisoned-shopper', afterIt),
    ]);
    const member = new Member('poison', { kafka, groupId, prefix, deadLetters: producer });
    members.push(member);
    await member.start();
    await waitFor(() => member.received.length >= 2, { timeoutMs: 30_000, message: 'the good records' });
    await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 15_000, message: 'committed past the poison record' });
    await member.stop();

    assert.deepStrictEqual(member.ids(), [before.eventId, afterIt.eventId]);
    assert.deepStrictEqual(member.received.map((r) => r.offset), ['0', '2']);
    const partition = member.received[0]!.partition;
    const letters = await kcatConsume(kafkaBrokers, prefix + topics.deadLetters.name);
    assert.equal(letters.length, 1, 'one dead letter');
    const letter = fromBinary(DeadLetterSchema, letters[0]!.value!);
    assert.equal(letters[0]!.key?.toString(), 'poisoned-shopper', 'dead letter keeps the original key');
    assert.equal(letter.stage, 'group-test');
    assert.equal(letter.reasonCode, 'decode_failed');
    assert.match(letter.reason, /cannot decode clickwise\.v1\.Event/);
    assert.deepStrictEqual(Buffer.from(letter.payload), poison, 'raw payload kept');
    assert.equal(letter.truncated, false);
    assert.equal(letter.originalSize, poison.length);
    assert.equal(letter.originalTopic, topic);
    assert.equal(letter.source, topic);
    assert.equal(letter.originalPartition, partition);
    assert.equal(letter.originalOffset, 1n);
    assert.ok(letter.rejectedAtMs > 0n);
  });

  void test('a handler that rejects one record (non-retriable) sends only that record to the DLQ; the rest are handled once', async () => {
    const prefix = `${uniqueName('reject')}.`;
    await ensureTopics(kafka, [topics.events, topics.deadLetters], { prefix });
    const topic = prefix + topics.events.name;
    const groupId = uniqueName('reject-group');
    const events = Array.from({ length: 10 }, (_, i) => fullEvent({ userId: 'one-shopper', eventId: `rej-${i}` }));
    const rejectedId = 'rej-4';
    const handled: Received[] = [];
    const attempts: { offset: string; attempt: number; retriable: boolean }[] = [];
    // One send: the ten records land in one batch of one partition.
    await producer.send(topic, encode(events));
    const loop = new ConsumerLoop({
      kafka,
      groupId,
      topic: topics.events,
      topicPrefix: prefix,
      stage: 'reject-test',
      deadLetters: producer,
      handle: (records) => {
        // All or nothing, like a handler that validates before it writes.
        const bad = records.find((r) => r.value.eventId === rejectedId);
        if (bad) {
          return Promise.reject(Object.assign(new Error(`item ${bad.value.itemId} is not in the catalogue`), { retriable: false }));
        }
        handled.push(...records);
        return Promise.resolve();
      },
      onError: (error, context) => {
        attempts.push({ offset: context.offset, attempt: context.attempt, retriable: (error as { retriable?: boolean }).retriable !== false });
      },
    });
    try {
      await loop.start();
      await waitFor(() => handled.length >= 9, { timeoutMs: 30_000, message: 'the 9 good records' });
      await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 15_000, message: 'committed to the end' });
    } finally {
      await loop.stop();
    }
    assert.deepStrictEqual(
      handled.map((r) => r.value.eventId),
      events.map((e) => e.eventId).filter((id) => id !== rejectedId),
      'every other record handled once, in order',
    );
    assert.ok(attempts.length > 0 && attempts.every((a) => a.attempt === 1 && !a.retriable), 'a non-retriable error is not retried');
    const letters = await kcatConsume(kafkaBrokers, prefix + topics.deadLetters.name);
    assert.equal(letters.length, 1, 'only the rejected record is dead-lettered');
    const letter = fromBinary(DeadLetterSchema, letters[0]!.value!);
    assert.equal(letter.reasonCode, 'handler_rejected');
    assert.equal(letter.reason, `item ${events[4]!.itemId} is not in the catalogue`);
    assert.equal(letter.originalOffset, 4n);
    assert.equal(letter.stage, 'reject-test');
    assert.equal(fromBinary(EventSchema, letter.payload).eventId, rejectedId, 'the payload is the rejected record');
  });

  void test('a retriable handler error is retried with backoff and then succeeds, without a dead letter', async () => {
    const prefix = `${uniqueName('retry')}.`;
    await ensureTopics(kafka, [topics.events, topics.deadLetters], { prefix });
    const topic = prefix + topics.events.name;
    const groupId = uniqueName('retry-group');
    const events = Array.from({ length: 5 }, (_, i) => fullEvent({ userId: 'retry-shopper', eventId: `retry-${i}` }));
    await producer.send(topic, encode(events));
    let failures = 2;
    const calls: number[] = [];
    const handled: Received[] = [];
    const loop = new ConsumerLoop({
      kafka,
      groupId,
      topic: topics.events,
      topicPrefix: prefix,
      stage: 'retry-test',
      deadLetters: producer,
      handle: (records) => {
        calls.push(Date.now());
        if (failures-- > 0) return Promise.reject(new Error('Redis is not answering'));
        handled.push(...records);
        return Promise.resolve();
      },
    });
    try {
      await loop.start();
      await waitFor(() => handled.length >= events.length, { timeoutMs: 30_000, message: 'handled after retries' });
      await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 15_000, message: 'committed' });
    } finally {
      await loop.stop();
    }
    assert.equal(calls.length, 3, 'two failures, then success');
    assert.ok(calls[1]! - calls[0]! >= 90 && calls[2]! - calls[1]! >= 190, `exponential backoff (gaps ${calls[1]! - calls[0]!}, ${calls[2]! - calls[1]!} ms)`);
    assert.deepStrictEqual(handled.map((r) => r.value.eventId), events.map((e) => e.eventId));
    const dlqEnd = [...(await endOffsets(kafka, prefix + topics.deadLetters.name)).values()].reduce((s, n) => s + n, 0);
    assert.equal(dlqEnd, 0, 'no dead letter');
    assert.equal(countBy(handled, (r) => r.value.eventId).size, events.length);
  });
});
