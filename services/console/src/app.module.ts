import { ApiKeyStore } from '@clickwise/api-keys';
import { createRedis, RedisClient, RedisKeys } from '@clickwise/redis';
import { ApiKeyAuthority, logger, serviceModule } from '@clickwise/service';
import { Module, type DynamicModule } from '@nestjs/common';
import { ConsoleConfig } from './config.js';
import { ConsoleAuth } from './console-auth.js';
import { ConsoleBoard } from './console.board.js';
import { ConsoleController } from './console.controller.js';
import { ConsoleKafka } from './console.kafka.js';
import { noRecommendations, ServedRecommendations } from './recommendations.js';
import { Scraper } from './scraper.js';

@Module({})
export class AppModule {
  static register(config: ConsoleConfig): DynamicModule {
    return serviceModule(AppModule, {
      name: 'console',
      config: { token: ConsoleConfig, value: config },
      controllers: [ConsoleController],
      apiKeys: {
        useFactory: (redis: RedisClient) => new ApiKeyAuthority(new ApiKeyStore(redis, new RedisKeys(config.redisKeyPrefix)), config.apiKeyCacheTtlMs),
        inject: [RedisClient],
      },
      providers: [
        { provide: RedisClient, useFactory: () => createRedis(config.redisUrl, { connectionName: 'clickwise-console', commandTimeoutMs: 5_000 }) },
        { provide: ConsoleKafka, useFactory: () => new ConsoleKafka(config) },
        { provide: Scraper, useFactory: () => new Scraper(config.scrapeTargets, config.scrapeTimeoutMs) },
        { provide: ConsoleAuth, useFactory: (keys: ApiKeyAuthority) => new ConsoleAuth(keys), inject: [ApiKeyAuthority] },
        {
          provide: ConsoleBoard,
          useFactory: (kafka: ConsoleKafka, scraper: Scraper) =>
            new ConsoleBoard(config, kafka, scraper, config.recommendations ? new ServedRecommendations(config.feedSize, (handle) => kafka.startRecommendations(handle)) : noRecommendations),
          inject: [ConsoleKafka, Scraper],
        },
      ],
      // Kafka, the registry caught up, then the board (dead letters caught up, the feed, the first
      // poll and scrape). On shutdown the streams end first (so HTTP can close), then Kafka.
      parts: {
        useFactory: (kafka: ConsoleKafka, redis: RedisClient, board: ConsoleBoard) => [
          { name: 'redis', stop: () => redis.quit().then(() => undefined) },
          { name: 'kafka', start: () => kafka.connect(), stop: () => kafka.close() },
          { name: 'registry', start: () => kafka.startRegistry() },
          {
            name: 'board',
            start: () => board.start().then(() => logger.info('status page', { targets: config.scrapeTargets.map((t) => `${t.name}=${t.url}`), groups: config.lagGroups.map((g) => `${g.group}@${g.topic}`) })),
            drain: () => Promise.resolve(board.drain()),
            stop: () => board.stop(),
          },
        ],
        inject: [ConsoleKafka, RedisClient, ConsoleBoard],
      },
      consumerLag: { useFactory: (kafka: ConsoleKafka) => () => kafka.kafka.consumerLag(), inject: [ConsoleKafka] },
      checks: {
        useFactory: (kafka: ConsoleKafka, redis: RedisClient, board: ConsoleBoard) => ({
          kafka: () => kafka.producer.healthy,
          redis: async () => (await redis.ping()) === 'PONG',
          registry: () => kafka.registryReady,
          deadLetters: () => kafka.deadLettersReady,
          polled: () => board.polled,
        }),
        inject: [ConsoleKafka, RedisClient, ConsoleBoard],
      },
    });
  }
}
