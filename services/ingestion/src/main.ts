import 'reflect-metadata';
import { ConfigError } from '@clickwise/config';
import { onShutdown, runMain, startTracing } from '@clickwise/telemetry';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { IngestionConfig } from './config.js';
import { installCors } from './cors.js';
import { log, logger } from './log.js';
import { installRawBodyParser } from './raw-body.js';

async function main(): Promise<void> {
  const config: IngestionConfig = IngestionConfig.load();
  logger.setLevel(config.logLevel);
  // Tracing first, so every span made later uses the real provider and context manager.
  const tracing = startTracing({ serviceName: 'ingestion', otlpEndpoint: config.otlpEndpoint });

  const adapter = new FastifyAdapter({
    // Body size is enforced by the raw parser (so oversized bodies of authenticated callers reach the DLQ).
    bodyLimit: 4 * config.limits.maxBatchBytes,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), adapter, {
    bodyParser: false,
    logger: config.logLevel === 'debug' ? ['error', 'warn', 'log', 'debug'] : ['error', 'warn'],
  });
  const fastify = app.getHttpAdapter().getInstance();
  installRawBodyParser(fastify, config.limits.maxBatchBytes, config.dlqMaxPayloadBytes, 4 * config.limits.maxBatchBytes);
  installCors(fastify, config.cors);
  // While draining, answers close their keep-alive connection, so the server can finish closing as
  // soon as the requests in flight are answered (instead of waiting for clients to hang up).
  let draining = false;
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });
  await app.listen(config.httpPort, config.host);
  const address = app.getHttpServer().address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  log('info', 'ingestion ready', { http: httpPort, grpc: config.grpcPort, topicPrefix: config.topicPrefix, redisKeyPrefix: config.redisKeyPrefix });

  onShutdown(logger, {
    graceMs: config.shutdownGraceMs + 15_000,
    message: 'shutting down: draining in-flight requests, then flushing Kafka',
    beforeClose: () => {
      draining = true;
      setInterval(() => app.getHttpServer().closeIdleConnections(), 100).unref();
    },
    close: () => app.close().then(() => tracing.shutdown()),
  });
}

runMain(logger, main, (error): error is ConfigError => error instanceof ConfigError);
