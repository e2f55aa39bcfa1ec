import { topics } from '@clickwise/contracts';
import { createKafka, KafkaProducer, type OutgoingRecord } from '@clickwise/kafka';
import { logger } from '@clickwise/service';
import { type IngestionConfig } from './config.js';
import { EventLog } from './ingestion.ports.js';

type Kafka = ReturnType<typeof createKafka>;
type Admin = ReturnType<Kafka['admin']>;

/** The service's Kafka client, its one producer and a small admin used as a readiness probe. */
export class KafkaConnection {
  readonly kafka: Kafka;
  readonly producer: KafkaProducer;
  private admin: Admin | undefined;

  constructor(config: IngestionConfig) {
    this.kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'clickwise-ingestion', requestTimeoutMs: 10_000, logger: logger.child('kafkajs') });
    this.producer = new KafkaProducer(this.kafka, {
      lingerMs: config.kafkaLingerMs,
      maxBufferedBytes: config.kafkaMaxBufferedBytes,
      maxBatchRecords: config.kafkaMaxBatchRecords,
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** Whether a broker answers a metadata request within `timeoutMs`. */
  async probe(timeoutMs = 2000): Promise<boolean> {
    try {
      if (!this.admin) {
        this.admin = this.kafka.admin();
        await withTimeout(this.admin.connect(), timeoutMs);
      }
      await withTimeout(this.admin.describeCluster(), timeoutMs);
      return true;
    } catch {
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
      return false;
    }
  }

  /** Flushes what waits for Kafka, then disconnects. */
  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.admin?.disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Accepted events and dead letters, through the shared producer, under the topic prefix. */
export class KafkaEventLog extends EventLog {
  private readonly eventsTopic: string;
  private readonly deadLettersTopic: string;

  constructor(
    private readonly connection: KafkaConnection,
    config: IngestionConfig,
  ) {
    super();
    this.eventsTopic = config.topicPrefix + topics.events.name;
    this.deadLettersTopic = config.topicPrefix + topics.deadLetters.name;
  }

  writeEvents(records: OutgoingRecord[]): Promise<void> {
    return this.connection.producer.send(this.eventsTopic, records);
  }

  writeDeadLetters(records: OutgoingRecord[]): Promise<void> {
    return this.connection.producer.send(this.deadLettersTopic, records);
  }
}
