import { KafkaPlatform, type KafkaProducer, type OutgoingRecord } from '@clickwise/kafka';
import { logger } from '@clickwise/service';
import { type IngestionConfig } from './config.js';
import { CatalogLog, EventLog } from './ingestion.ports.js';

/** The service's Kafka platform (topics under the prefix), its one producer and a readiness probe. */
export class KafkaConnection {
  readonly kafka: KafkaPlatform;
  readonly producer: KafkaProducer;

  constructor(config: IngestionConfig) {
    this.kafka = KafkaPlatform.create({ brokers: config.kafkaBrokers, clientId: 'clickwise-ingestion', topicPrefix: config.topicPrefix, requestTimeoutMs: 10_000, logger: logger.child('kafkajs'), client: config.kafkaClient });
    this.producer = this.kafka.producer({
      lingerMs: config.kafkaLingerMs,
      maxBufferedBytes: config.kafkaMaxBufferedBytes,
      maxBatchRecords: config.kafkaMaxBatchRecords,
      maxBatchBytes: config.kafkaMaxBatchBytes,
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** Whether a broker answers a metadata request within `timeoutMs`. */
  probe(timeoutMs = 2000): Promise<boolean> {
    return this.kafka.admin.probe(timeoutMs);
  }

  /** Flushes what waits for Kafka, then disconnects. */
  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.kafka.close();
  }
}

/** Accepted events and dead letters, through the shared producer, under the topic prefix. */
export class KafkaEventLog extends EventLog {
  constructor(
    private readonly connection: KafkaConnection,
    _config?: IngestionConfig,
  ) {
    super();
  }

  writeEvents(records: OutgoingRecord[]): Promise<void> {
    return this.connection.producer.send(this.connection.kafka.topics.events, records);
  }

  writeDeadLetters(records: OutgoingRecord[]): Promise<void> {
    return this.connection.producer.send(this.connection.kafka.topics.deadLetters, records);
  }
}

/** Accepted catalogue items, keyed by item id, on the compacted catalog.items.v1 (ADR 0098). */
export class KafkaCatalogLog extends CatalogLog {
  readonly topic: string;

  constructor(private readonly connection: KafkaConnection) {
    super();
    this.topic = connection.kafka.topics.catalogItems.name;
  }

  writeItems(records: OutgoingRecord[]): Promise<void> {
    return this.connection.producer.send(this.connection.kafka.topics.catalogItems, records);
  }
}
