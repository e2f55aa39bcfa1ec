export { createKafka, isRetriedCondition, type KafkaLogger, type KafkaSettings } from './client.js';
export { describeTopics, ensureTopics, readTopic, type EnsureTopicsResult } from './admin.js';
export { KafkaProducer, type OutgoingRecord, type ProducerOptions } from './producer.js';
export { ConsumerLoop, deadLetterFor, decodeRecord, type ConsumedRecord, type ConsumerOptions } from './consumer.js';
export {
  ExternalOffsetsConsumer,
  type BatchResult,
  type ExternalOffsetsHandler,
  type ExternalOffsetsOptions,
  type PartitionBatch,
} from './external-offsets.js';
export { extractTrace, injectTrace, traceparentOf } from './trace.js';
