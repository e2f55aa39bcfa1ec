import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiKeyStore, type Scope } from '@clickwise/api-keys';
import { allTopics } from '@clickwise/contracts';
import { KafkaPlatform } from '@clickwise/kafka';
import { createRedis, RedisKeys, type RedisClient } from '@clickwise/redis';
import { repoRoot, uniqueName, waitFor } from '@clickwise/testing';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const run = promisify(execFile);

/** A running ingestion service, started as its own process (`node services/ingestion/dist/main.js`). */
export interface IngestionProcess extends ServiceProcess {
  httpUrl: string;
  grpcAddress: string;
}

export interface IngestionEnv {
  kafkaBrokers: string[];
  redisUrl: string;
  topicPrefix: string;
  redisKeyPrefix: string;
  extra?: Record<string, string>;
}

/** Starts the service on free ports and waits until it is ready (`options` as startServiceProcess's). */
export async function startIngestion(env: IngestionEnv, options: Parameters<typeof startServiceProcess>[2] = {}): Promise<IngestionProcess> {
  const service = await startServiceProcess('ingestion', {
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    REDIS_URL: env.redisUrl,
    KAFKA_TOPIC_PREFIX: env.topicPrefix,
    REDIS_KEY_PREFIX: env.redisKeyPrefix,
    // One process, as the tests expect of their pids and logs, unless a test asks for workers
    // (the service's default is one per core: the benchmark measures that).
    INGESTION_WORKERS: '1',
    ...env.extra,
  }, options);
  return Object.assign(service, { httpUrl: service.url, grpcAddress: `127.0.0.1:${service.ports.grpc}` });
}

/** A test's own corner of the shared Kafka and Redis: topic prefix, key prefix, API keys. */
export class TestScope {
  readonly topicPrefix: string;
  readonly redisKeys: RedisKeys;
  readonly redis: RedisClient;
  readonly store: ApiKeyStore;
  /** The test's topics (under its prefix) and admin helpers. */
  readonly kafka: KafkaPlatform;

  constructor(
    readonly name: string,
    readonly kafkaBrokers: string[],
    readonly redisUrl: string,
  ) {
    const unique = uniqueName(name);
    this.topicPrefix = `${unique}.`;
    this.redisKeys = new RedisKeys(`${unique}:`);
    this.redis = createRedis(redisUrl);
    this.store = new ApiKeyStore(this.redis, this.redisKeys);
    this.kafka = KafkaPlatform.create({ brokers: kafkaBrokers, clientId: `${name}-admin`, topicPrefix: this.topicPrefix, logLevel: 'NOTHING' });
  }

  get eventsTopic(): string {
    return this.kafka.topics.events.name;
  }

  get deadLettersTopic(): string {
    return this.kafka.topics.deadLetters.name;
  }

  async createTopics(): Promise<void> {
    // Creating topics while the broker is busy sometimes answers UNKNOWN_TOPIC_OR_PARTITION while
    // leaders are elected; ensureTopics only creates what is missing, so trying again is safe.
    await waitFor(
      async () => {
        await this.kafka.admin.ensureTopics(allTopics);
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500, message: `topics with prefix ${this.topicPrefix}` },
    );
  }

  async key(name: string, scopes: Scope[], ratePerSecond = 0): Promise<{ key: string; id: string }> {
    const created = await this.store.create({ name, scopes, ratePerSecond });
    return { key: created.key, id: created.record.id };
  }

  async start(extra?: Record<string, string>, options?: Parameters<typeof startServiceProcess>[2]): Promise<IngestionProcess> {
    return startIngestion({ kafkaBrokers: this.kafkaBrokers, redisUrl: this.redisUrl, topicPrefix: this.topicPrefix, redisKeyPrefix: this.redisKeys.prefix, extra }, options);
  }

  /** Deletes the test's Redis keys and closes the connection. */
  async dispose(): Promise<void> {
    try {
      let cursor = '0';
      do {
        const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.redisKeys.prefix}*`, 'COUNT', 20_000);
        cursor = next;
        if (found.length > 0) await this.redis.unlink(...found);
      } while (cursor !== '0');
    } finally {
      this.redis.disconnect();
    }
  }
}

/** One record as kcat (librdkafka: a client independent of the service's kafkajs) read it. */
export interface KcatRecord {
  partition: number;
  offset: number;
  key: string | null;
  headers: Record<string, string>;
  value: Buffer;
}

/** The project's own installer of test tools (kcat), as `./clickwise test` runs it. */
export async function ensureKcat(): Promise<void> {
  await run(join(repoRoot(), 'deploy/local/test-tools.sh'), [], { timeout: 300_000 });
}

/**
 * Reads a whole topic with kcat, byte-exact: a text header per record (partition, offset, key and
 * value lengths, headers) and then the raw key and value bytes.
 */
export async function kcatRead(brokers: string[], topic: string): Promise<KcatRecord[]> {
  const { stdout } = await run('kcat', ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %K %S %h\\n%k%s'], {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  const records: KcatRecord[] = [];
  let at = 0;
  while (at < stdout.length) {
    const newline = stdout.indexOf(0x0a, at);
    if (newline < 0) throw new Error(`kcat output: header without newline at byte ${at}`);
    const [p, o, k, v, h = ''] = stdout.subarray(at, newline).toString('utf8').split(' ');
    const keyLength = Number(k);
    const valueLength = Number(v);
    at = newline + 1;
    const key = keyLength < 0 ? null : stdout.subarray(at, at + keyLength).toString('utf8');
    at += Math.max(0, keyLength);
    const value = Buffer.from(stdout.subarray(at, at + Math.max(0, valueLength)));
    at += Math.max(0, valueLength);
    const headers: Record<string, string> = {};
    for (const pair of h.split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) headers[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    records.push({ partition: Number(p), offset: Number(o), key, headers, value });
  }
  return records;
}

/** POSTs JSON (or raw bytes) to /v1/events; returns status, headers and parsed body. */
export async function postEvents(
  httpUrl: string,
  body: unknown,
  options: { key?: string; headers?: Record<string, string>; raw?: Buffer | string; contentType?: string | null; query?: string; timeoutMs?: number } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  if (options.key) headers['x-api-key'] = options.key;
  const payload = options.raw ?? JSON.stringify(body);
  const response = await fetch(`${httpUrl}/v1/events${options.query ?? ''}`, {
    method: 'POST',
    headers,
    body: payload,
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

let counter = 0;
/** A valid storefront event as JSON, with a unique id. */
export function jsonEvent(extra: Record<string, unknown> = {}): Record<string, unknown> & { eventId: string } {
  counter++;
  return {
    eventId: `${uniqueName('ev')}-${counter}`,
    type: 'product_view',
    userId: `user-${counter % 7}`,
    sessionId: `session-${counter % 3}`,
    itemId: `item-${counter}`,
    categoryId: 'cat-1',
    price: 12.5,
    currency: 'EUR',
    eventTime: Date.now() - 1000,
    context: { device: 'mobile', page: `/p/${counter}`, locale: 'de-DE' },
    ...extra,
  };
}
