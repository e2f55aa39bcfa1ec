import 'reflect-metadata';
import { ConfigError } from '@clickwise/config';
import { onShutdown, runMain, startTracing } from '@clickwise/telemetry';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { FeaturesConfig } from './config.js';
import { log, logger } from './log.js';

async function main(): Promise<void> {
  const config: FeaturesConfig = FeaturesConfig.load();
  logger.setLevel(config.logLevel);
  const tracing = startTracing({ serviceName: 'features', otlpEndpoint: config.otlpEndpoint });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), new FastifyAdapter({ return503OnClosing: true }), {
    logger: config.logLevel === 'debug' ? ['error', 'warn', 'log', 'debug'] : ['error', 'warn'],
  });
  await app.listen(config.httpPort, config.host);
  const address = app.getHttpServer().address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  log('info', 'features ready', { http: httpPort, topicPrefix: config.topicPrefix, redisKeyPrefix: config.redisKeyPrefix, group: config.groupId });

  onShutdown(logger, {
    graceMs: config.shutdownGraceMs,
    message: 'shutting down: stopping the consumers, then flushing Kafka',
    close: () => app.close().then(() => tracing.shutdown()),
  });
}

runMain(logger, main, (error): error is ConfigError => error instanceof ConfigError);
