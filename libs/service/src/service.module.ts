import { createMetricsRegistry, Registry, shareClusterMetrics } from '@clickwise/telemetry';
import type { DynamicModule, InjectionToken, Provider, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiKeyAuthority, ApiKeyGuard } from './api-key.guard.js';
import { Health, type HealthCheck, type HealthOptions } from './health.js';
import { HealthController } from './health.controller.js';
import { DomainErrorFilter } from './http-errors.js';
import { registerConsumerLag, type LagRow } from './lag-metrics.js';
import { Lifecycle, type LifecyclePart } from './lifecycle.js';
import { registerModelsInUse, type ModelInUse } from './models-in-use.js';
import { logger, ServiceLogger } from './logger.js';

/** A value Nest builds from other providers (the `useFactory` / `inject` pair of a provider). */
export interface Built<T> {
  inject?: InjectionToken[];
  // Nest hands the injected providers in `inject` order; their types are the caller's to state.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory: (...deps: any[]) => T;
}

export interface ServiceModuleOptions {
  /** The service's name (metrics label). */
  name: string;
  /** The parsed configuration and the class that is its injection token. */
  config: { token: abstract new (...args: never[]) => object; value: object };
  controllers?: Type[];
  providers?: Provider[];
  /** What the service holds, in start order (see Lifecycle). */
  parts: Built<LifecyclePart[]>;
  /** The named readiness checks. */
  checks: Built<Record<string, HealthCheck>>;
  health?: HealthOptions;
  /** The API key authority; with it, routes marked `@RequireScopes(...)` are guarded. */
  apiKeys?: Built<ApiKeyAuthority>;
  /** Where the lag of the service's consumer groups is read (`KafkaPlatform.consumerLag`); with it, /metrics has `clickwise_kafka_consumer_lag`. */
  consumerLag?: Built<() => Promise<readonly LagRow[]>>;
  /** The model versions served now; with it, /metrics has `clickwise_model_in_use{model,version,role}`. */
  modelsInUse?: Built<() => readonly ModelInUse[]>;
}

/**
 * A service's root module: its own controllers and providers plus what every service has — the
 * injected config and ServiceLogger, a Prometheus `Registry` (process metrics included, served on
 * /metrics), Health from the named checks (/health/live, /health/ready), the Lifecycle of its
 * parts, the domain-error filter, with `apiKeys` the API key guard, with `consumerLag` the lag
 * of its consumer groups and with `modelsInUse` the served model versions on /metrics.
 */
export function serviceModule(module: Type, options: ServiceModuleOptions): DynamicModule {
  const { parts, checks } = options;
  const providers: Provider[] = [
    { provide: options.config.token, useValue: options.config.value },
    { provide: ServiceLogger, useValue: logger },
    {
      provide: Registry,
      useFactory: () => {
        const registry = createMetricsRegistry(options.name);
        // As a node:cluster worker (runClustered), /metrics is the sum over the workers.
        shareClusterMetrics(registry);
        return registry;
      },
    },
    { provide: Health, useFactory: (...deps: unknown[]) => new Health(checks.useFactory(...deps), logger, options.health), inject: checks.inject ?? [] },
    {
      provide: Lifecycle,
      useFactory: (health: Health, ...deps: unknown[]) => new Lifecycle(parts.useFactory(...deps), health, logger),
      inject: [Health, ...(parts.inject ?? [])],
    },
    { provide: APP_FILTER, useClass: DomainErrorFilter },
    ...(options.providers ?? []),
  ];
  /** A provider that only registers a scrape-time metric on the service's registry. */
  const scraped = <T>(name: string, built: Built<T> | undefined, register: (registry: Registry, read: T) => void) => {
    if (!built) return;
    const token = Symbol(name);
    providers.push({
      provide: token,
      useFactory: (registry: Registry, ...deps: unknown[]) => {
        register(registry, built.useFactory(...deps));
        return token;
      },
      inject: [Registry, ...(built.inject ?? [])],
    });
  };
  scraped('consumer-lag', options.consumerLag, registerConsumerLag);
  scraped('models-in-use', options.modelsInUse, registerModelsInUse);
  if (options.apiKeys) {
    providers.push({ provide: ApiKeyAuthority, useFactory: options.apiKeys.useFactory, inject: options.apiKeys.inject ?? [] }, { provide: APP_GUARD, useClass: ApiKeyGuard });
  }
  return { module, controllers: [HealthController, ...(options.controllers ?? [])], providers };
}
