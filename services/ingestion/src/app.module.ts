import { ApiKeyStore } from '@clickwise/api-keys';
import { topics } from '@clickwise/contracts';
import { createRedis, RedisClient, RedisKeys } from '@clickwise/redis';
import { Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { IngestionConfig } from './config.js';
import { DedupeGuard, kafkaEventsSource } from './dedupe-rebuild.js';
import { RedisDedupeStore } from './dedupe.store.js';
import { EventsController } from './events.controller.js';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';
import { IngestGrpcServer } from './ingest.grpc.js';
import { IngestionMetrics } from './ingestion.metrics.js';
import { DedupeStore, EventLog, KeyAuthority } from './ingestion.ports.js';
import { IngestionService } from './ingestion.service.js';
import { KafkaConnection, KafkaEventLog } from './kafka.connection.js';
import { ApiKeyAuthority } from './key-authority.js';
import { log } from './log.js';

/**
 * Starts and stops what the service holds, in order: Kafka and Redis before the servers accept
 * anything; on shutdown the service turns unready, the gRPC server drains (before Nest closes
 * HTTP, which waits for in-flight requests), and only then the producer flushes and disconnects.
 */
export class Lifecycle implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly config: IngestionConfig,
    private readonly kafka: KafkaConnection,
    private readonly redis: RedisClient,
    private readonly health: HealthService,
    private readonly grpcServer: IngestGrpcServer,
    private readonly dedupe: DedupeGuard,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.kafka.connect();
    void this.dedupe.start();
    await this.health.start();
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = await this.grpcServer.start();
    log('info', 'gRPC listening', { port });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.health.drain();
    await this.grpcServer.stop(this.config.shutdownGraceMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.health.stop();
    this.dedupe.stop();
    await this.kafka.close().catch((error: unknown) => log('error', 'Kafka producer did not flush cleanly', { error: String(error) }));
    await this.redis.quit().catch(() => undefined);
  }
}

@Module({})
export class AppModule {
  static register(config: IngestionConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [EventsController, HealthController],
      providers: [
        { provide: IngestionConfig, useValue: config },
        { provide: RedisKeys, useValue: new RedisKeys(config.redisKeyPrefix) },
        { provide: RedisClient, useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-ingestion' }) },
        { provide: KafkaConnection, useFactory: () => new KafkaConnection(config) },
        {
          provide: IngestionMetrics,
          useFactory: (kafka: KafkaConnection) => {
            const metrics = new IngestionMetrics();
            metrics.watchKafkaBuffer(() => kafka.producer.bufferedBytes);
            return metrics;
          },
          inject: [KafkaConnection],
        },
        {
          provide: KeyAuthority,
          useFactory: (redis: RedisClient, keys: RedisKeys) => new ApiKeyAuthority(new ApiKeyStore(redis, keys), config.apiKeyCacheTtlMs),
          inject: [RedisClient, RedisKeys],
        },
        {
          provide: DedupeGuard,
          useFactory: (redis: RedisClient, keys: RedisKeys, kafka: KafkaConnection) =>
            new DedupeGuard(
              new RedisDedupeStore(redis, keys, config.dedupeTtlMs, config.dedupeClaimTtlMs),
              kafkaEventsSource(kafka.kafka, config.topicPrefix + topics.events.name),
              redis,
              { drainTimeoutMs: config.dedupeClaimTtlMs },
            ),
          inject: [RedisClient, RedisKeys, KafkaConnection],
        },
        { provide: DedupeStore, useExisting: DedupeGuard },
        { provide: EventLog, useFactory: (kafka: KafkaConnection) => new KafkaEventLog(kafka, config), inject: [KafkaConnection] },
        {
          provide: IngestionService,
          useFactory: (keys: KeyAuthority, dedupe: DedupeStore, events: EventLog, metrics: IngestionMetrics) =>
            new IngestionService(config, keys, dedupe, events, metrics),
          inject: [KeyAuthority, DedupeStore, EventLog, IngestionMetrics],
        },
        {
          provide: HealthService,
          useFactory: (kafka: KafkaConnection, redis: RedisClient, dedupe: DedupeGuard) => new HealthService(kafka, redis, dedupe),
          inject: [KafkaConnection, RedisClient, DedupeGuard],
        },
        {
          provide: IngestGrpcServer,
          useFactory: (ingestion: IngestionService, health: HealthService, metrics: IngestionMetrics) => new IngestGrpcServer(ingestion, config, health, metrics),
          inject: [IngestionService, HealthService, IngestionMetrics],
        },
        {
          provide: Lifecycle,
          useFactory: (kafka: KafkaConnection, redis: RedisClient, health: HealthService, grpcServer: IngestGrpcServer, dedupe: DedupeGuard) =>
            new Lifecycle(config, kafka, redis, health, grpcServer, dedupe),
          inject: [KafkaConnection, RedisClient, HealthService, IngestGrpcServer, DedupeGuard],
        },
      ],
    };
  }
}
