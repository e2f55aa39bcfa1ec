export * from './gen/clickwise/v1/catalog_pb.js';
export * from './gen/clickwise/v1/dead_letter_pb.js';
export * from './gen/clickwise/v1/event_pb.js';
export * from './gen/clickwise/v1/features_pb.js';
export * from './gen/clickwise/v1/ingest_pb.js';
export * from './gen/clickwise/v1/model_pb.js';
export * from './gen/clickwise/v1/prediction_pb.js';
export * from './gen/clickwise/v1/privacy_pb.js';
export * from './gen/clickwise/v1/recommendation_pb.js';
export * from './gen/clickwise/v1/recommender_pb.js';
export { allTopics, REBUILD_RETENTION_MS, topics, type TopicName, type TopicSpec } from './topics.js';
export {
  EVENT_SOURCE_NAMES,
  EVENT_TYPE_COUNT,
  EVENT_TYPE_NAMES,
  EVENT_TYPES,
  eventSourceFromName,
  eventTypeFromName,
  eventTypeName,
  isEventTypeName,
  shopperKey,
  type EventSourceName,
  type EventTypeName,
} from './event-vocabulary.js';
export type { HttpEvent, HttpEventContext, HttpEventField, HttpIngestResponse, HttpRejection, ServerSetEventField } from './http-event.js';
