import { ApiKeyStore } from '@clickwise/api-keys';
import { createRedis, RedisClient, RedisKeys } from '@clickwise/redis';
import { CatalogFollower } from '@clickwise/catalog';
import { ApiKeyAuthority, Health, log, logger, serviceModule } from '@clickwise/service';
import { Registry } from '@clickwise/telemetry';
import { Module, type DynamicModule } from '@nestjs/common';
import { ClickThrough } from './click-through.js';
import { RecommenderConfig } from './config.js';
import { LiveRecommender } from './engine.js';
import { liveStore } from './live-store.js';
import { ReadGate } from './read-gate.js';
import { RecommendationIds } from './recommendation-id.js';
import { RecommenderGrpcServer } from './recommender.grpc.js';
import { RecommenderMetrics } from './recommender.metrics.js';
import { KafkaConnection, RecommenderRuntime } from './recommender.runtime.js';
import { RecommendationService } from './recommender.service.js';
import { sequenceFormats } from './sequence-formats.js';
import { ServingSequence } from './serving-sequence.js';

@Module({})
export class AppModule {
  static register(config: RecommenderConfig): DynamicModule {
    const ids = new RecommendationIds();
    return serviceModule(AppModule, {
      name: 'recommender',
      config: { token: RecommenderConfig, value: config },
      apiKeys: {
        useFactory: (redis: RedisClient, keys: RedisKeys) => new ApiKeyAuthority(new ApiKeyStore(redis, keys), config.apiKeyCacheTtlMs),
        inject: [RedisClient, RedisKeys],
      },
      providers: [
        { provide: RedisKeys, useValue: new RedisKeys(config.redisKeyPrefix) },
        { provide: RedisClient, useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-recommender', commandTimeoutMs: config.redisTimeoutMs }) },
        { provide: KafkaConnection, useFactory: () => new KafkaConnection(config) },
        { provide: RecommenderMetrics, useFactory: (registry: Registry) => new RecommenderMetrics(registry), inject: [Registry] },
        {
          provide: ServingSequence,
          useFactory: (connection: KafkaConnection, metrics: RecommenderMetrics, engine: LiveRecommender) =>
            new ServingSequence(sequenceFormats(), (record) => connection.registry.readArtifact(record), (swap) => {
              engine.useSequence(swap.served);
              metrics.swaps.inc();
              log('info', 'sequence model swapped in', { from: swap.from ?? null, to: swap.to, loadMs: Math.round(swap.loadMs) });
            }),
          inject: [KafkaConnection, RecommenderMetrics, LiveRecommender],
        },
        {
          provide: CatalogFollower,
          useFactory: (connection: KafkaConnection) =>
            new CatalogFollower(connection.kafka, {
              groupPrefix: config.groupId,
              stage: 'recommender',
              deadLetters: connection.producer,
              catchUpTimeoutMs: config.catalogCatchUpMs,
              onError: (error) => log('warn', 'catalogue update failed; retrying', { error: error instanceof Error ? error.message : String(error) }),
            }),
          inject: [KafkaConnection],
        },
        {
          provide: LiveRecommender,
          useFactory: (redis: RedisClient, catalog: CatalogFollower) => new LiveRecommender(liveStore(redis, config), catalog.view),
          inject: [RedisClient, CatalogFollower],
        },
        {
          provide: RecommenderRuntime,
          useFactory: (connection: KafkaConnection, engine: LiveRecommender, catalog: CatalogFollower, sequences: ServingSequence, metrics: RecommenderMetrics) =>
            new RecommenderRuntime(config, connection, engine, catalog, sequences, ids, new ClickThrough(ids, metrics, config.ctrMaxVersions), metrics),
          inject: [KafkaConnection, LiveRecommender, CatalogFollower, ServingSequence, RecommenderMetrics],
        },
        {
          provide: RecommendationService,
          useFactory: (engine: LiveRecommender) => new RecommendationService(engine, ids, {
              defaultK: config.defaultK,
              gate: new ReadGate({ concurrency: config.maxIndexReads, maxQueued: config.maxQueuedReads, maxWaitMs: config.maxQueueWaitMs }),
            }),
          inject: [LiveRecommender],
        },
        {
          provide: RecommenderGrpcServer,
          useFactory: (service: RecommendationService, keys: ApiKeyAuthority, health: Health, metrics: RecommenderMetrics) => new RecommenderGrpcServer(service, keys, config, health, metrics),
          inject: [RecommendationService, ApiKeyAuthority, Health, RecommenderMetrics],
        },
      ],
      // Kafka, then the registry caught up and the champion loaded, then every erasure applied and
      // the catalogue read, then the events consumer, then gRPC. On shutdown gRPC drains first,
      // then the consumers stop, then the producer flushes.
      parts: {
        useFactory: (connection: KafkaConnection, redis: RedisClient, runtime: RecommenderRuntime, grpc: RecommenderGrpcServer) => [
          { name: 'redis', stop: () => redis.quit().then(() => undefined) },
          { name: 'kafka', start: () => connection.connect(), stop: () => connection.close() },
          { name: 'models', start: () => runtime.startModels() },
          { name: 'followers', start: () => runtime.startFollowers() },
          { name: 'consumers', start: () => runtime.startConsumers(), stop: () => runtime.stop() },
          { name: 'grpc', start: () => grpc.start().then((port) => logger.info('gRPC listening', { port })), drain: () => grpc.stop(config.shutdownGraceMs) },
        ],
        inject: [KafkaConnection, RedisClient, RecommenderRuntime, RecommenderGrpcServer],
      },
      checks: {
        useFactory: (connection: KafkaConnection, redis: RedisClient, runtime: RecommenderRuntime) => ({
          kafka: () => connection.producer.healthy,
          redis: async () => (await redis.ping()) === 'PONG',
          registry: () => runtime.registryReady,
          erasures: () => runtime.erasuresReady,
          catalog: () => runtime.catalogReady,
          events: () => runtime.eventsRunning,
        }),
        inject: [KafkaConnection, RedisClient, RecommenderRuntime],
      },
    });
  }
}
