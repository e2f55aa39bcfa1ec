import { create, fromBinary } from '@bufbuild/protobuf';
import { DeadLetterSchema, ErasureRecordSchema, EventSchema, shopperKey, topics, type Event, type TopicSpec } from '@clickwise/contracts';
import { UnavailableError } from '@clickwise/errors';
import { KafkaPlatform, KafkaProducer, kafkaClientNames, type ConsumedRecord, type ConsumerLoop } from '@clickwise/kafka';
import { runScript, testInfra, uniqueName, waitFor } from '@clickwise/testing';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fullEvent } from '../foundation/factories.js';
import { kcatConsume } from '../foundation/kcat.js';
import { committedOffsets, endOffsets, fullyCommitted } from './group.js';

type Received = ConsumedRecord<typeof EventSchema>;

/**
 * The contract of libs/kafka, run over every client adapter (KAFKA_CLIENT values; kcat is the
 * independent client that checks what they wrote): produce/consume round trip with keys, headers
 * and per-key order, group rebalance, commit and resume, poison → DLQ, retriable errors retried
 * without a dead letter, admin offsets and lag, the per-replica follower.
 */

/** A ConsumerLoop that records what it handled and which partitions the group gave it. */
class Member {
  readonly received: Received[] = [];
  assignment: number[] = [];
  joins = 0;
  readonly loop: ConsumerLoop<typeof EventSchema>;
  private running = false;

  constructor(
    readonly name: string,
    options: { kafka: KafkaPlatform; groupId: string; deadLetters: KafkaProducer },
  ) {
    this.loop = options.kafka.consumerLoop({
      groupId: options.groupId,
      topic: options.kafka.topics.events,
      stage: 'group-test',
      deadLetters: options.deadLetters,
      handle: (records) => {
        this.received.push(...records);
        return Promise.resolve();
      },
      onAssigned: (partitions) => {
        this.joins++;
        this.assignment = partitions;
      },
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

for (const client of kafkaClientNames) {
  void describe(`libs/kafka contract on real Kafka, client adapter ${client}`, () => {
  const { kafkaBrokers } = testInfra();
  let base: KafkaPlatform;
  let producer: KafkaProducer;
  const members: Member[] = [];
  /** A platform under a fresh topic prefix, with the topics created. */
  const scoped = async (name: string, specs: readonly TopicSpec[] = [topics.events, topics.deadLetters]) => {
    const kafka = base.withPrefix(`${uniqueName(name)}.`);
    await kafka.admin.ensureTopics(specs);
    return kafka;
  };

  before(async () => {
    const tools = await runScript('test-tools.sh', [], {});
    assert.equal(tools.code, 0, `deploy/local/test-tools.sh failed:\n${tools.stderr}`);
    base = KafkaPlatform.create({ brokers: kafkaBrokers, clientId: uniqueName('contract'), client });
    assert.equal(base.client, client);
    producer = base.producer();
    await producer.connect();
  });

  after(async () => {
    for (const member of members) await member.stop();
    await producer.disconnect();
  });

  void test('two members share a 6-partition topic; one stops and the other takes over; a restart resumes from the committed offset', async () => {
    const kafka = await scoped('group');
    const topic = kafka.topics.events;
    const groupId = uniqueName('group-id');
    const make = (name: string) => {
      const member = new Member(name, { kafka, groupId, deadLetters: producer });
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
    const kafka = await scoped('poison');
    const topic = kafka.topics.events;
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
    const member = new Member('poison', { kafka, groupId, deadLetters: producer });
    members.push(member);
    await member.start();
    await waitFor(() => member.received.length >= 2, { timeoutMs: 30_000, message: 'the good records' });
    await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 15_000, message: 'committed past the poison record' });
    await member.stop();

    assert.deepStrictEqual(member.ids(), [before.eventId, afterIt.eventId]);
    assert.deepStrictEqual(member.received.map((r) => r.offset), ['0', '2']);
    const partition = member.received[0]!.partition;
    const letters = await kcatConsume(kafkaBrokers, kafka.topics.deadLetters.name);
    assert.equal(letters.length, 1, 'one dead letter');
    const letter = fromBinary(DeadLetterSchema, letters[0]!.value!);
    assert.equal(letters[0]!.key?.toString(), 'poisoned-shopper', 'dead letter keeps the original key');
    assert.equal(letter.stage, 'group-test');
    assert.equal(letter.reasonCode, 'decode_failed');
    assert.match(letter.reason, /cannot decode clickwise\.v1\.Event/);
    assert.deepStrictEqual(Buffer.from(letter.payload), poison, 'raw payload kept');
    assert.equal(letter.truncated, false);
    assert.equal(letter.originalSize, poison.length);
    assert.equal(letter.originalTopic, topic.name);
    assert.equal(letter.source, topic.name);
    assert.equal(letter.originalPartition, partition);
    assert.equal(letter.originalOffset, 1n);
    assert.ok(letter.rejectedAtMs > 0n);
  });

  void test('a handler that rejects one record (non-retriable) sends only that record to the DLQ; the rest are handled once', async () => {
    const kafka = await scoped('reject');
    const topic = kafka.topics.events;
    const groupId = uniqueName('reject-group');
    const events = Array.from({ length: 10 }, (_, i) => fullEvent({ userId: 'one-shopper', eventId: `rej-${i}` }));
    const rejectedId = 'rej-4';
    const handled: Received[] = [];
    const attempts: { offset: string; attempt: number; retriable: boolean }[] = [];
    // One send: the ten records land in one batch of one partition.
    await producer.send(topic, encode(events));
    const loop = kafka.consumerLoop({
      groupId,
      topic,
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
    const letters = await kcatConsume(kafkaBrokers, kafka.topics.deadLetters.name);
    assert.equal(letters.length, 1, 'only the rejected record is dead-lettered');
    const letter = fromBinary(DeadLetterSchema, letters[0]!.value!);
    assert.equal(letter.reasonCode, 'handler_rejected');
    assert.equal(letter.reason, `item ${events[4]!.itemId} is not in the catalogue`);
    assert.equal(letter.originalOffset, 4n);
    assert.equal(letter.stage, 'reject-test');
    assert.equal(fromBinary(EventSchema, letter.payload).eventId, rejectedId, 'the payload is the rejected record');
  });

  void test('a retriable handler error is retried with capped backoff for as long as it lasts (far past 5 attempts), without a dead letter', async () => {
    const kafka = await scoped('retry');
    const topic = kafka.topics.events;
    const groupId = uniqueName('retry-group');
    const events = Array.from({ length: 5 }, (_, i) => fullEvent({ userId: 'retry-shopper', eventId: `retry-${i}` }));
    await producer.send(topic, encode(events));
    // A dependency down for a dozen attempts: the old policy dead-lettered after 5.
    let failures = 12;
    const calls: number[] = [];
    const handled: Received[] = [];
    const loop = kafka.consumerLoop({
      groupId,
      topic,
      stage: 'retry-test',
      deadLetters: producer,
      maxBackoffMs: 400,
      handle: (records) => {
        calls.push(Date.now());
        if (failures-- > 0) return Promise.reject(new UnavailableError('Redis is not answering', 100));
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
    // Calls after the 13th are later batches of the same five records: librdkafka's client builds
    // batches from what its queue holds, so the five may come as more than one batch.
    assert.ok(calls.length >= 13 && calls.length <= 12 + events.length, `twelve failures, then success (${calls.length} calls)`);
    const gaps = calls.slice(1, 13).map((t, i) => t - calls[i]!);
    assert.ok(gaps[0]! >= 90 && gaps[1]! >= 190, `exponential backoff (gaps ${gaps.join(', ')} ms)`);
    assert.ok(gaps.slice(3).every((g) => g >= 390 && g < 2000), `capped at maxBackoffMs (gaps ${gaps.join(', ')} ms)`);
    assert.deepStrictEqual(handled.map((r) => r.value.eventId), events.map((e) => e.eventId));
    assert.equal(await kafka.admin.recordCount(kafka.topics.deadLetters), 0, 'no dead letter');
    assert.equal(countBy(handled, (r) => r.value.eventId).size, events.length);
  });

  void test('round trip: keys, headers and per-key order survive; kcat reads the same keys', async () => {
    const kafka = await scoped('roundtrip');
    const topic = kafka.topics.events;
    const sent = Array.from({ length: 60 }, (_, i) => fullEvent({ userId: i % 5 === 4 ? '' : `rt-${i % 5}`, anonymousId: `anon-${i % 5}`, eventId: `rt-${i}` }));
    await producer.send(topic, sent.map((e, i) => topic.record(e, { headers: { 'x-seq': String(i) } })));
    const received: Received[] = [];
    const loop = kafka.consumerLoop({
      groupId: uniqueName('roundtrip-group'),
      topic,
      stage: 'roundtrip-test',
      deadLetters: producer,
      handle: (records) => {
        received.push(...records);
        return Promise.resolve();
      },
    });
    try {
      await loop.start();
      await waitFor(() => received.length >= sent.length, { timeoutMs: 30_000, message: 'every record consumed' });
    } finally {
      await loop.stop();
    }
    assert.equal(received.length, sent.length);
    for (const r of received) {
      const i = Number(r.value.eventId.slice(3));
      assert.equal(r.key, shopperKey(sent[i]!), 'keyed by the topic key function (user id, else anonymous id)');
      assert.equal(r.headers?.['x-seq']?.toString(), String(i), 'header kept');
    }
    for (const key of new Set(sent.map(shopperKey))) {
      const mine = received.filter((r) => r.key === key);
      assert.equal(new Set(mine.map((r) => r.partition)).size, 1, `key ${key} on one partition`);
      assert.deepStrictEqual(mine.map((r) => r.value.eventId), sent.filter((e) => shopperKey(e) === key).map((e) => e.eventId), `order of key ${key}`);
    }
    const viaKcat = await kcatConsume(kafkaBrokers, topic.name);
    assert.deepStrictEqual(
      new Map(viaKcat.map((r) => [fromBinary(EventSchema, r.value!).eventId, r.key?.toString()])),
      new Map(sent.map((e) => [e.eventId, shopperKey(e)])),
      'kcat sees the same keys (murmur2 partitioning as librdkafka/Java would place them is checked in kafka-interop)',
    );
  });

  void test('overlapping sends (as many in flight as the client allows): one copy of each record, per-key order of the send calls', async () => {
    const kafka = await scoped('overlap');
    const topic = kafka.topics.events;
    const own = kafka.producer({ lingerMs: 0, maxBatchRecords: 50 });
    await own.connect();
    const calls = 120;
    const perCall = 50;
    const sent = Array.from({ length: calls * perCall }, (_, i) => fullEvent({ userId: `ov-${i % 40}`, eventId: `ov-${i}` }));
    try {
      // Sent without awaiting: each call becomes its own produce request (maxBatchRecords 50).
      const acks: Promise<void>[] = [];
      for (let c = 0; c < calls; c++) acks.push(own.send(topic, encode(sent.slice(c * perCall, (c + 1) * perCall))));
      await Promise.all(acks);
      assert.ok(own.writesSent >= calls, `${own.writesSent} produce requests for ${calls} calls`);
      if (client === 'confluent') assert.ok(own.peakInFlight > 1, `librdkafka got overlapping requests (peak ${own.peakInFlight})`);
      else assert.equal(own.peakInFlight, 1, 'kafkajs idempotent: one request in flight');
    } finally {
      await own.disconnect();
    }
    const records = await kafka.admin.readTopic(topic);
    const ids = records.map((r) => r.value.eventId);
    assert.equal(ids.length, sent.length, 'every record written');
    assert.equal(new Set(ids).size, sent.length, 'no record written twice');
    for (const key of new Set(sent.map(shopperKey))) {
      const mine = records.filter((r) => r.key === key).sort((x, y) => Number(BigInt(x.offset) - BigInt(y.offset)));
      assert.deepStrictEqual(mine.map((r) => r.value.eventId), sent.filter((e) => shopperKey(e) === key).map((e) => e.eventId), `order of key ${key}`);
    }
  });

  void test('admin: offsets, offsets by timestamp, committed offsets and lag of a group, readTopic', async () => {
    const kafka = await scoped('admin');
    const topic = kafka.topics.events;
    assert.equal(await kafka.admin.recordCount(topic), 0);
    assert.deepStrictEqual([...(await kafka.admin.endOffsets(topic)).values()], [0n, 0n, 0n, 0n, 0n, 0n]);
    const first = eventsFor(40, 'admin-a');
    await producer.send(topic, encode(first));
    const between = Date.now() + 1;
    await waitFor(() => Date.now() > between + 5, { timeoutMs: 1000, intervalMs: 5 });
    const second = eventsFor(20, 'admin-b');
    await producer.send(topic, encode(second));
    assert.equal(await kafka.admin.recordCount(topic), 60);
    const ends = await kafka.admin.endOffsets(topic);
    const groupId = uniqueName('admin-group');
    const none = await kafka.admin.groupLag(groupId, topic);
    assert.equal(none.total, 60n, 'a group that committed nothing lags by every record');
    assert.ok(none.partitions.every((p) => p.committed === null));
    // By timestamp (LogAppendTime): the second batch starts where the first ended.
    const at = await kafka.admin.offsetsAt(topic, between);
    const firstCounts = countBy(
      (await kafka.admin.readTopic(topic)).filter((r) => r.value.eventId.startsWith('admin-a')),
      (r) => String(r.partition),
    );
    for (const [p, offset] of at) assert.equal(offset, BigInt(firstCounts.get(String(p)) ?? 0), `partition ${p}: first offset after the timestamp`);
    // A group that consumed everything lags by 0; committed offsets equal the ends.
    const member = new Member('admin', { kafka, groupId, deadLetters: producer });
    members.push(member);
    await member.start();
    await waitFor(() => fullyCommitted(kafka, groupId, topic), { timeoutMs: 30_000, message: 'group at the end' });
    await member.stop();
    const lag = await kafka.admin.groupLag(groupId, topic);
    assert.equal(lag.total, 0n);
    assert.deepStrictEqual(await kafka.admin.committedOffsets(groupId, topic), ends);
    await producer.send(topic, encode(eventsFor(7, 'admin-c')));
    assert.equal((await kafka.admin.groupLag(groupId, topic)).total, 7n, 'new records count as lag');
  });

  void test('follower: every replica catches up from the beginning of a compacted topic, then follows', async () => {
    const kafka = await scoped('follower', [topics.erasures, topics.deadLetters]);
    const erasure = (shopper: string) => create(ErasureRecordSchema, { shopperKey: shopper, requestedAtMs: BigInt(Date.now()), requestedBy: 'test' });
    await producer.produce(kafka.topics.erasures, Array.from({ length: 30 }, (_, i) => erasure(`gone-${i}`)));
    const replicas = [0, 1].map(() => {
      const seen: string[] = [];
      const follower = kafka.follower({
        topic: kafka.topics.erasures,
        groupPrefix: 'contract',
        stage: 'follower-test',
        deadLetters: producer,
        handle: (records) => {
          seen.push(...records.map((r) => r.key ?? ''));
          return Promise.resolve();
        },
      });
      return { seen, follower };
    });
    try {
      const catchUps = await Promise.all(replicas.map((r) => r.follower.start()));
      for (const [i, r] of replicas.entries()) {
        assert.ok(catchUps[i]!.caughtUp, 'caught up before start resolved');
        assert.equal(r.seen.length, 30, 'each replica read the whole topic (a group of its own)');
      }
      assert.notEqual(replicas[0]!.follower.groupId, replicas[1]!.follower.groupId);
      await producer.produce(kafka.topics.erasures, [erasure('late')]);
      await waitFor(() => replicas.every((r) => r.seen.includes('late')), { timeoutMs: 30_000, message: 'both follow new records' });
    } finally {
      await Promise.all(replicas.map((r) => r.follower.stop()));
    }
  });
});
}
