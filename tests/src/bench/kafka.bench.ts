/**
 * `clickwise bench kafka`: Kafka's own producer benchmark on this box (acks=all, idempotent), the
 * baseline the ingest benchmark is compared with.
 */
import { parseArgs } from 'node:util';
import { allTopics } from '@clickwise/contracts';
import { createKafka, ensureTopics } from '@clickwise/kafka';
import { repoRoot, uniqueName } from '@clickwise/testing';
import { describeHardware, hardware, report } from './common.js';
import { kafkaProducerPerf } from './kafka-producer-perf.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    records: { type: 'string', default: '2000000' },
    'record-size': { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});

const prefix = `${uniqueName('bench')}.`;
const kafka = createKafka({ brokers: values.brokers.split(','), clientId: 'bench-kafka' });
await ensureTopics(kafka, allTopics.filter((t) => t.name === 'clickstream.events.v1'), { prefix });
const hw = hardware();
process.stderr.write(`hardware: ${describeHardware(hw)}\n`);
const result = await kafkaProducerPerf({
  brokers: values.brokers,
  topic: `${prefix}clickstream.events.v1`,
  records: Number(values.records),
  recordSize: Number(values['record-size']),
  repoRoot: repoRoot(),
});
const admin = kafka.admin();
await admin.connect();
await admin.deleteTopics({ topics: [`${prefix}clickstream.events.v1`] });
await admin.disconnect();
report(
  'Kafka ProducerPerformance (acks=all, enable.idempotence=true, linger.ms=5, 6 partitions)',
  [{ records: result.records, 'record bytes': result.recordSize, 'records/s': result.recordsPerSec, 'MB/s': result.mbPerSec, 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms }],
  { bench: 'kafka', hardware: hw, result },
  values.json,
);
