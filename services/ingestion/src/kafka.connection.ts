import { KafkaConnection, type OutgoingRecord, type ServiceLog } from '@clickwise/kafka';
import { type IngestionConfig } from './config.js';
import { CatalogLog, EventLog } from './ingestion.ports.js';

/** The service's Kafka (libs/kafka): the producer batches as INGEST's settings say. */
export function ingestionKafka(config: IngestionConfig, logger: ServiceLog): KafkaConnection {
  return new KafkaConnection('ingestion', config, logger, { lingerMs: config.kafkaLingerMs, maxBufferedBytes: config.kafkaMaxBufferedBytes, maxBatchRecords: config.kafkaMaxBatchRecords, maxBatchBytes: config.kafkaMaxBatchBytes });
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
