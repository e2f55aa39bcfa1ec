import { trace } from '@opentelemetry/api';
import { ApiKeyStore } from '@clickwise/api-keys';
import { RedisFeatureExecutor } from '@clickwise/feature-store';
import { FeatureEngine } from '@clickwise/features';
import { createRedis, FeatureKeys, RedisClient, RedisKeys } from '@clickwise/redis';
import { ApiKeyAuthority, serviceModule } from '@clickwise/service';
import { Registry } from '@clickwise/telemetry';
import { Module, type DynamicModule } from '@nestjs/common';
import { FeaturesConfig } from './config.js';
import { FeaturesMetrics } from './features.metrics.js';
import { FeaturesRuntime, KafkaConnection } from './features.runtime.js';
import { FeatureState, FeaturesService } from './features.service.js';
import { OpsController } from './ops.controller.js';
import { ModelRegistry } from '@clickwise/model-registry';
import { log } from '@clickwise/service';
import { RegistrySentimentChampions } from './sentiment-registry.js';
import { SentimentFollower, SwitchableFeatureState, type SentimentChampions } from './sentiment.js';

@Module({})
export class AppModule {
  static register(config: FeaturesConfig): DynamicModule {
    const engine = new FeatureEngine();
    return serviceModule(AppModule, {
      name: 'features',
      config: { token: FeaturesConfig, value: config },
      controllers: [OpsController],
      // Operators' keys: no cache, so a revoked key stops working at once.
      apiKeys: { useFactory: (redis: RedisClient) => new ApiKeyAuthority(new ApiKeyStore(redis, new RedisKeys(config.redisKeyPrefix)), 0), inject: [RedisClient] },
      providers: [
        { provide: RedisClient, useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-features', commandTimeoutMs: 10_000 }) },
        { provide: KafkaConnection, useFactory: () => new KafkaConnection(config) },
        { provide: FeaturesMetrics, useFactory: (registry: Registry) => new FeaturesMetrics(registry), inject: [Registry] },
        {
          // The executor under the engine in use: a new sentiment model switches it (ADR 0058).
          provide: SwitchableFeatureState,
          useFactory: (redis: RedisClient, connection: KafkaConnection) =>
            new SwitchableFeatureState(
              (engine) =>
                new RedisFeatureExecutor(redis, engine, {
                  keys: new FeatureKeys(engine.version, config.redisKeyPrefix),
                  topic: connection.kafka.topics.events.name,
                  cacheEntries: config.cacheEntries,
                }),
              engine,
            ),
          inject: [RedisClient, KafkaConnection],
        },
        { provide: FeatureState, useExisting: SwitchableFeatureState },
        {
          provide: FeaturesService,
          useFactory: (state: FeatureState, connection: KafkaConnection, metrics: FeaturesMetrics) =>
            new FeaturesService(state, connection, metrics, {
              sourceTopic: connection.kafka.topics.events.name,
              dlqMaxPayloadBytes: config.dlqMaxPayloadBytes,
              noticeValues: config.noticeValues,
              ...(config.otlpEndpoint ? { tracer: trace.getTracer('features') } : {}),
            }),
          inject: [FeatureState, KafkaConnection, FeaturesMetrics],
        },
        {
          provide: FeaturesRuntime,
          useFactory: (connection: KafkaConnection, service: FeaturesService) => new FeaturesRuntime(config, connection, service),
          inject: [KafkaConnection, FeaturesService],
        },
        {
          // The sentiment model champion from the registry (ADR 0058): loaded before any event is
          // applied, then followed (a new one switches the engine around a consumer restart).
          provide: SentimentFollower,
          useFactory: (connection: KafkaConnection, state: SwitchableFeatureState, runtime: FeaturesRuntime) => {
            const champions: SentimentChampions =
              config.sentimentModel === ''
                ? { start: () => Promise.resolve(undefined), watch: () => () => undefined, stop: () => Promise.resolve() }
                : new RegistrySentimentChampions(
                    new ModelRegistry(connection.kafka, {
                      groupPrefix: config.groupId,
                      stage: 'features',
                      cacheDir: config.modelCacheDir,
                      onError: (error, { what }) => log('warn', 'model registry', { what, error: String(error) }),
                    }),
                    config.sentimentModel,
                  );
            return new SentimentFollower(champions, state, runtime, (message, context) => log('info', message, context));
          },
          inject: [KafkaConnection, SwitchableFeatureState, FeaturesRuntime],
        },
      ],
      // The producer, then the consumers (erasures caught up first); on shutdown the consumers stop
      // (their current range is written or left for the next owner), then the producer flushes.
      parts: {
        useFactory: (connection: KafkaConnection, runtime: FeaturesRuntime, redis: RedisClient, sentiment: SentimentFollower) => [
          { name: 'redis', stop: () => redis.quit().then(() => undefined) },
          { name: 'kafka', start: () => connection.connect(), stop: () => connection.close() },
          { name: 'models', start: () => sentiment.start(), drain: () => sentiment.stopWatching(), stop: () => sentiment.stop() },
          { name: 'consumers', start: () => runtime.start(), drain: () => runtime.stop() },
        ],
        inject: [KafkaConnection, FeaturesRuntime, RedisClient, SentimentFollower],
      },
      consumerLag: { useFactory: (connection: KafkaConnection) => () => connection.kafka.consumerLag(), inject: [KafkaConnection] },
      checks: {
        useFactory: (connection: KafkaConnection, runtime: FeaturesRuntime, redis: RedisClient) => ({
          consumers: () => runtime.running,
          redis: async () => (await redis.ping()) === 'PONG',
          kafka: () => connection.producer.healthy,
        }),
        inject: [KafkaConnection, FeaturesRuntime, RedisClient],
      },
    });
  }
}
