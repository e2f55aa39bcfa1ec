import type { BeforeApplicationShutdown, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Health } from './health.js';
import type { ServiceLogger } from './logger.js';

/**
 * One thing a service holds (a Kafka connection, a consumer runtime, a gRPC server, a Redis
 * client), with what to do at each step of the one lifecycle.
 */
export interface LifecyclePart {
  name: string;
  /** Before the HTTP server listens, in the order the parts are listed. */
  start?(): Promise<void>;
  /** On SIGTERM, after the service turned unready and before HTTP stops, in order (stop taking work). */
  drain?(): Promise<void>;
  /** After HTTP closed, in reverse order (flush, disconnect). A failure is logged and the rest still stop. */
  stop?(): Promise<void>;
}

/**
 * The one lifecycle of a service, driven by Nest's hooks: start the parts in order, then the health
 * checks; on shutdown turn unready, drain the parts in order (Nest then closes HTTP, waiting for
 * requests in flight), then stop them in reverse order.
 */
export class Lifecycle implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly parts: readonly LifecyclePart[],
    private readonly health: Health,
    private readonly logger: ServiceLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const part of this.parts) {
      if (!part.start) continue;
      const started = performance.now();
      await part.start();
      this.logger.debug('started', { part: part.name, ms: Math.round(performance.now() - started) });
    }
    await this.health.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.health.drain();
    for (const part of this.parts) await part.drain?.();
  }

  async onApplicationShutdown(): Promise<void> {
    this.health.stop();
    for (const part of [...this.parts].reverse()) {
      await part.stop?.().catch((error: unknown) => this.logger.error('did not stop cleanly', { part: part.name, error: String(error) }));
    }
  }
}
