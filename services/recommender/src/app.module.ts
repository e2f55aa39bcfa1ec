import { ApiKeyStore } from '@clickwise/api-keys';
import { createRedis, RedisClient, RedisKeys } from '@clickwise/redis';
import { CatalogFollower } from '@clickwise/catalog';
import { ApiKeyAuthority, Health, log, logger, serviceModule } from '@clickwise/service';
import { Registry } from '@clickwise/telemetry';
import { GrpcEdge } from '@clickwise/grpc';
import { ServingConnection } from '@clickwise/model-registry';
import { Module, type DynamicModule } from '@nestjs/common';
import { ClickThrough } from './click-through.js';
import { RecommenderConfig } from './config.js';
import { LiveRecommender } from './engine.js';
import { liveStore } from './live-store.js';
import { ReadGate } from './read-gate.js';
import { RecommendationIds } from './recommendation-id.js';
import { recommenderEdge } from './recommender.grpc.js';
import { RecommenderMetrics } from './recommender.metrics.js';
import { RecommenderRuntime } from './recommender.runtime.js';
import { RecommendationService } from './recommender.service.js';
import { sequenceFormats } from './sequence-formats.js';
import { ServingSequence } from './serving-sequence.js';
import { ServedFeed } from './served-feed.js';

/** The publisher of served lists (ADR 0124), on the service's one producer. */
function servedFeed(connection: ServingConnection, metrics: RecommenderMetrics): ServedFeed {
  return new ServedFeed(connection.kafka, connection.producer, metrics.registry, (error) =>
    log('warn', 'a served recommendation was not published', { error: error instanceof Error ? error.message : String(error) }),
  );
}

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
        {
          provide: RedisClient,
          // Without auto-pipelining: a call sends one read script, and building an ioredis pipeline
          // for it each tick cost more than the writes it saved (4 interleaved pairs of `bench
          // recommend`: 508 vs 529 µs a Recommend call, SimilarItems p99 8.6 vs 9.5 ms).
          useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-recommender', commandTimeoutMs: config.redisTimeoutMs, autoPipelining: false }),
        },
        { provide: ServingConnection, useFactory: () => new ServingConnection('recommender', config, logger) },
        { provide: RecommenderMetrics, useFactory: (registry: Registry) => new RecommenderMetrics(registry), inject: [Registry] },
        {
          provide: ServingSequence,
          useFactory: (connection: ServingConnection, metrics: RecommenderMetrics, engine: LiveRecommender) =>
            new ServingSequence(sequenceFormats(), (record) => connection.registry.readArtifact(record), (swap) => {
              engine.useSequence(swap.served);
              metrics.swaps.inc();
              log('info', 'sequence model swapped in', { from: swap.from ?? null, to: swap.to, loadMs: Math.round(swap.loadMs) });
            }),
          inject: [ServingConnection, RecommenderMetrics, LiveRecommender],
        },
        {
          provide: CatalogFollower,
          useFactory: (connection: ServingConnection) =>
            new CatalogFollower(connection.kafka, {
              groupPrefix: config.groupId,
              stage: 'recommender',
              deadLetters: connection.producer,
              catchUpTimeoutMs: config.catalogCatchUpMs,
              onError: (error) => log('warn', 'catalogue update failed; retrying', { error: error instanceof Error ? error.message : String(error) }),
            }),
          inject: [ServingConnection],
        },
        {
          provide: LiveRecommender,
          useFactory: (redis: RedisClient, catalog: CatalogFollower) => new LiveRecommender(liveStore(redis, config), catalog.view),
          inject: [RedisClient, CatalogFollower],
        },
        {
          provide: RecommenderRuntime,
          useFactory: (connection: ServingConnection, engine: LiveRecommender, catalog: CatalogFollower, sequences: ServingSequence, metrics: RecommenderMetrics) =>
            new RecommenderRuntime(config, connection, engine, catalog, sequences, ids, new ClickThrough(ids, metrics, config.ctrMaxVersions), metrics),
          inject: [ServingConnection, LiveRecommender, CatalogFollower, ServingSequence, RecommenderMetrics],
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
          provide: GrpcEdge,
          useFactory: (keys: ApiKeyAuthority, health: Health, metrics: RecommenderMetrics, service: RecommendationService, connection: ServingConnection) =>
            recommenderEdge(config, keys, health, metrics, service, config.publishServed ? servedFeed(connection, metrics) : undefined),
          inject: [ApiKeyAuthority, Health, RecommenderMetrics, RecommendationService, ServingConnection],
        },
      ],
      // Kafka, then the registry caught up and the champion loaded, then every erasure applied and
      // the catalogue read, then the events consumer, then gRPC. On shutdown gRPC drains first,
      // then the consumers stop, then the producer flushes.
      parts: {
        useFactory: (connection: ServingConnection, redis: RedisClient, runtime: RecommenderRuntime, grpc: GrpcEdge) => [
          { name: 'redis', stop: () => redis.quit().then(() => undefined) },
          { name: 'kafka', start: () => connection.connect(), stop: () => connection.close() },
          { name: 'models', start: () => runtime.startModels() },
          { name: 'followers', start: () => runtime.startFollowers() },
          { name: 'consumers', start: () => runtime.startConsumers(), stop: () => runtime.stop() },
          grpc.part(config.shutdownGraceMs),
        ],
        inject: [ServingConnection, RedisClient, RecommenderRuntime, GrpcEdge],
      },
      consumerLag: { useFactory: (connection: ServingConnection) => () => connection.kafka.consumerLag(), inject: [ServingConnection] },
      modelsInUse: {
        useFactory: (sequences: ServingSequence) => () => (sequences.current ? [{ model: sequences.current.model, version: sequences.current.version, role: 'champion' as const }] : []),
        inject: [ServingSequence],
      },
      checks: {
        useFactory: (connection: ServingConnection, redis: RedisClient, runtime: RecommenderRuntime) => ({
          kafka: () => connection.producer.healthy,
          redis: async () => (await redis.ping()) === 'PONG',
          registry: () => runtime.registryReady,
          erasures: () => runtime.erasuresReady,
          catalog: () => runtime.catalogReady,
          events: () => runtime.eventsRunning,
        }),
        inject: [ServingConnection, RedisClient, RecommenderRuntime],
      },
    });
  }
}
