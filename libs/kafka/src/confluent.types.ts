/**
 * The part of @confluentinc/kafka-javascript's KafkaJS-compatible API the confluent adapter uses,
 * declared here so the build does not need the package: it is an optional dependency (a native
 * build, ADR 0044) and may be absent where its build failed. Shapes follow its types/kafkajs.d.ts
 * (1.10.1).
 */

export interface ConfluentLogger {
  info(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
  namespace(namespace: string, logLevel?: number): ConfluentLogger;
  setLogLevel(logLevel: number): void;
}

export interface ConfluentTopicPartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

export interface ConfluentBatchPayload {
  batch: {
    topic: string;
    partition: number;
    messages: { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string; headers?: Record<string, unknown> }[];
    lastOffset(): string;
  };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

export interface ConfluentConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[] }): Promise<void>;
  run(config: { partitionsConsumedConcurrently: number; eachBatchAutoResolve: boolean; eachBatch: (payload: ConfluentBatchPayload) => Promise<void> }): Promise<void>;
  seek(offset: ConfluentTopicPartitionOffset): void;
  commitOffsets(offsets: ConfluentTopicPartitionOffset[]): Promise<void>;
}

export interface ConfluentProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendBatch(batch: { topicMessages: { topic: string; messages: { key: string | null; value: Buffer; headers: Record<string, string> }[] }[] }): Promise<unknown>;
}

export interface ConfluentAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: { topics: { topic: string; numPartitions: number; replicationFactor: number; configEntries: { name: string; value: string }[] }[] }): Promise<boolean>;
  deleteTopics(options: { topics: string[] }): Promise<void>;
  /** An array here (kafkajs wraps it in `{ topics }`); leader -1 when none. */
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ name: string; partitions: { partitionId: number; leader: number }[] }[]>;
  fetchTopicOffsets(topic: string): Promise<{ partition: number; low: string; high: string }[]>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<{ partition: number; offset: string }[]>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/** librdkafka's rebalance event: code -175 assigns (the whole assignment, eager protocol), -174 revokes. */
export interface ConfluentRebalanceError {
  code: number;
}

export type ConfluentConfig = Record<string, unknown>;

export interface ConfluentKafka {
  producer(config: ConfluentConfig): ConfluentProducer;
  consumer(config: ConfluentConfig): ConfluentConsumer;
  admin(config?: ConfluentConfig): ConfluentAdmin;
}

export interface ConfluentModule {
  KafkaJS: { Kafka: new (config: ConfluentConfig) => ConfluentKafka };
  librdkafkaVersion: string;
}
