// The only file that imports kafkajs (eslint.config.js enforces it): the kafkajs adapter.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type ICustomPartitioner, type LogEntry } from 'kafkajs';
import type { AdapterAdmin, AdapterConsumer, AdapterConsumerOptions, AdapterProducer, ClientAdapter, ClientSettings } from './adapter.js';
import type { KafkaLogger } from './logger.js';

/**
 * Conditions kafkajs logs at error level although it retries them by itself during normal operation
 * (start-up, topic creation, leader moves, a coordinator still loading, a rebalance, a broker not yet
 * listening), or that the caller receives as an error anyway (topic creation). They are debug: a
 * retry that finally fails surfaces to the caller (a rejected send, a consumer crash), which logs it.
 */
const RETRIED = [
  /not the leader for that topic-partition/i,
  /NOT_LEADER/,
  /does not host this topic-partition/i,
  /Topic creation errors/,
  /no leader for this topic-partition/i,
  /LEADER_NOT_AVAILABLE/,
  /leadership election/i,
  /coordinator is loading/i,
  /coordinator is not available/i,
  /REBALANCE_IN_PROGRESS/,
  /group is rebalancing/i,
  /Connection error/i,
  /ECONNREFUSED/,
  /Failed to connect to seed broker/i,
  /Limiting retries for the idempotent producer/,
];

/** Whether a kafkajs log entry reports an expected, retried condition (a crash never is). */
export function isRetriedCondition(message: unknown, error: unknown): boolean {
  if (typeof message === 'string' && message.startsWith('Crash')) return false;
  const text = `${typeof message === 'string' ? message : ''} ${typeof error === 'string' ? error : ''}`;
  return RETRIED.some((pattern) => pattern.test(text));
}

/** Maps kafkajs log entries onto the platform logger (exported for its unit test). */
export function logCreator(logger: KafkaLogger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...fields } = log;
      const entry = { client: 'kafkajs', ...fields };
      if (isRetriedCondition(message, fields.error) || level >= logLevel.DEBUG) logger.debug(message, entry);
      else if (level === logLevel.INFO) logger.info(message, entry);
      else if (level === logLevel.WARN) logger.warn(message, entry);
      else logger.error(message, entry);
    };
}

/** kafkajs's own threshold: the logger's LOG_LEVEL when it is info or debug, else WARN (retried errors are still seen, then filed under debug). */
function kafkajsLevel(logger: KafkaLogger): logLevel {
  return logger.level === 'debug' ? logLevel.DEBUG : logger.level === 'info' ? logLevel.INFO : logLevel.WARN;
}

const MURMUR2_M = 0x5bd1e995;

/**
 * The Java client's `Utils.murmur2` over `length` bytes of `data`, in 32-bit integer arithmetic
 * (Math.imul). kafkajs's copy does the same with its BigInt-backed Long, ~10× dearer (ADR 0045).
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  let h = 0x9747b28c ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, MURMUR2_M);
    k ^= k >>> 24;
    k = Math.imul(k, MURMUR2_M);
    h = Math.imul(h, MURMUR2_M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[length4 + 2]! << 16;
  if (rest >= 2) h ^= data[length4 + 1]! << 8;
  if (rest >= 1) {
    h ^= data[length4]!;
    h = Math.imul(h, MURMUR2_M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR2_M);
  h ^= h >>> 15;
  return h | 0;
}

const keyScratch = Buffer.allocUnsafe(512);

/** murmur2 of a key's UTF-8 bytes; ASCII keys are hashed from a scratch buffer, without a Buffer each. */
function murmur2OfKey(key: Buffer | string): number {
  if (typeof key !== 'string') return murmur2(key);
  const n = key.length;
  if (n <= keyScratch.length) {
    let i = 0;
    for (; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) break;
      keyScratch[i] = c;
    }
    if (i === n) return murmur2(keyScratch, n);
  }
  return murmur2(Buffer.from(key, 'utf8'));
}

/**
 * kafkajs's DefaultPartitioner (the Java client's, as of 0.10.2) with murmur2 in 32-bit arithmetic:
 * a given partition as is, a key by `murmur2(key) & 0x7fffffff` modulo the partition count, no key
 * round-robin over the partitions that have a leader. Same partitions as kafkajs's (the spec
 * compares them), so a shopper's records land where the Java client and librdkafka put them.
 */
export const murmur2Partitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const count = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) return (murmur2OfKey(message.key) & 0x7fffffff) % count;
    const next = (counters.get(topic) ?? randomBytes(4).readUInt32BE(0)) + 1;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return available[(next & 0x7fffffff) % available.length]!.partitionId;
    return (next & 0x7fffffff) % count;
  };
};

function consumerOf(kafka: Kafka, options: AdapterConsumerOptions): AdapterConsumer {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    rebalanceTimeout: options.rebalanceTimeoutMs,
    maxWaitTimeInMs: options.maxWaitTimeMs,
    allowAutoTopicCreation: false,
  });
  return {
    connect: () => consumer.connect(),
    disconnect: () => consumer.disconnect(),
    subscribe: (topic, fromBeginning) => consumer.subscribe({ topic, fromBeginning }),
    run: ({ partitionsConsumedConcurrently, eachBatch }) =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently,
        eachBatch: (payload) =>
          eachBatch({
            batch: payload.batch,
            resolveOffset: (offset) => payload.resolveOffset(offset),
            heartbeat: () => payload.heartbeat(),
            isRunning: () => payload.isRunning(),
            isStale: () => payload.isStale(),
          }),
      }),
    seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset }),
    commit: (offsets) => consumer.commitOffsets([...offsets]),
    onAssigned: (listener) => {
      consumer.on(consumer.events.GROUP_JOIN, (event) => listener(event.payload.memberAssignment));
    },
  };
}

function producerOf(kafka: Kafka, idempotent: boolean): AdapterProducer {
  const producer = kafka.producer({
    idempotent,
    maxInFlightRequests: idempotent ? 1 : 5,
    allowAutoTopicCreation: false,
    // murmur2 over the key, as the Java client: a shopper's records land on the same partition
    // whichever client wrote them.
    createPartitioner: murmur2Partitioner,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send: async (requests) => {
      await producer.sendBatch({ acks: -1, topicMessages: requests });
    },
    onConnectionChange: (listener) => {
      producer.on(producer.events.CONNECT, () => listener(true));
      producer.on(producer.events.DISCONNECT, () => listener(false));
    },
    // kafkajs's idempotent producer allows one request in flight: overlapping sends fail with
    // OUT_OF_ORDER_SEQUENCE_NUMBER (ADR 0044).
    maxInFlightSends: 1,
  };
}

function adminOf(kafka: Kafka): AdapterAdmin {
  const admin = kafka.admin();
  return {
    connect: () => admin.connect(),
    disconnect: () => admin.disconnect(),
    listTopics: () => admin.listTopics(),
    createTopics: async (topics) => {
      await admin.createTopics({ waitForLeaders: false, topics });
    },
    deleteTopics: (topics) => admin.deleteTopics({ topics }),
    leaders: async (topics) =>
      (await admin.fetchTopicMetadata({ topics })).topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.partitionId, leader: p.leader })),
      })),
    topicOffsets: async (topic) => (await admin.fetchTopicOffsets(topic)).map(({ partition, low, high }) => ({ partition, low, high })),
    offsetsAt: async (topic, timestampMs) => (await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs)).map(({ partition, offset }) => ({ partition, offset })),
    groupOffsets: async (groupId, topic) => {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (entry?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset }));
    },
    describeCluster: async () => {
      await admin.describeCluster();
    },
  };
}

/** libs/kafka over kafkajs 2.2.4 (ADR 0001, 0042). */
export function kafkajsAdapter(settings: ClientSettings): ClientAdapter {
  const kafka = new Kafka({
    brokers: [...settings.brokers],
    clientId: settings.clientId,
    logLevel: kafkajsLevel(settings.logger),
    logCreator: logCreator(settings.logger),
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
  });
  return {
    name: 'kafkajs',
    producer: ({ idempotent }) => producerOf(kafka, idempotent),
    consumer: (options) => consumerOf(kafka, options),
    admin: () => adminOf(kafka),
  };
}
