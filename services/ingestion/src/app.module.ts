import { ApiKeyStore } from '@clickwise/api-keys';
import { KafkaConnection } from '@clickwise/kafka';
import { createRedis, RedisClient, RedisKeys } from '@clickwise/redis';
import { ApiKeyAuthority, Health, logger, serviceModule } from '@clickwise/service';
import { Registry } from '@clickwise/telemetry';
import { Module, type DynamicModule } from '@nestjs/common';
import { IngestionConfig } from './config.js';
import { CatalogController } from './catalog.controller.js';
import { CatalogIngestion } from './catalog.service.js';
import { DedupeGuard, kafkaEventsSource } from './dedupe-rebuild.js';
import { RedisDedupeStore } from './dedupe.store.js';
import { EventsController } from './events.controller.js';
import { IngestGrpcServer } from './ingest.grpc.js';
import { IngestionMetrics } from './ingestion.metrics.js';
import { CatalogLog, DedupeStore, EventLog, KeyAuthority } from './ingestion.ports.js';
import { IngestionService } from './ingestion.service.js';
import { ingestionKafka, KafkaCatalogLog, KafkaEventLog } from './kafka.connection.js';

@Module({})
export class AppModule {
  static register(config: IngestionConfig): DynamicModule {
    return serviceModule(AppModule, {
      name: 'ingestion',
      config: { token: IngestionConfig, value: config },
      controllers: [EventsController, CatalogController],
      apiKeys: {
        useFactory: (redis: RedisClient, keys: RedisKeys) => new ApiKeyAuthority(new ApiKeyStore(redis, keys), config.apiKeyCacheTtlMs),
        inject: [RedisClient, RedisKeys],
      },
      providers: [
        { provide: RedisKeys, useValue: new RedisKeys(config.redisKeyPrefix) },
        { provide: RedisClient, useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-ingestion' }) },
        { provide: KafkaConnection, useFactory: () => ingestionKafka(config, logger) },
        {
          provide: IngestionMetrics,
          useFactory: (registry: Registry, kafka: KafkaConnection) => {
            const metrics = new IngestionMetrics(registry);
            metrics.watchKafkaBuffer(() => kafka.producer.bufferedBytes);
            return metrics;
          },
          inject: [Registry, KafkaConnection],
        },
        { provide: KeyAuthority, useExisting: ApiKeyAuthority },
        {
          // Dedupe ids kept whole across a Redis that lost them: rebuilt from the events topic (ADR 0024).
          provide: DedupeGuard,
          useFactory: (redis: RedisClient, keys: RedisKeys, kafka: KafkaConnection) =>
            new DedupeGuard(new RedisDedupeStore(redis, keys, config.dedupeTtlMs, config.dedupeClaimTtlMs), kafkaEventsSource(kafka.kafka), redis, {
              drainTimeoutMs: config.dedupeClaimTtlMs,
            }),
          inject: [RedisClient, RedisKeys, KafkaConnection],
        },
        { provide: DedupeStore, useExisting: DedupeGuard },
        { provide: EventLog, useFactory: (kafka: KafkaConnection) => new KafkaEventLog(kafka, config), inject: [KafkaConnection] },
        {
          provide: IngestionService,
          useFactory: (keys: KeyAuthority, dedupe: DedupeStore, events: EventLog, metrics: IngestionMetrics) => new IngestionService(config, keys, dedupe, events, metrics),
          inject: [KeyAuthority, DedupeStore, EventLog, IngestionMetrics],
        },
        { provide: CatalogLog, useFactory: (kafka: KafkaConnection) => new KafkaCatalogLog(kafka), inject: [KafkaConnection] },
        {
          provide: CatalogIngestion,
          useFactory: (keys: KeyAuthority, catalog: CatalogLog, events: EventLog, metrics: IngestionMetrics) => new CatalogIngestion(config, keys, catalog, events, metrics),
          inject: [KeyAuthority, CatalogLog, EventLog, IngestionMetrics],
        },
        {
          provide: IngestGrpcServer,
          useFactory: (ingestion: IngestionService, health: Health, metrics: IngestionMetrics, catalog: CatalogIngestion) =>
            new IngestGrpcServer(ingestion, config, health, metrics, catalog),
          inject: [IngestionService, Health, IngestionMetrics, CatalogIngestion],
        },
      ],
      // Kafka and Redis before the servers accept anything; on shutdown the gRPC server drains
      // (before HTTP closes, waiting for requests in flight), then the producer flushes.
      parts: {
        useFactory: (kafka: KafkaConnection, redis: RedisClient, grpc: IngestGrpcServer, dedupe: DedupeGuard) => [
          { name: 'redis', stop: () => redis.quit().then(() => undefined) },
          { name: 'kafka', start: () => kafka.connect(), stop: () => kafka.close() },
          // Not awaited: a rebuild keeps the service unready (the `dedupe` check), not stuck in start-up.
          { name: 'dedupe', start: () => Promise.resolve(void dedupe.start()), stop: () => Promise.resolve(dedupe.stop()) },
          { name: 'grpc', start: () => grpc.start().then((port) => logger.info('gRPC listening', { port })), drain: () => grpc.stop(config.shutdownGraceMs) },
        ],
        inject: [KafkaConnection, RedisClient, IngestGrpcServer, DedupeGuard],
      },
      checks: {
        useFactory: (kafka: KafkaConnection, redis: RedisClient, dedupe: DedupeGuard) => ({
          kafka: () => kafka.probe(),
          redis: async () => (await redis.ping()) === 'PONG',
          dedupe: () => dedupe.intact,
        }),
        inject: [KafkaConnection, RedisClient, DedupeGuard],
      },
    });
  }
}
