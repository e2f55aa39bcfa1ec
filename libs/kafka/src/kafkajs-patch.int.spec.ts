/**
 * Our `pnpm patch` of kafkajs 2.2.4 (patches/kafkajs@2.2.4.patch, ADR 0018): on Node 24 the
 * shipped client printed TimeoutNegativeWarning as soon as a broker answered (its request queue
 * scheduled a check `-1 - Date.now()` ms ahead). No process silences warnings any more, so this
 * checks the cause is gone: connect, create a topic, produce, consume, and no such warning.
 */
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';

void test('kafkajs on Node 24: no TimeoutNegativeWarning from connecting, producing or consuming', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  const kafka = new Kafka({ clientId: uniqueName('kafkajs-patch'), brokers: testInfra().kafkaBrokers, logLevel: logLevel.NOTHING });
  const topic = uniqueName('kafkajs-patch');
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: uniqueName('kafkajs-patch'), maxWaitTimeInMs: 50 });
  try {
    await admin.connect();
    // Not waitForLeaders (kafkajs's default): its wait gives up on the UNKNOWN_TOPIC_OR_PARTITION
    // Kafka 4.3 can answer just after a create; the sends below retry instead (as ensureTopics does).
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: false });
    await producer.connect();
    // Right after creation a broker may still answer UNKNOWN_TOPIC_OR_PARTITION (retriable): send until it takes them.
    const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
    await waitFor(
      async () => {
        try {
          await producer.send({ topic, acks: -1, messages });
          return true;
        } catch (error) {
          if ((error as { retriable?: boolean }).retriable) return false;
          throw error;
        }
      },
      { timeoutMs: 30_000, message: 'the new topic to take the records' },
    );
    let read = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: () => {
        read++;
        return Promise.resolve();
      },
    });
    await waitFor(() => read >= 50, { timeoutMs: 30_000, message: '50 records read back' });
    await nextTurn(); // process.emitWarning delivers on the next tick
    const negative = warnings.filter((w) => w.name === 'TimeoutNegativeWarning');
    assert.deepStrictEqual(negative.map((w) => w.message), [], 'TimeoutNegativeWarning emitted');
  } finally {
    process.off('warning', onWarning);
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});
