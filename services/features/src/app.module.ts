import { ApiKeyStore } from '@clickwise/api-keys';
import { RedisFeatureExecutor } from '@clickwise/feature-store';
import { FeatureEngine } from '@clickwise/features';
import { createRedis, FeatureKeys, RedisClient, RedisKeys } from '@clickwise/redis';
import { Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { FeaturesConfig } from './config.js';
import { FeaturesMetrics } from './features.metrics.js';
import { FeaturesRuntime, KafkaConnection } from './features.runtime.js';
import { FeatureState, FeaturesService } from './features.service.js';
import { HealthService } from './health.service.js';
import { log } from './log.js';
import { OpsController } from './ops.controller.js';

/**
 * Starts and stops what the service holds, in order: the producer, then the consumers (erasures
 * caught up first); on shutdown the consumers stop (their current range is written or left for the
 * next owner), then the producer flushes.
 */
export class Lifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly connection: KafkaConnection,
    private readonly runtime: FeaturesRuntime,
    private readonly health: HealthService,
    private readonly redis: RedisClient,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.connection.connect();
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.health.draining = true;
    await this.runtime.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close().catch((error: unknown) => log('error', 'Kafka producer did not flush cleanly', { error: String(error) }));
    await this.redis.quit().catch(() => undefined);
  }
}

@Module({})
export class AppModule {
  static register(config: FeaturesConfig): DynamicModule {
    const engine = new FeatureEngine();
    return {
      module: AppModule,
      controllers: [OpsController],
      providers: [
        { provide: FeaturesConfig, useValue: config },
        { provide: FeatureEngine, useValue: engine },
        { provide: RedisClient, useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-features', commandTimeoutMs: 10_000 }) },
        { provide: ApiKeyStore, useFactory: (redis: RedisClient) => new ApiKeyStore(redis, new RedisKeys(config.redisKeyPrefix)), inject: [RedisClient] },
        { provide: KafkaConnection, useFactory: () => new KafkaConnection(config) },
        { provide: FeaturesMetrics, useFactory: () => new FeaturesMetrics() },
        {
          provide: FeatureState,
          useFactory: (redis: RedisClient, connection: KafkaConnection) =>
            new RedisFeatureExecutor(redis, engine, {
              keys: new FeatureKeys(engine.version, config.redisKeyPrefix),
              topic: connection.kafka.topics.events.name,
              cacheEntries: config.cacheEntries,
            }),
          inject: [RedisClient, KafkaConnection],
        },
        {
          provide: FeaturesService,
          useFactory: (state: FeatureState, connection: KafkaConnection, metrics: FeaturesMetrics) =>
            new FeaturesService(state, connection, metrics, {
              sourceTopic: connection.kafka.topics.events.name,
              dlqMaxPayloadBytes: config.dlqMaxPayloadBytes,
              noticeValues: config.noticeValues,
            }),
          inject: [FeatureState, KafkaConnection, FeaturesMetrics],
        },
        {
          provide: FeaturesRuntime,
          useFactory: (connection: KafkaConnection, service: FeaturesService) => new FeaturesRuntime(config, connection, service),
          inject: [KafkaConnection, FeaturesService],
        },
        {
          provide: HealthService,
          useFactory: (runtime: FeaturesRuntime, redis: RedisClient, connection: KafkaConnection) => new HealthService(runtime, redis, connection),
          inject: [FeaturesRuntime, RedisClient, KafkaConnection],
        },
        {
          provide: Lifecycle,
          useFactory: (connection: KafkaConnection, runtime: FeaturesRuntime, health: HealthService, redis: RedisClient) =>
            new Lifecycle(connection, runtime, health, redis),
          inject: [KafkaConnection, FeaturesRuntime, HealthService, RedisClient],
        },
      ],
    };
  }
}
