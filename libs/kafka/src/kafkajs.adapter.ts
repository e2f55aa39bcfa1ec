// The only file that imports kafkajs (eslint.config.js enforces it): the kafkajs adapter.
import { Kafka, logLevel, Partitioners, type Consumer, type LogEntry } from 'kafkajs';
import type { AdapterAdmin, AdapterConsumer, AdapterConsumerOptions, AdapterProducer, ClientAdapter, ClientSettings } from './adapter.js';
import type { KafkaLogger } from './logger.js';

/**
 * Conditions kafkajs logs at error level although it retries them (normal during start-up, topic
 * creation and leader moves), or that the caller receives as an error anyway (topic creation).
 */
const RETRIED = [
  'not the leader',
  'does not host this topic-partition',
  'Topic creation errors',
  'coordinator is loading',
  'coordinator is not available',
  'no leader for this topic-partition',
  'leadership election',
  'group is rebalancing',
  'Limiting retries for the idempotent producer',
];

/** Maps kafkajs log entries onto the platform logger (exported for its unit test). */
export function logCreator(logger: KafkaLogger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...fields } = log;
      const text = `${message} ${typeof fields.error === 'string' ? fields.error : ''}`;
      const retried = RETRIED.some((needle) => text.includes(needle));
      const entry = { client: 'kafkajs', ...fields };
      if (retried || level >= logLevel.DEBUG) logger.debug(message, entry);
      else if (level === logLevel.INFO) logger.info(message, entry);
      else if (level === logLevel.WARN) logger.warn(message, entry);
      else logger.error(message, entry);
    };
}

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
    commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
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
    createPartitioner: Partitioners.DefaultPartitioner,
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
    // Everything from WARN up reaches the logger, which files retried conditions under debug.
    logLevel: logLevel.WARN,
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
