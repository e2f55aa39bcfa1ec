import { ApiKeyStore } from '@clickwise/api-keys';
import { ModelRegistry } from '@clickwise/model-registry';
import { createRedis, RedisClient, RedisKeys } from '@clickwise/redis';
import { KafkaConnection } from '@clickwise/kafka';
import { ApiKeyAuthority, log, logger, serviceModule } from '@clickwise/service';
import { Registry } from '@clickwise/telemetry';
import { Module, type DynamicModule } from '@nestjs/common';
import { TrainerConfig } from './config.js';
import type { JobFactory } from './job.js';
import { RedisLease } from './lease.js';
import { OpsController } from './ops.controller.js';
import { TrainerMetrics } from './trainer.metrics.js';
import { defaultInstanceId, TrainerRuntime } from './trainer.runtime.js';

@Module({})
export class AppModule {
  /** The trainer's module; `jobs` builds the training jobs it runs (production: jobs.ts `productionJobs`). */
  static register(config: TrainerConfig, jobs: JobFactory): DynamicModule {
    const keys = new RedisKeys(config.redisKeyPrefix);
    const instanceId = config.instanceId ?? defaultInstanceId();
    return serviceModule(AppModule, {
      name: 'trainer',
      config: { token: TrainerConfig, value: config },
      controllers: [OpsController],
      // Operators' keys: no cache, so a revoked key stops working at once.
      apiKeys: { useFactory: (redis: RedisClient) => new ApiKeyAuthority(new ApiKeyStore(redis, keys), 0), inject: [RedisClient] },
      providers: [
        { provide: RedisClient, useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-trainer', commandTimeoutMs: 5_000 }) },
        { provide: KafkaConnection, useFactory: () => new KafkaConnection('trainer', config, logger, { lingerMs: 1 }) },
        { provide: TrainerMetrics, useFactory: (registry: Registry) => new TrainerMetrics(registry), inject: [Registry] },
        {
          provide: ModelRegistry,
          useFactory: (connection: KafkaConnection) =>
            new ModelRegistry(connection.kafka, {
              groupPrefix: config.groupId,
              by: 'trainer',
              onError: (error, { what }) => log('warn', 'model registry', { what, error: String(error) }),
            }),
          inject: [KafkaConnection],
        },
        { provide: RedisLease, useFactory: (redis: RedisClient) => new RedisLease(redis, keys, instanceId, config.leaseMs), inject: [RedisClient] },
        {
          provide: TrainerRuntime,
          useFactory: (connection: KafkaConnection, redis: RedisClient, lease: RedisLease, metrics: TrainerMetrics, registry: ModelRegistry) =>
            new TrainerRuntime(config, connection, redis, keys, lease, jobs({ config, kafka: connection.kafka, producer: connection.producer, registry }), metrics, registry),
          inject: [KafkaConnection, RedisClient, RedisLease, TrainerMetrics, ModelRegistry],
        },
      ],
      // The producer, the registry (caught up with models.published.v1), then the runtime (erasures
      // caught up, then the trigger checks); on shutdown the run in progress is stopped (its lease
      // released) before the registry and the producer close.
      parts: {
        useFactory: (connection: KafkaConnection, runtime: TrainerRuntime, redis: RedisClient, registry: ModelRegistry) => [
          { name: 'redis', stop: () => redis.quit().then(() => undefined) },
          { name: 'kafka', start: () => connection.connect(), stop: () => connection.close() },
          { name: 'registry', start: () => registry.start().then(() => undefined), stop: () => registry.stop() },
          { name: 'trainer', start: () => runtime.start(), drain: () => runtime.stop() },
        ],
        inject: [KafkaConnection, TrainerRuntime, RedisClient, ModelRegistry],
      },
      consumerLag: { useFactory: (connection: KafkaConnection) => () => connection.kafka.consumerLag(), inject: [KafkaConnection] },
      checks: {
        useFactory: (connection: KafkaConnection, runtime: TrainerRuntime, redis: RedisClient) => ({
          trainer: () => runtime.running,
          redis: async () => (await redis.ping()) === 'PONG',
          kafka: () => connection.producer.healthy,
        }),
        inject: [KafkaConnection, TrainerRuntime, RedisClient],
      },
    });
  }
}
