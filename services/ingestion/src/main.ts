import { runService } from '@clickwise/service';
import { AppModule } from './app.module.js';
import { IngestionConfig } from './config.js';
import { installCors } from './cors.js';
import { installRawBodyParser } from './raw-body.js';

runService({
  name: 'ingestion',
  loadConfig: (env) => IngestionConfig.load(env),
  module: (config) => AppModule.register(config),
  // Body size is enforced by the raw parser (so oversized bodies of authenticated callers reach the DLQ).
  bodyParser: false,
  fastify: (config) => ({ bodyLimit: 4 * config.limits.maxBatchBytes }),
  configureHttp: (app, config) => {
    const fastify = app.getHttpAdapter().getInstance();
    installRawBodyParser(fastify, config.limits.maxBatchBytes, config.dlqMaxPayloadBytes, 4 * config.limits.maxBatchBytes);
    installCors(fastify, config.cors);
  },
  readyFields: (config) => ({ grpc: config.grpcPort, topicPrefix: config.topicPrefix, redisKeyPrefix: config.redisKeyPrefix }),
  // The gRPC server drains for SHUTDOWN_GRACE_MS, then the producer flushes.
  forceExitAfterMs: (config) => config.shutdownGraceMs + 15_000,
});
