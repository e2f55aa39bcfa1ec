// The public API of libs/kafka. No Kafka client type appears here (ADR 0042): adapters stay internal.
export { KafkaConnection, type ServiceKafkaSettings, type ServiceLog } from './connection.js';
export { KafkaPlatform, type ConsumerLag, type KafkaPlatformSettings, type PlatformTopics } from './platform.js';
export { kafkaClientNames, type KafkaClientName } from './adapters.js';
export type { RecordHeaders } from './adapter.js';
export type { KafkaLogger, KafkaLogLevel } from './logger.js';
export { Topic, type OutgoingRecord } from './topic.js';
export type { KafkaAdmin, EnsureTopicsResult, PartitionLag, PartitionRange, TopicSummary } from './admin.js';
export { KafkaProducer, type ProducerOptions } from './producer.js';
export { deadLetterFor, type ConsumedRecord, type ConsumerLoop, type ConsumerOptions, type DeadLetterSource } from './consumer.js';
export type {
  BatchResult,
  ExternalOffsetsConsumer,
  ExternalOffsetsHandler,
  ExternalOffsetsOptions,
  PartitionBatch,
} from './external-offsets.js';
export type { CatchUp, Follower, FollowerOptions } from './follower.js';
export { backoffMs, handleIsolating, type IsolationSteps, type RetryPolicy } from './retry.js';
export { extractTrace, headerOf, injectTrace, traceparentOf } from './trace.js';
