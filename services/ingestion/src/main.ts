import { runClustered } from '@clickwise/service';
import { IngestionConfig } from './config.js';
import { installCors } from './cors.js';
import { AppModule } from './app.module.js';
import { installRawBodyParser } from './raw-body.js';

runClustered(
  {
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
  },
  {
    workers: (config) => config.workers,
    // What bounds a process's memory: each worker gets its share, so the sum stays the configured bound.
    sharedBounds: (config) => ({ INGEST_MAX_INFLIGHT_BYTES: config.maxInflightBytes, KAFKA_MAX_BUFFERED_BYTES: config.kafkaMaxBufferedBytes }),
  },
);
