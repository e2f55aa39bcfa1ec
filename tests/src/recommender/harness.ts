import { create } from '@bufbuild/protobuf';
import { ApiKeyStore, type Scope } from '@clickwise/api-keys';
import { CatalogItemSchema, EventSchema, EventSource, RecommenderService, type Event, type EventType } from '@clickwise/contracts';
import { createClient, type ServiceClient } from '@clickwise/grpc';
import { ModelRegistry, type ModelVersion } from '@clickwise/model-registry';
import { ErasureLog } from '@clickwise/privacy';
import { RedisKeys } from '@clickwise/redis';
import { waitFor } from '@clickwise/testing';
import { FeaturesScope } from '../features/harness.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

export type RecommenderClient = ServiceClient<(typeof RecommenderService)['method']>;

export { metric } from '../support/metrics.js';

let sequence = 0;

/** A storefront event as ingestion writes it (validated shape), for producing straight to Kafka. */
export function storeEvent(fields: { shopper: string; session: string; type: EventType; item?: string; category?: string; timeMs: number; recommendationId?: string; itemIds?: string[] }): Event {
  return create(EventSchema, {
    eventId: `e-${process.pid}-${++sequence}-${fields.shopper}`,
    type: fields.type,
    userId: fields.shopper,
    sessionId: fields.session,
    itemId: fields.item ?? '',
    categoryId: fields.category ?? '',
    recommendationId: fields.recommendationId ?? '',
    itemIds: fields.itemIds ?? [],
    eventTimeMs: BigInt(fields.timeMs),
    ingestedAtMs: BigInt(Date.now()),
    source: EventSource.SIMULATOR,
  });
}

/** A test's recommender deployment on its own topics, keys and groups (with ingestion when the test needs the pipeline). */
export class RecommenderScope extends FeaturesScope {
  readonly registry: ModelRegistry;
  readonly recommenderGroup: string;
  private clients: RecommenderClient[] = [];

  constructor(name: string, kafkaBrokers: string[], redisUrl: string) {
    super(name, kafkaBrokers, redisUrl);
    this.registry = new ModelRegistry(this.kafka, { groupPrefix: `${this.groupId}-test-registry`, by: 'test' });
    this.recommenderGroup = `${this.groupId}-recommender`;
  }

  startRecommender(extra: Record<string, string> = {}): Promise<ServiceProcess> {
    return startServiceProcess('recommender', {
      KAFKA_BROKERS: this.kafkaBrokers.join(','),
      REDIS_URL: this.redisUrl,
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      RECOMMENDER_GROUP_ID: this.recommenderGroup,
      ...extra,
    });
  }

  startIngestion(extra: Record<string, string> = {}): Promise<ServiceProcess> {
    return startServiceProcess('ingestion', {
      KAFKA_BROKERS: this.kafkaBrokers.join(','),
      REDIS_URL: this.redisUrl,
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      INGESTION_WORKERS: '1',
      ...extra,
    });
  }

  async createKey(scopes: Scope[]): Promise<string> {
    const created = await new ApiKeyStore(this.redis, new RedisKeys(this.redisKeyPrefix)).create({ name: `test-${scopes.join('-')}`, scopes });
    return created.key;
  }

  client(service: ServiceProcess): RecommenderClient {
    const c = createClient(RecommenderService, `127.0.0.1:${service.ports.grpc}`);
    this.clients.push(c);
    return c;
  }

  /** Waits until the recommender's group has indexed every event produced so far. */
  async waitIndexed(service?: ServiceProcess, timeoutMs = 60_000): Promise<void> {
    await waitFor(async () => (await this.kafka.admin.groupLag(this.recommenderGroup, this.kafka.topics.events)).total === 0n, {
      timeoutMs,
      intervalMs: 50,
      message: `the recommender to index every event${service ? `\n--- service output ---\n${service.output().slice(-4000)}` : ''}`,
    });
  }

  /** Writes catalogue records to catalog.items.v1 (as ingestion's catalogue endpoint does). */
  async putCatalog(items: { itemId: string; available: boolean; categoryId?: string }[]): Promise<void> {
    const producer = this.kafka.producer({ lingerMs: 0 });
    await producer.connect();
    try {
      await producer.produce(this.kafka.topics.catalogItems, items.map((i) => create(CatalogItemSchema, { itemId: i.itemId, available: i.available, categoryId: i.categoryId ?? '' })));
    } finally {
      await producer.disconnect();
    }
  }

  /** Writes an erasure record (as `clickwise erase` does). */
  async erase(shopperKey: string): Promise<void> {
    const producer = this.kafka.producer({ lingerMs: 0 });
    await producer.connect();
    try {
      await new ErasureLog(this.kafka, producer).publish({ shopperKey, requestedAtMs: Date.now(), requestedBy: 'test' });
    } finally {
      await producer.disconnect();
    }
  }

  /** Publishes a version of `next-item` (champion unless told otherwise). */
  publishSequence(artifact: Uint8Array, format: string, options: { champion?: boolean; version?: string } = {}): Promise<ModelVersion> {
    return this.registry.publish(
      {
        model: 'next-item',
        ...(options.version ? { version: options.version } : {}),
        artifact,
        format,
        metrics: { 'hr@20': 0.5 },
        featureDefinitionsVersion: '',
        backend: 'cpu',
        holdoutFromMs: 0,
        holdoutToMs: 1,
      },
      { champion: options.champion ?? true, reason: 'test' },
    );
  }

  override async dispose(): Promise<void> {
    for (const c of this.clients) c.close();
    await this.registry.stop().catch(() => undefined);
    await super.dispose();
  }
}
