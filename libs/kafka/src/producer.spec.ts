import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AdapterProducer, ClientAdapter, ProduceRequest } from './adapter.js';
import { KafkaProducer } from './producer.js';
import type { OutgoingRecord, Topic } from './topic.js';

/** A client whose writes are acknowledged when the test says so; it records when each was handed over. */
function fakeClient() {
  const writes: { at: number; records: number; ack: () => void }[] = [];
  const producer: AdapterProducer = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    onConnectionChange: () => undefined,
    maxInFlightSends: 1,
    send: (requests: ProduceRequest[]) =>
      new Promise<void>((resolve) => {
        writes.push({ at: performance.now(), records: requests.reduce((n, r) => n + r.messages.length, 0), ack: resolve });
      }),
  };
  const adapter = { name: 'fake', producer: () => producer } as unknown as ClientAdapter;
  return { adapter, writes };
}

const topic = { name: 'spec.events' } as Topic;
const record = (bytes = 10): OutgoingRecord => ({ key: 'k', value: Buffer.alloc(bytes), headers: {} });
const until = async (check: () => boolean, timeoutMs = 5000) => {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
};

void describe('KafkaProducer linger and request bounds (fake client)', () => {
  void test('a lone record lingers lingerMs; records that waited through the previous request go as soon as it is acknowledged', async () => {
    const { adapter, writes } = fakeClient();
    const producer = new KafkaProducer(adapter, { lingerMs: 100 });
    const queued = performance.now();
    const first = producer.send(topic, [record()]);
    await until(() => writes.length === 1);
    assert.ok(writes[0]!.at - queued >= 95, `the first write lingered ${writes[0]!.at - queued} ms`);
    const second = producer.send(topic, [record()]);
    await new Promise((r) => setTimeout(r, 150)); // longer than the linger, while the first is in flight
    const acked = performance.now();
    writes[0]!.ack();
    await first;
    await until(() => writes.length === 2);
    // Before: a fresh 100 ms linger started at the acknowledgement.
    assert.ok(writes[1]!.at - acked < 50, `the second write went ${writes[1]!.at - acked} ms after the acknowledgement`);
    writes[1]!.ack();
    await second;
  });

  void test('a full request (maxBatchRecords or maxBatchBytes) goes without waiting for the linger', async () => {
    const { adapter, writes } = fakeClient();
    const producer = new KafkaProducer(adapter, { lingerMs: 10_000, maxBatchRecords: 10 });
    const queued = performance.now();
    const sent = producer.send(topic, Array.from({ length: 10 }, () => record()));
    await until(() => writes.length === 1, 2000);
    assert.ok(writes[0]!.at - queued < 1000, `went after ${writes[0]!.at - queued} ms`);
    writes[0]!.ack();
    await sent;

    const { adapter: a2, writes: w2 } = fakeClient();
    const byBytes = new KafkaProducer(a2, { lingerMs: 10_000, maxBatchBytes: 5000 });
    const done = [byBytes.send(topic, [record(3000)]), byBytes.send(topic, [record(3000)])];
    await until(() => w2.length === 1, 2000);
    assert.equal(w2[0]!.records, 1, 'the second call does not fit under 5,000 bytes with the first');
    w2[0]!.ack();
    // The second alone is not a full request: it lingers (as in Kafka's producer) until flushed.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(w2.length, 1);
    const flushed = byBytes.flush();
    await until(() => w2.length === 2, 2000);
    assert.equal(w2[1]!.records, 1);
    w2[1]!.ack();
    await Promise.all([...done, flushed]);
  });

  void test('calls that fit share one request, in order', async () => {
    const { adapter, writes } = fakeClient();
    const producer = new KafkaProducer(adapter, { lingerMs: 20, maxBatchRecords: 100 });
    const calls = Array.from({ length: 30 }, () => producer.send(topic, [record(), record()]));
    await until(() => writes.length === 1);
    assert.equal(writes[0]!.records, 60);
    writes[0]!.ack();
    await Promise.all(calls);
    assert.equal(producer.bufferedBytes, 0);
  });
});
