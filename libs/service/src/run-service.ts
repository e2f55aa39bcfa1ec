import 'reflect-metadata';
import { ConfigError } from '@clickwise/config';
import { startTracing } from '@clickwise/telemetry';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyServerOptions } from 'fastify';
import { logger, routeProcessWarnings, type LogLevel } from './logger.js';
import { NestLoggerBridge } from './nest-logger.js';

/** The configuration fields the kit itself reads (libs/config `serviceConfig` plus the HTTP port). */
export interface KitConfig {
  host: string;
  httpPort: number;
  logLevel: LogLevel;
  otlpEndpoint: string | undefined;
  shutdownGraceMs: number;
}

export interface ServiceDefinition<C extends KitConfig> {
  name: string;
  /** Parses the environment (throws ConfigError listing every bad key). */
  loadConfig(env: NodeJS.ProcessEnv): C;
  /** The service's root module (see `serviceModule`). */
  module(config: C): DynamicModule;
  /** false: Nest's JSON body parser is off (the service installs its own in configureHttp). */
  bodyParser?: boolean;
  /** Fastify options beyond the kit's (keep-alive, 503 while closing). */
  fastify?(config: C): FastifyServerOptions;
  /** Runs on the Fastify instance before it listens (body parsers, CORS, hooks). */
  configureHttp?(app: NestFastifyApplication, config: C): void;
  /** Fields of the "ready" line, e.g. the gRPC port. */
  readyFields?(config: C): Record<string, unknown>;
  /** How long after SIGTERM the process is killed if it has not stopped (ms); SHUTDOWN_GRACE_MS by default. */
  forceExitAfterMs?(config: C): number;
}

/**
 * Runs a service process: parse the config (a bad one is logged, every bad key listed, and the
 * process exits 2), name the logger and set LOG_LEVEL, route Node warnings and Nest's logger to it,
 * start tracing, build the Nest app on Fastify, listen, and log "ready". On SIGTERM/SIGINT: answers
 * close their keep-alive connections, Nest runs the Lifecycle (unready, drain, close HTTP, stop the
 * parts), tracing flushes, exit 0; exit 1 when that fails or outlasts the grace time.
 */
export function runService<C extends KitConfig>(definition: ServiceDefinition<C>, env: NodeJS.ProcessEnv = process.env): void {
  logger.reset(definition.name);
  routeProcessWarnings(logger);
  start(definition, env).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      logger.error(`invalid configuration: ${error.problems.length} bad ${error.problems.length === 1 ? 'key' : 'keys'}`, { problems: error.problems });
      process.exit(2);
    }
    logger.error(`${definition.name} failed to start`, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
}

async function start<C extends KitConfig>(definition: ServiceDefinition<C>, env: NodeJS.ProcessEnv): Promise<void> {
  const config = definition.loadConfig(env);
  logger.setLevel(config.logLevel);
  // Tracing first, so every span made later uses the real provider and context manager.
  const tracing = startTracing({ serviceName: definition.name, otlpEndpoint: config.otlpEndpoint });
  const adapter = new FastifyAdapter({ keepAliveTimeout: 65_000, return503OnClosing: true, ...definition.fastify?.(config) });
  const app = await NestFactory.create<NestFastifyApplication>(definition.module(config), adapter, {
    bodyParser: definition.bodyParser ?? true,
    logger: new NestLoggerBridge(logger),
  });
  definition.configureHttp?.(app, config);
  // While draining, answers close their keep-alive connection, so the server finishes closing as
  // soon as the requests in flight are answered (instead of waiting for clients to hang up).
  let draining = false;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (_request, reply, payload, done) => {
      if (draining) void reply.header('connection', 'close');
      done(null, payload);
    });
  await app.listen(config.httpPort, config.host);
  const address = app.getHttpServer().address();
  const http = typeof address === 'object' && address ? address.port : config.httpPort;
  logger.info(`${definition.name} ready`, { http, ...definition.readyFields?.(config) });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    draining = true;
    setInterval(() => app.getHttpServer().closeIdleConnections(), 100).unref();
    logger.info('shutting down', { signal });
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, definition.forceExitAfterMs?.(config) ?? config.shutdownGraceMs).unref();
    app
      .close()
      .then(() => tracing.shutdown())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error('shutdown failed', { error: String(error) });
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
