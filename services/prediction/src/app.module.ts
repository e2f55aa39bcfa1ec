import { ApiKeyStore } from '@clickwise/api-keys';
import { FeatureReader } from '@clickwise/feature-store';
import { FeatureEngine } from '@clickwise/features';
import { createRedis, FeatureKeys, RedisClient, RedisKeys } from '@clickwise/redis';
import { ApiKeyAuthority, Health, logger, serviceModule, type ModelInUse } from '@clickwise/service';
import { Registry } from '@clickwise/telemetry';
import { GrpcEdge } from '@clickwise/grpc';
import { ServingConnection } from '@clickwise/model-registry';
import { Module, type DynamicModule } from '@nestjs/common';
import { PredictionConfig } from './config.js';
import { servingLoaders } from './loaders.js';
import { predictionEdge } from './prediction.grpc.js';
import { PredictionMetrics } from './prediction.metrics.js';
import { PredictionRuntime } from './prediction.runtime.js';
import { Predictor } from './predictor.js';
import { ServingSegments } from './segments.js';
import { ChallengerModels, ServingModels } from './serving-models.js';
import { FeatureCache } from './feature-cache.js';
import { NoticeFollower } from './notices.consumer.js';
import { WatchHub } from './watch-hub.js';

@Module({})
export class AppModule {
  static register(config: PredictionConfig): DynamicModule {
    const engine = new FeatureEngine();
    return serviceModule(AppModule, {
      name: 'prediction',
      config: { token: PredictionConfig, value: config },
      apiKeys: {
        useFactory: (redis: RedisClient, keys: RedisKeys) => new ApiKeyAuthority(new ApiKeyStore(redis, keys), config.apiKeyCacheTtlMs),
        inject: [RedisClient, RedisKeys],
      },
      providers: [
        { provide: FeatureEngine, useValue: engine },
        { provide: RedisKeys, useValue: new RedisKeys(config.redisKeyPrefix) },
        { provide: RedisClient, useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-prediction', commandTimeoutMs: config.redisTimeoutMs }) },
        { provide: ServingConnection, useFactory: () => new ServingConnection('prediction', config, logger) },
        { provide: PredictionMetrics, useFactory: (registry: Registry) => new PredictionMetrics(registry), inject: [Registry] },
        { provide: WatchHub, useValue: new WatchHub() },
        {
          provide: ServingModels,
          useFactory: (connection: ServingConnection, metrics: PredictionMetrics) =>
            new ServingModels(engine, servingLoaders(), (record) => connection.registry.readArtifact(record), () => metrics.swaps.inc()),
          inject: [ServingConnection, PredictionMetrics],
        },
        { provide: ChallengerModels, useFactory: (connection: ServingConnection) => new ChallengerModels(engine, servingLoaders(), (record) => connection.registry.readArtifact(record)), inject: [ServingConnection] },
        { provide: ServingSegments, useFactory: (connection: ServingConnection) => new ServingSegments(engine, (record) => connection.registry.readArtifact(record)), inject: [ServingConnection] },
        { provide: FeatureReader, useFactory: (redis: RedisClient) => new FeatureReader(redis, engine, new FeatureKeys(engine.version, config.redisKeyPrefix)), inject: [RedisClient] },
        {
          provide: FeatureCache,
          useFactory: (reader: FeatureReader, redis: RedisClient, metrics: PredictionMetrics) =>
            new FeatureCache(reader, {
              maxEntries: config.featureCacheEntries,
              maxAgeMs: config.featureCacheMaxAgeMs,
              storeUp: () => redis.status === 'ready',
              onLookup: (outcome, entries) => {
                metrics.featureCache.inc({ outcome });
                metrics.featureCacheEntries.set(entries);
              },
            }),
          inject: [FeatureReader, RedisClient, PredictionMetrics],
        },
        {
          provide: NoticeFollower,
          useFactory: (connection: ServingConnection, cache: FeatureCache) => new NoticeFollower(connection.kafka, connection.producer, cache, config.groupId),
          inject: [ServingConnection, FeatureCache],
        },
        {
          provide: Predictor,
          useFactory: (reader: FeatureReader, cache: FeatureCache, models: ServingModels, segments: ServingSegments, challengers: ChallengerModels) =>
            new Predictor(
              config.featureCacheEntries > 0 ? cache : reader,
              () => models.current,
              { scoreUnknownShoppers: config.scoreUnknownShoppers, readTimeoutMs: config.redisTimeoutMs, clickFeatures: reader },
              () => segments.current,
              () => {
                const model = challengers.current;
                return model && { model, mode: config.challengerMode, share: config.challengerShare };
              },
            ),
          inject: [FeatureReader, FeatureCache, ServingModels, ServingSegments, ChallengerModels],
        },
        {
          provide: PredictionRuntime,
          useFactory: (connection: ServingConnection, models: ServingModels, segments: ServingSegments, challengers: ChallengerModels, predictor: Predictor, hub: WatchHub, metrics: PredictionMetrics) =>
            new PredictionRuntime(config, connection, models, segments, challengers, predictor, hub, metrics),
          inject: [ServingConnection, ServingModels, ServingSegments, ChallengerModels, Predictor, WatchHub, PredictionMetrics],
        },
        {
          provide: GrpcEdge,
          useFactory: (keys: ApiKeyAuthority, health: Health, metrics: PredictionMetrics, predictor: Predictor, hub: WatchHub) => predictionEdge(config, keys, health, metrics, predictor, hub),
          inject: [ApiKeyAuthority, Health, PredictionMetrics, Predictor, WatchHub],
        },
      ],
      // Kafka, then the registry caught up and the champion loaded, then the consumers, then gRPC.
      // On shutdown gRPC drains first, then the consumers stop, then the producer flushes.
      parts: {
        useFactory: (connection: ServingConnection, redis: RedisClient, runtime: PredictionRuntime, grpc: GrpcEdge, notices: NoticeFollower) => [
          { name: 'redis', stop: () => redis.quit().then(() => undefined) },
          { name: 'kafka', start: () => connection.connect(), stop: () => connection.close() },
          { name: 'models', start: () => runtime.startModels() },
          ...(config.featureCacheEntries > 0 ? [{ name: 'feature-cache', start: () => notices.start(), stop: () => notices.stop() }] : []),
          { name: 'consumers', start: () => runtime.startConsumers(), stop: () => runtime.stop() },
          grpc.part(config.shutdownGraceMs),
        ],
        inject: [ServingConnection, RedisClient, PredictionRuntime, GrpcEdge, NoticeFollower],
      },
      consumerLag: { useFactory: (connection: ServingConnection) => () => connection.kafka.consumerLag(), inject: [ServingConnection] },
      modelsInUse: {
        useFactory: (models: ServingModels, challengers: ChallengerModels, segments: ServingSegments) => (): ModelInUse[] => {
          const inUse: ModelInUse[] = [];
          if (models.current) inUse.push({ model: models.current.model, version: models.current.version, role: 'champion' });
          if (challengers.current) inUse.push({ model: challengers.current.model, version: challengers.current.version, role: config.challengerMode === 'shadow' ? 'shadow' : 'challenger' });
          if (segments.current) inUse.push({ model: config.segmentsModel, version: segments.current.modelVersion, role: 'champion' });
          return inUse;
        },
        inject: [ServingModels, ChallengerModels, ServingSegments],
      },
      checks: {
        useFactory: (connection: ServingConnection, redis: RedisClient, runtime: PredictionRuntime) => ({
          kafka: () => connection.producer.healthy,
          redis: async () => (await redis.ping()) === 'PONG',
          registry: () => runtime.registryReady,
          watch: () => runtime.watchAssigned,
          clicks: () => !config.perClick || runtime.clicksRunning,
        }),
        inject: [ServingConnection, RedisClient, PredictionRuntime],
      },
    });
  }
}
