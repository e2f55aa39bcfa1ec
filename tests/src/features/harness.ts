import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { retailRocketMapping } from '@clickwise/clickstream-files';
import { allTopics, EventSchema, EventSource, EventType, eventTypeFromName, type Event, type HttpEvent } from '@clickwise/contracts';
import { FeatureReader } from '@clickwise/feature-store';
import {
  FeatureEngine,
  OfflineExecutor,
  sameFeatureValue,
  sessionEntityKey,
  toFeatureEvent,
  type Entity,
  type EntityState,
  type FeatureEvent,
} from '@clickwise/features';
import { randomEvents } from '@clickwise/features/testing';
import { KafkaPlatform, type KafkaProducer, type Topic } from '@clickwise/kafka';
import { createRedis, FeatureKeys, type RedisClient } from '@clickwise/redis';
import { Simulator, type SimulatorOptions } from '@clickwise/simulator';
import { repoRoot, uniqueName, waitFor } from '@clickwise/testing';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

export const engine = new FeatureEngine();

/** A running features service (`node services/features/dist/main.js`), as its own process. */
export type FeaturesProcess = ServiceProcess;

export interface FeaturesEnv {
  kafkaBrokers: string[];
  redisUrl: string;
  topicPrefix: string;
  redisKeyPrefix: string;
  groupId: string;
  extra?: Record<string, string>;
}

/** Starts the service on a free port; with `ready`, waits until it is ready. */
export async function startFeatures(env: FeaturesEnv, options: { ready?: boolean } = {}): Promise<FeaturesProcess> {
  return startServiceProcess(
    'features',
    {
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      REDIS_URL: env.redisUrl,
      KAFKA_TOPIC_PREFIX: env.topicPrefix,
      REDIS_KEY_PREFIX: env.redisKeyPrefix,
      FEATURES_GROUP_ID: env.groupId,
      ...env.extra,
    },
    options,
  );
}

/** A test's own topics (prefix), Redis keys (prefix) and consumer group. */
export class FeaturesScope {
  readonly topicPrefix: string;
  readonly redisKeyPrefix: string;
  readonly groupId: string;
  readonly kafka: KafkaPlatform;
  readonly redis: RedisClient;
  readonly keys: FeatureKeys;
  private producer: KafkaProducer | undefined;
  private partitions: number[] | undefined;

  readonly redisUrl: string;

  /**
   * Redis database FEATURES_TEST_REDIS_DB (default 7) of the given server: key prefixes keep tests
   * apart, and a database of their own keeps the SCANs that count and delete their keys short on a
   * server others fill with millions of keys.
   */
  constructor(
    readonly name: string,
    readonly kafkaBrokers: string[],
    redisUrl: string,
  ) {
    const url = new URL(redisUrl);
    url.pathname = `/${process.env.FEATURES_TEST_REDIS_DB ?? '7'}`;
    this.redisUrl = url.toString();
    const unique = uniqueName(name);
    this.topicPrefix = `${unique}.`;
    this.redisKeyPrefix = `${unique}:`;
    this.groupId = `${unique}-features`;
    this.kafka = KafkaPlatform.create({ brokers: kafkaBrokers, clientId: `${name}-test`, topicPrefix: this.topicPrefix, logLevel: 'ERROR' });
    this.redis = createRedis(this.redisUrl, { connectionName: `${name}-test`, commandTimeoutMs: 10_000 });
    // Tests that take Redis away see connection errors; commands still fail loudly.
    this.redis.on('error', () => undefined);
    this.keys = new FeatureKeys(engine.version, this.redisKeyPrefix);
  }

  get env(): FeaturesEnv {
    return { kafkaBrokers: this.kafkaBrokers, redisUrl: this.redisUrl, topicPrefix: this.topicPrefix, redisKeyPrefix: this.redisKeyPrefix, groupId: this.groupId };
  }

  start(extra?: Record<string, string>, options?: { ready?: boolean }): Promise<FeaturesProcess> {
    return startFeatures({ ...this.env, extra }, options);
  }

  async createTopics(): Promise<void> {
    await this.kafka.admin.ensureTopics(allTopics);
  }

  /** Produces events to clickstream.events.v1, keyed by shopper key, in order. */
  async produce(events: readonly Event[], chunk = 2000): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ lingerMs: 2 });
      await this.producer.connect();
    }
    for (let i = 0; i < events.length; i += chunk) await this.producer.produce(this.kafka.topics.events, events.slice(i, i + chunk));
  }

  /** End offset (high watermark) per partition. */
  endOffsets(topic: Topic): Promise<Map<number, bigint>> {
    return this.kafka.admin.endOffsets(topic);
  }

  /** Stored next offset per partition, from the feature state in Redis. */
  async storedOffsets(): Promise<Map<number, bigint>> {
    const all = await this.redis.hgetall(this.keys.offsets(this.kafka.topics.events.name));
    return new Map(Object.entries(all).map(([p, raw]) => [Number(p), BigInt(raw.split('|')[0] || '0')]));
  }

  /** Partitions of the events topic whose last range's notices wait in their outbox (state written, no ack yet). */
  async pendingOutboxes(): Promise<number> {
    this.partitions ??= [...(await this.endOffsets(this.kafka.topics.events)).keys()];
    const topic = this.kafka.topics.events.name;
    return this.redis.exists(...this.partitions.map((p) => this.keys.outbox(topic, p)));
  }

  /** Events applied so far (sum of stored offsets). */
  async appliedOffsets(): Promise<bigint> {
    let sum = 0n;
    for (const v of (await this.storedOffsets()).values()) sum += v;
    return sum;
  }

  /** Waits until the stored offsets reach the end of every partition of the events topic. */
  async waitCaughtUp(timeoutMs = 120_000, service?: FeaturesProcess): Promise<void> {
    const ends = await this.endOffsets(this.kafka.topics.events);
    await waitFor(
      async () => {
        const stored = await this.storedOffsets();
        for (const [p, end] of ends) if (end > 0n && (stored.get(p) ?? -1n) < end) return false;
        return true;
      },
      { timeoutMs, intervalMs: 100, message: `features to apply every event${service ? `\n--- service output ---\n${service.output().slice(-4000)}` : ''}` },
    );
  }

  /** Every record of a topic from the beginning to its current end (libs/kafka readTopic). */
  async readAll<S extends DescMessage>(topic: Topic<S>): Promise<{ partition: number; offset: bigint; key: string | null; value: MessageShape<S>; timestampMs: number }[]> {
    const records = await this.kafka.admin.readTopic(topic);
    return records.map((r) => ({ partition: r.partition, offset: BigInt(r.offset), key: r.key, value: r.value, timestampMs: r.timestampMs }));
  }

  /** The offline executor over the events topic as it is in Kafka (each partition in offset order). */
  offline(options: { erasures?: [string, number][]; engine?: FeatureEngine } = {}): Promise<OfflineReplay> {
    return offlineOverTopic(this.kafka, options);
  }

  async dispose(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.redisKeyPrefix}*`, 'COUNT', 10_000);
      cursor = next;
      if (found.length > 0) await this.redis.del(...found);
    } while (cursor !== '0');
    await this.redis.quit();
  }
}

export interface OfflineReplay {
  offline: OfflineExecutor;
  events: FeatureEvent[];
  /** Ids the offline executor judged too late, as the features service would dead-letter them. */
  tooLate: Set<string>;
}

/**
 * The offline executor over an events topic as it is in Kafka: each partition in offset order, so
 * lateness is judged as the streaming executor judges it (per partition, by arrival order).
 */
export async function offlineOverTopic(kafka: KafkaPlatform, options: { erasures?: [string, number][]; engine?: FeatureEngine } = {}): Promise<OfflineReplay> {
  const records = await kafka.admin.readTopic(kafka.topics.events);
  records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  const offline = new OfflineExecutor(options.engine ?? engine);
  for (const [shopper, at] of options.erasures ?? []) offline.erase(shopper, at);
  const events: FeatureEvent[] = [];
  const tooLate = new Set<string>();
  for (const r of records) {
    const e = toFeatureEvent(r.value);
    events.push(e);
    if (offline.apply(e, r.partition).status === 'too_late') tooLate.add(e.eventId);
  }
  return { offline, events, tooLate };
}

export interface ParityReport {
  shoppers: number;
  sessions: number;
  items: number;
  categories: number;
  values: number;
  refMs: number;
}

/**
 * Compares every shopper's, session's, item's and category's features in Redis with the offline
 * executor's at the final stream time (numbers to 1e-9 relative, lists exactly), and checks Redis
 * holds no entity the offline executor does not.
 */
export async function assertParity(scope: Pick<FeaturesScope, 'redis' | 'keys'>, offline: OfflineExecutor): Promise<ParityReport> {
  const engine = offline.engine;
  const reader = new FeatureReader(scope.redis, engine, scope.keys);
  const refMs = offline.streamTimeMs;
  const report: ParityReport = { shoppers: 0, sessions: 0, items: 0, categories: 0, values: 0, refMs };
  const problems: string[] = [];
  for (const entity of ['shopper', 'session', 'item', 'category'] as const) {
    const entries = [...offline.mapOf(entity)];
    const names = engine.plans[entity].features.map((f) => f.definition.name);
    for (let i = 0; i < entries.length; i += 500) {
      const slice = entries.slice(i, i + 500);
      const stored = await Promise.all(
        slice.map(([key]) => {
          if (entity !== 'session') return reader.state(entity, key);
          const [shopper, session] = key.split('\u0000') as [string, string];
          return reader.state('session', shopper, session);
        }),
      );
      slice.forEach(([key, state], j) => {
        const got = stored[j];
        compare(engine, entity, key, state, got, names, refMs, problems);
        report.values += names.length;
      });
    }
    report[entity === 'shopper' ? 'shoppers' : entity === 'session' ? 'sessions' : entity === 'item' ? 'items' : 'categories'] = entries.length;
    const inRedis = await countKeys(scope.redis, scope.keys.pattern(entity));
    if (inRedis !== entries.length) problems.push(`${entity}: ${inRedis} keys in Redis, ${entries.length} entities offline`);
  }
  if (problems.length > 0) {
    throw new Error(`${problems.length} differences between Redis and the offline executor:\n${problems.slice(0, 20).join('\n')}`);
  }
  return report;
}

function compare(engine: FeatureEngine, entity: Entity, key: string, want: EntityState, got: EntityState | undefined, names: string[], refMs: number, problems: string[]): void {
  if (!got) {
    problems.push(`${entity} ${JSON.stringify(key)} is missing from Redis`);
    return;
  }
  const a = engine.evaluate(entity, got, refMs);
  const b = engine.evaluate(entity, want, refMs);
  for (let i = 0; i < a.length; i++) {
    if (!sameFeatureValue(a[i]!, b[i]!)) problems.push(`${entity} ${JSON.stringify(key)} ${names[i]}: redis ${JSON.stringify(a[i])} ≠ offline ${JSON.stringify(b[i])}`);
  }
}

async function countKeys(redis: RedisClient, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    n += found.length;
  } while (cursor !== '0');
  return n;
}

// ---------------------------------------------------------------------------------------------
// Event sources

const RETAILROCKET = join(repoRoot(), '..', 'shared', 'data', 'retailrocket-week', 'events.tsv');

/**
 * The RetailRocket week as protobuf Events, in event-time order (the file is grouped by session):
 * view → product view, addtocart → add to cart, transaction → purchase; the user is the shopper.
 */
export function retailRocketEvents(limit = Infinity): Event[] {
  const lines = readFileSync(RETAILROCKET, 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((line, i) => {
    const [time, user, type, item, session, category] = line.split('\t') as [string, string, string, string, string, string];
    return { i, time: Number(time) * 1000, user, type, item, session, category };
  });
  rows.sort((a, b) => a.time - b.time || a.i - b.i);
  return rows.slice(0, limit).map((r) =>
    create(EventSchema, {
      eventId: `rr-${r.i}`,
      type: eventTypeFromName(retailRocketMapping.typeMap[r.type] ?? '') ?? EventType.PAGE_VIEW,
      userId: `rr-u${r.user}`,
      sessionId: `rr-s${r.session}`,
      itemId: r.item,
      categoryId: r.category,
      eventTimeMs: BigInt(r.time),
      ingestedAtMs: BigInt(Date.now()),
      source: EventSource.REPLAY,
    }),
  );
}

/** The storefront simulator's events (every event type, in event-time order) as protobuf Events. */
export function simulatorEvents(seed: number, count: number, options: Partial<SimulatorOptions> = {}): Event[] {
  const simulator = new Simulator({ seed, shoppers: 3000, items: 1500, rate: 40, ...options });
  return simulator.take(count).map((e) => httpToProto(e));
}

/** The HTTP contract's JSON event as the protobuf Event ingestion writes (no validation here). */
export function httpToProto(e: HttpEvent): Event {
  return create(EventSchema, {
    eventId: e.eventId,
    type: eventTypeFromName(e.type),
    userId: e.userId ?? '',
    anonymousId: e.anonymousId ?? '',
    sessionId: e.sessionId,
    itemId: e.itemId ?? '',
    categoryId: e.categoryId ?? '',
    price: e.price,
    currency: e.currency ?? '',
    quantity: e.quantity,
    searchQuery: e.searchQuery ?? '',
    reviewText: e.reviewText ?? '',
    reviewRating: e.reviewRating,
    recommendationId: e.recommendationId ?? '',
    itemIds: e.itemIds ?? [],
    eventTimeMs: BigInt(typeof e.eventTime === 'number' ? e.eventTime : Date.parse(e.eventTime)),
    ingestedAtMs: BigInt(Date.now()),
    source: EventSource.SIMULATOR,
  });
}

/** Random events of every event type (the pure library's generator) as protobuf Events. */
export function generatedEvents(seed: number, count: number, options: { disorder?: number; startMs?: number; shoppers?: number } = {}): Event[] {
  return randomEvents({ seed, events: count, shoppers: options.shoppers ?? 200, items: 300, categories: 20, disorder: options.disorder ?? 0.05, startMs: options.startMs }).map((e) => toProto(e));
}

export function toProto(e: FeatureEvent): Event {
  return create(EventSchema, {
    eventId: e.eventId,
    type: e.type,
    anonymousId: e.shopperKey,
    sessionId: e.sessionId || 'none',
    itemId: e.itemId,
    itemIds: [...e.itemIds],
    categoryId: e.categoryId,
    price: e.price,
    quantity: e.quantity,
    searchQuery: e.searchQuery,
    reviewRating: e.reviewRating,
    reviewText: e.reviewText ?? '',
    eventTimeMs: BigInt(e.timeMs),
    ingestedAtMs: BigInt(Date.now()),
    source: EventSource.SIMULATOR,
  });
}

export { sessionEntityKey };
