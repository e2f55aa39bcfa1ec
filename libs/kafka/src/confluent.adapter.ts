// The confluent adapter: libs/kafka over @confluentinc/kafka-javascript (librdkafka) through its
// KafkaJS-compatible API (ADR 0044). The package is an optional dependency (a native build): it is
// loaded when this adapter is first used, so a machine where it did not build still runs kafkajs.
import { createRequire } from 'node:module';
import type { AdapterAdmin, AdapterConsumer, AdapterConsumerOptions, AdapterProducer, ClientAdapter, ClientSettings, RecordHeaders } from './adapter.js';
import type { ConfluentKafka, ConfluentLogger, ConfluentModule, ConfluentRebalanceError } from './confluent.types.js';
import type { KafkaLogger } from './logger.js';

const PACKAGE = '@confluentinc/kafka-javascript';
/** librdkafka's rebalance codes (RdKafka.CODES.ERRORS): partitions assigned / revoked. */
const ASSIGN_PARTITIONS = -175;

/** Conditions librdkafka retries by itself but logs at warn or info: normal during start-up, rebalances and leader moves. */
const RETRIED = [
  'Coordinator load in progress',
  'coordinator load in progress',
  'Failed to acquire idempotence PID',
  'Not coordinator',
  'NOT_COORDINATOR',
  'Not leader',
  'NOT_LEADER',
  'Leader not available',
  'LEADER_NOT_AVAILABLE',
  'Received rebalance event',
  'rebalance in progress',
];

/**
 * Kafka protocol errors the protocol calls retriable (and kafkajs marks so) that this client marks
 * `retriable: false` — e.g. UNKNOWN_TOPIC_OR_PARTITION (3) for a topic created a moment ago — plus
 * librdkafka's local timeout (-185) and transport failure (-195). libs/kafka retries by `retriable`.
 */
const RETRIABLE_CODES = new Set([3, 5, 6, 7, 13, 14, 15, 16, 19, 20, -185, -195]);

/** The error with `retriable: true` when its code is one the protocol retries (exported for its unit test). */
export function normalised(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && RETRIABLE_CODES.has((error as { code?: number }).code ?? 0)) {
    Object.assign(error, { retriable: true });
  }
  return error;
}

/** Calls `fn`, marking a retriable error as such. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw normalised(error);
  }
}

let loaded: ConfluentModule | undefined;

/** The package, required on first use; a clear error when it is not installed (its build failed or was skipped). */
function confluentModule(): ConfluentModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)(PACKAGE) as ConfluentModule;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `KAFKA_CLIENT=confluent needs ${PACKAGE}, an optional native dependency of libs/kafka that is not installed here ` +
        `(${reason}). Rebuild it with ./clickwise after the apt packages of ADR 0044, or use KAFKA_CLIENT=kafkajs.`,
      { cause: error },
    );
  }
  return loaded;
}

/** The KafkaJS-style logger the client calls, over the platform logger (exported for its unit test). */
export function loggerOf(logger: KafkaLogger): ConfluentLogger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, extra?: object) => {
    const fields = { client: 'confluent', ...(extra as Record<string, unknown> | undefined) };
    const retried = RETRIED.some((needle) => message.includes(needle));
    logger[retried ? 'debug' : level](message, fields);
  };
  const self: ConfluentLogger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    namespace: () => self,
    setLogLevel: () => undefined,
  };
  return self;
}

function consumerOf(kafka: ConfluentKafka, options: AdapterConsumerOptions): AdapterConsumer {
  const listeners: ((assignment: Record<string, readonly number[]>) => void)[] = [];
  // fromBeginning is a consumer setting here (subscribe rejects it), so the client is made on subscribe.
  let consumer: ReturnType<ConfluentKafka['consumer']> | undefined;
  const made = () => {
    if (!consumer) throw new Error('confluent adapter: subscribe before run');
    return consumer;
  };
  return {
    connect: () => Promise.resolve(),
    disconnect: async () => {
      await consumer?.disconnect();
    },
    subscribe: async (topic, fromBeginning) => {
      consumer = kafka.consumer({
        kafkaJS: {
          groupId: options.groupId,
          sessionTimeout: options.sessionTimeoutMs,
          heartbeatInterval: options.heartbeatIntervalMs,
          rebalanceTimeout: options.rebalanceTimeoutMs,
          maxWaitTimeInMs: options.maxWaitTimeMs,
          allowAutoTopicCreation: false,
          fromBeginning,
          autoCommit: false,
        },
        // Batches are built client-side from librdkafka's queue; the default (32) is far below a fetch.
        'js.consumer.max.batch.size': 2000,
        // Static membership (KIP-345): a restarted instance with the same id gets its partitions
        // back at once instead of after a session timeout and a rebalance.
        ...(options.groupInstanceId ? { 'group.instance.id': options.groupInstanceId } : {}),
        rebalance_cb: (event: ConfluentRebalanceError, assignment: { topic: string; partition: number }[]) => {
          if (event.code !== ASSIGN_PARTITIONS) return;
          const byTopic: Record<string, number[]> = {};
          for (const { topic: t, partition } of assignment) (byTopic[t] ??= []).push(partition);
          for (const listener of listeners) listener(byTopic);
        },
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
    },
    run: ({ partitionsConsumedConcurrently, eachBatch }) =>
      made().run({
        partitionsConsumedConcurrently,
        eachBatchAutoResolve: false,
        eachBatch: (payload) =>
          eachBatch({
            batch: {
              topic: payload.batch.topic,
              partition: payload.batch.partition,
              messages: payload.batch.messages.map((m) => ({ ...m, headers: m.headers as RecordHeaders | undefined })),
              lastOffset: () => payload.batch.lastOffset(),
            },
            resolveOffset: (offset) => payload.resolveOffset(offset),
            heartbeat: () => payload.heartbeat(),
            isRunning: () => payload.isRunning(),
            isStale: () => payload.isStale(),
          }),
      }),
    seek: (topic, partition, offset) => made().seek({ topic, partition, offset }),
    commit: (offsets) => call(() => made().commitOffsets([...offsets])),
    onAssigned: (listener) => {
      listeners.push(listener);
    },
  };
}

function producerOf(kafka: ConfluentKafka, idempotent: boolean): AdapterProducer {
  const producer = kafka.producer({
    // acks and the partitioner are producer settings here; murmur2_random (the default) places a
    // key as the Java client and kafkajs's DefaultPartitioner do.
    kafkaJS: { idempotent, acks: -1, allowAutoTopicCreation: false, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 } },
    // KafkaProducer already gathers concurrent sends into one request.
    'linger.ms': 1,
  });
  const listeners: ((connected: boolean) => void)[] = [];
  const tell = (connected: boolean) => {
    for (const listener of listeners) listener(connected);
  };
  return {
    connect: async () => {
      await producer.connect();
      tell(true);
    },
    disconnect: async () => {
      await producer.disconnect();
      tell(false);
    },
    send: async (requests) => {
      await call(() => producer.sendBatch({ topicMessages: requests }));
    },
    onConnectionChange: (listener) => {
      listeners.push(listener);
    },
    // librdkafka queues sends in call order and, idempotent, keeps per-partition order with up to
    // 5 requests in flight per broker (max.in.flight's limit under enable.idempotence).
    maxInFlightSends: CONFLUENT_IN_FLIGHT_SENDS,
  };
}

/** Overlapping `sendBatch` calls the group-commit producer hands librdkafka (ADR 0044). */
const CONFLUENT_IN_FLIGHT_SENDS = 4;

function adminOf(kafka: ConfluentKafka): AdapterAdmin {
  const admin = kafka.admin();
  return {
    connect: () => call(() => admin.connect()),
    disconnect: () => admin.disconnect(),
    listTopics: () => call(() => admin.listTopics()),
    createTopics: (topics) =>
      // No waitForLeaders here: KafkaAdmin.ensureTopics waits for leaders and offsets itself.
      call(async () => {
        await admin.createTopics({ topics });
      }),
    deleteTopics: (topics) => call(() => admin.deleteTopics({ topics })),
    leaders: (topics) =>
      call(async () =>
        (await admin.fetchTopicMetadata({ topics })).map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partition: p.partitionId, leader: p.leader })),
        })),
      ),
    topicOffsets: (topic) => call(async () => (await admin.fetchTopicOffsets(topic)).map(({ partition, low, high }) => ({ partition, low, high }))),
    offsetsAt: (topic, timestampMs) =>
      call(async () => (await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs)).map(({ partition, offset }) => ({ partition, offset }))),
    groupOffsets: (groupId, topic) =>
      call(async () => {
        const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return (entry?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset }));
      }),
    // No describeCluster in this API: listing topics is a metadata round trip to a broker too.
    describeCluster: () =>
      call(async () => {
        await admin.listTopics();
      }),
  };
}

/** libs/kafka over @confluentinc/kafka-javascript 1.10.1 (librdkafka 2.15.1; ADR 0044). */
export function confluentAdapter(settings: ClientSettings): ClientAdapter {
  const { KafkaJS } = confluentModule();
  const kafka = new KafkaJS.Kafka({
    kafkaJS: {
      brokers: [...settings.brokers],
      clientId: settings.clientId,
      logLevel: 2, // WARN: the logger files retried conditions under debug
      logger: loggerOf(settings.logger),
      connectionTimeout: settings.connectionTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
    },
  });
  return {
    name: 'confluent',
    producer: ({ idempotent }) => producerOf(kafka, idempotent),
    consumer: (options) => consumerOf(kafka, options),
    admin: () => adminOf(kafka),
  };
}
