import 'reflect-metadata';
import { ConfigError } from '@clickwise/config';
import { startTracing } from '@clickwise/telemetry';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { FeaturesConfig } from './config.js';
import { log, setLogLevel } from './log.js';

async function main(): Promise<void> {
  let config: FeaturesConfig;
  try {
    config = FeaturesConfig.load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  setLogLevel(config.logLevel);
  const tracing = startTracing({ serviceName: 'features', otlpEndpoint: config.otlpEndpoint });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), new FastifyAdapter({ return503OnClosing: true }), {
    logger: config.logLevel === 'debug' ? ['error', 'warn', 'log', 'debug'] : ['error', 'warn'],
  });
  await app.listen(config.httpPort, config.host);
  const address = app.getHttpServer().address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  log('info', 'features ready', { http: httpPort, topicPrefix: config.topicPrefix, redisKeyPrefix: config.redisKeyPrefix, group: config.groupId });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down: stopping the consumers, then flushing Kafka', { signal });
    const force = setTimeout(() => {
      log('error', 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    app
      .close()
      .then(() => tracing.shutdown())
      .then(
        () => {
          log('info', 'stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log('error', 'shutdown failed', { error: String(error) });
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  log('error', 'features failed to start', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
