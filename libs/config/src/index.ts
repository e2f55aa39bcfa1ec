import { z } from 'zod';

/** Thrown when the environment does not fit a service's schema; lists every bad key. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` with `schema` once. On failure the error names every bad key and why, so an operator
 * fixes them all in one go.
 */
export function parseConfig<S extends z.ZodType>(
  service: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    return `${key}: ${issue.message}`;
  });
  throw new ConfigError(service, problems);
}

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
 * The variables every platform service reads, with the same names and defaults everywhere; a
 * service's schema spreads these and adds its own: `z.object({ ...serviceEnv, HTTP_PORT: … })`.
 */
export const serviceEnv = {
  KAFKA_BROKERS: kafkaBrokers,
  REDIS_URL: redisUrl,
  /** Prefix of every Redis key (tests isolate themselves with it). */
  REDIS_KEY_PREFIX: z.string().default('cw:'),
  /** Prefix of every topic name (tests isolate themselves with it). */
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  /** Address the servers listen on. */
  HOST: z.string().default('0.0.0.0'),
  /** Largest raw payload kept in a dead letter (bytes). */
  DLQ_MAX_PAYLOAD_BYTES: positiveInt(64 * 1024),
  /** How long a SIGTERM may take to drain and flush (ms). */
  SHUTDOWN_GRACE_MS: positiveInt(15_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
};

export { z };
