import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { shopperKey } from './event-vocabulary.js';
import { CatalogItemSchema } from './gen/clickwise/v1/catalog_pb.js';
import { DeadLetterSchema } from './gen/clickwise/v1/dead_letter_pb.js';
import { EventSchema } from './gen/clickwise/v1/event_pb.js';
import { FeatureUpdateSchema } from './gen/clickwise/v1/features_pb.js';
import { ModelArtifactRecordSchema, ModelPublishedSchema } from './gen/clickwise/v1/model_pb.js';
import { PredictionUpdateSchema } from './gen/clickwise/v1/prediction_pb.js';
import { RecommendationSchema } from './gen/clickwise/v1/recommendation_pb.js';
import { ErasureRecordSchema } from './gen/clickwise/v1/privacy_pb.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * The longest feature window (30 d) plus the allowed lateness and a margin: topics that state is
 * rebuilt from keep at least this much, so a rebuild from Kafka always has every event it needs.
 */
export const REBUILD_RETENTION_MS = 35 * DAY_MS;

/** One Kafka topic: its name is a contract, declared here and nowhere else. */
export interface TopicSpec<S extends DescMessage = DescMessage> {
  readonly name: string;
  /** What the record key is. */
  readonly key: string;
  /** The record key of a value (the one key function of the topic; absent: the writer gives it). */
  keyOf?(value: MessageShape<S>): string;
  /** Protobuf schema of the record value. */
  readonly value: S;
  readonly partitions: number;
  /** Topic configs applied at creation (retention, compaction, timestamp type). */
  readonly config: Readonly<Record<string, string>>;
  readonly description: string;
}

function topic<S extends DescMessage>(spec: TopicSpec<S>): TopicSpec<S> {
  return spec;
}

/**
 * The topic catalogue. Records carry their ingestion time as the Kafka timestamp
 * (LogAppendTime); the event time travels in the payload.
 */
export const topics = {
  events: topic({
    name: 'clickstream.events.v1',
    key: 'shopper key (user id, else anonymous id)',
    keyOf: (event) => shopperKey(event),
    value: EventSchema,
    partitions: 6,
    config: {
      'cleanup.policy': 'delete',
      'retention.ms': String(REBUILD_RETENTION_MS),
      'message.timestamp.type': 'LogAppendTime',
      'min.insync.replicas': '1',
    },
    description: 'Validated, deduplicated storefront events.',
  }),
  deadLetters: topic({
    name: 'clickstream.dlq.v1',
    key: 'original key',
    value: DeadLetterSchema,
    partitions: 3,
    config: {
      'cleanup.policy': 'delete',
      'retention.ms': String(REBUILD_RETENTION_MS),
      'message.timestamp.type': 'LogAppendTime',
    },
    description: 'Rejected input with the reason and the (bounded) raw payload.',
  }),
  featuresUpdated: topic({
    name: 'features.updated.v1',
    key: 'shopper key',
    keyOf: (update) => update.shopperKey,
    value: FeatureUpdateSchema,
    partitions: 6,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
    description: 'Per-event notice that a shopper\'s features changed.',
  }),
  predictionsUpdated: topic({
    name: 'predictions.updated.v1',
    key: 'shopper key',
    keyOf: (prediction) => prediction.shopperKey,
    value: PredictionUpdateSchema,
    partitions: 6,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
    description: 'A fresh purchase prediction after every scored click.',
  }),
  modelsPublished: topic({
    name: 'models.published.v1',
    key: '<model>/<version> and <model>/champion',
    value: ModelPublishedSchema,
    partitions: 1,
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' },
    description: 'Model versions with their hold-out metrics; the champion pointer per model.',
  }),
  modelArtifacts: topic({
    name: 'models.artifacts.v1',
    key: '<sha256>/<chunk index> and <sha256>/manifest',
    value: ModelArtifactRecordSchema,
    // One partition: an artifact's chunks are one offset range, read back by offsets (ADR 0056).
    partitions: 1,
    // Compacted, so nothing expires by age; chunks of 512 KiB stay under the broker's 1 MB record limit.
    config: { 'cleanup.policy': 'compact' },
    description: 'Model artifact bytes in chunks of at most 512 KiB, then a manifest; kept for good.',
  }),
  erasures: topic({
    name: 'privacy.erasures.v1',
    key: 'shopper key',
    keyOf: (erasure) => erasure.shopperKey,
    value: ErasureRecordSchema,
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
    description: 'Shoppers to forget; every stateful service honours them.',
  }),
  catalogItems: topic({
    name: 'catalog.items.v1',
    key: 'item id',
    keyOf: (item) => item.itemId,
    value: CatalogItemSchema,
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
    description: 'Item availability, price and category.',
  }),
  recommendationsServed: topic({
    name: 'recommendations.served.v1',
    key: 'shopper key',
    keyOf: (recommendation) => recommendation.shopperKey,
    value: RecommendationSchema,
    partitions: 3,
    // A day: the status page's feed and a look back at what was served, not a history (ADR 0124).
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(DAY_MS) },
    description: 'Each recommendation list the recommender served (id, shopper, session, items with reasons, model version).',
  }),
} as const;

export type TopicName = (typeof topics)[keyof typeof topics]['name'];

/** Every topic of the catalogue, in declaration order. */
export const allTopics: readonly TopicSpec[] = Object.values(topics);
