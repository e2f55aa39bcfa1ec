import { z } from 'zod';
import { env } from './define.js';
import { ConfigError } from './errors.js';

/** Comma-separated host:port list, e.g. `127.0.0.1:9092,127.0.0.1:9094`. */
export const kafkaBrokers = z
  .string({ error: 'required: comma-separated host:port list' })
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'each broker must be host:port'))
      .min(1, 'at least one broker'),
  );

/** redis://host:port[/db]: a host is required. */
export const redisUrl = z
  .url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' })
  .refine((value) => !URL.canParse(value) || new URL(value).hostname !== '', 'must name a host, e.g. redis://127.0.0.1:6379');

/** An empty variable (`PORT=`) means "not set", as shells and .env files write it. */
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);

/** A TCP port number given as a string. */
export const port = (fallback: number) =>
  z.preprocess(unsetWhenEmpty, z.coerce.number().int().min(0).max(65535).default(fallback));

/** A positive integer given as a string. */
export const positiveInt = (fallback: number) =>
  z.preprocess(unsetWhenEmpty, z.coerce.number().int().positive().default(fallback));

/** `true/false/1/0/yes/no` given as a string; empty means the fallback. */
export const flag = (fallback: boolean) =>
  z.preprocess(
    unsetWhenEmpty,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  );

/**
 * The fields every platform service reads, with the same variables and defaults everywhere; a
 * service's configuration spreads these and adds its own:
 * `defineConfig('features', { ...serviceConfig, httpPort: env('HTTP_PORT', port(8082)), … })`.
 */
export const serviceConfig = {
  kafkaBrokers: env('KAFKA_BROKERS', kafkaBrokers),
  redisUrl: env('REDIS_URL', redisUrl),
  /** Prefix of every Redis key (tests isolate themselves with it). */
  redisKeyPrefix: env('REDIS_KEY_PREFIX', z.string().default('cw:')),
  /** Prefix of every topic name (tests isolate themselves with it). */
  topicPrefix: env('KAFKA_TOPIC_PREFIX', z.string().default('')),
  /** Address the servers listen on. */
  host: env('HOST', z.string().default('0.0.0.0')),
  /** Largest raw payload kept in a dead letter (bytes). */
  dlqMaxPayloadBytes: env('DLQ_MAX_PAYLOAD_BYTES', positiveInt(64 * 1024)),
  /** How long a SIGTERM may take to drain and flush (ms). */
  shutdownGraceMs: env('SHUTDOWN_GRACE_MS', positiveInt(15_000)),
  otlpEndpoint: env('OTEL_EXPORTER_OTLP_ENDPOINT', z.url().optional()),
  logLevel: env('LOG_LEVEL', z.enum(['error', 'warn', 'info', 'debug']).default('info')),
  /** The Kafka client adapter libs/kafka uses (ADR 0042, 0044): kafkajs or confluent. */
  kafkaClient: env('KAFKA_CLIENT', z.enum(['kafkajs', 'confluent']).default('kafkajs')),
};

export { ConfigError };
export { defineConfig, env, loadConfig, parseConfig, type ConfigClass, type ConfigOf, type ConfigShape, type EnvField } from './define.js';
export { z };
