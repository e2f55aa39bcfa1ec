import type { KafkaLogger } from './logger.js';
import { KafkaPlatform } from './platform.js';
import type { KafkaProducer, ProducerOptions } from './producer.js';

/** The Kafka fields of every service's configuration (libs/config `serviceConfig`). */
export interface ServiceKafkaSettings {
  kafkaBrokers: readonly string[];
  topicPrefix: string;
  /** KAFKA_CLIENT: the client adapter. */
  kafkaClient?: string;
}

/** The service's structured logger: the client's own log goes to its `kafkajs` child. */
export interface ServiceLog extends KafkaLogger {
  child(component: string): KafkaLogger;
}

/**
 * A service's Kafka: the platform (client id `clickwise-<service>`, topics under the prefix) and its
 * one producer; `connect` and `close` are the lifecycle part's start and stop (close flushes what
 * the producer still holds, then closes the platform).
 */
export class KafkaConnection {
  readonly kafka: KafkaPlatform;
  readonly producer: KafkaProducer;

  constructor(service: string, config: ServiceKafkaSettings, logger: ServiceLog, producer: ProducerOptions = {}) {
    this.kafka = KafkaPlatform.create({
      brokers: config.kafkaBrokers,
      clientId: `clickwise-${service}`,
      topicPrefix: config.topicPrefix,
      requestTimeoutMs: 10_000,
      logger: logger.child('kafkajs'),
      ...(config.kafkaClient ? { client: config.kafkaClient } : {}),
    });
    this.producer = this.kafka.producer(producer);
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** Whether a broker answers a metadata request within `timeoutMs`. */
  probe(timeoutMs = 2000): Promise<boolean> {
    return this.kafka.admin.probe(timeoutMs);
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.kafka.close();
  }
}
