/**
 * `clickwise bench kafka`: Kafka's own producer benchmark on this box (acks=all, idempotent), the
 * baseline the ingest benchmark is compared with.
 */
import { parseArgs } from 'node:util';
import { topics } from '@clickwise/contracts';
import { KafkaPlatform } from '@clickwise/kafka';
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
const kafka = KafkaPlatform.create({ brokers: values.brokers.split(','), clientId: 'bench-kafka', topicPrefix: prefix });
await kafka.admin.ensureTopics([topics.events]);
const hw = hardware();
process.stderr.write(`hardware: ${describeHardware(hw)}\n`);
const result = await kafkaProducerPerf({
  brokers: values.brokers,
  topic: kafka.topics.events.name,
  records: Number(values.records),
  recordSize: Number(values['record-size']),
  repoRoot: repoRoot(),
});
await kafka.admin.deletePrefixedTopics();
report(
  'Kafka ProducerPerformance (acks=all, enable.idempotence=true, linger.ms=5, 6 partitions)',
  [{ records: result.records, 'record bytes': result.recordSize, 'records/s': result.recordsPerSec, 'MB/s': result.mbPerSec, 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms }],
  { bench: 'kafka', hardware: hw, result },
  values.json,
);
