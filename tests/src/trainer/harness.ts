import { create, fromBinary } from '@bufbuild/protobuf';
import { allTopics, EventSchema, EventSource, EventType, ModelPublishedSchema, type Event } from '@clickwise/contracts';
import { KafkaPlatform, type KafkaProducer } from '@clickwise/kafka';
import { createRedis, RedisKeys, type RedisClient } from '@clickwise/redis';
import { uniqueName } from '@clickwise/testing';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

/** A run as GET /status shows it. */
export interface RunView {
  runId: string;
  token: number;
  instanceId: string;
  trigger: 'no-model' | 'events' | 'schedule' | 'manual';
  startedAtMs: number;
  endedAtMs: number;
  outcome: 'ok' | 'failed' | 'aborted';
  events: number;
  ends: Record<string, string>;
  jobs: { name: string; ok: boolean; eventsTrainedOn?: number; version?: string; error?: string }[];
  error?: string;
}

/** GET /status of the trainer. */
export interface TrainerStatus {
  instanceId: string;
  jobs: string[];
  triggers: { intervalMs: number; retrainAfterEvents: number; backoffUntil: string | null; nextScheduledAt: string };
  running: { runId: string; token: number; trigger: string; startedAt: string; events: number } | null;
  lock: { holder: string; token: number; ttlMs: number } | null;
  /** Champion version per model in the registry. */
  champions: Record<string, string | null>;
  lastCheck: { at: string; eventsSinceTrained: number; logSize: number } | null;
  trainedOffsets: Record<string, string>;
  lastRun: RunView | null;
  lastSuccess: RunView | null;
}

/** What the fixture job published to models.published.v1. */
export interface Published {
  key: string;
  version: string;
  metrics: Record<string, number>;
}

/** A test's own topics and Redis keys (prefixes) for trainer processes running the counting fixture job. */
export class TrainerScope {
  readonly topicPrefix: string;
  readonly redisKeyPrefix: string;
  readonly kafka: KafkaPlatform;
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  private producer: KafkaProducer | undefined;
  private sequence = 0;

  constructor(
    name: string,
    readonly kafkaBrokers: string[],
    readonly redisUrl: string,
  ) {
    const unique = uniqueName(name);
    this.topicPrefix = `${unique}.`;
    this.redisKeyPrefix = `${unique}:`;
    this.kafka = KafkaPlatform.create({ brokers: kafkaBrokers, clientId: `${name}-test`, topicPrefix: this.topicPrefix, logLevel: 'ERROR' });
    this.redis = createRedis(redisUrl, { connectionName: `${name}-test`, commandTimeoutMs: 10_000 });
    this.keys = new RedisKeys(this.redisKeyPrefix);
  }

  async createTopics(): Promise<void> {
    await this.kafka.admin.ensureTopics(allTopics);
  }

  /** A trainer process with the counting fixture job (services/trainer/dist/testing/main.js), or the production entry (its manifest's). */
  start(env: Record<string, string>, options: { production?: boolean } = {}): Promise<ServiceProcess> {
    return startServiceProcess(
      'trainer',
      {
        KAFKA_BROKERS: this.kafkaBrokers.join(','),
        REDIS_URL: this.redisUrl,
        KAFKA_TOPIC_PREFIX: this.topicPrefix,
        REDIS_KEY_PREFIX: this.redisKeyPrefix,
        LOG_LEVEL: 'info',
        ...env,
      },
      options.production ? {} : { entry: 'dist/testing/main.js' },
    );
  }

  /** Writes `events` to clickstream.events.v1 (keyed by shopper, as ingestion writes them). */
  async produceEvents(events: readonly Event[]): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ lingerMs: 2 });
      await this.producer.connect();
    }
    for (let i = 0; i < events.length; i += 5000) await this.producer.produce(this.kafka.topics.events, events.slice(i, i + 5000));
  }

  /** `count` product views over a few shoppers (ids `<prefix><n>`) to clickstream.events.v1. */
  async produce(count: number, idPrefix = 'e'): Promise<Event[]> {
    const events: Event[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.sequence++;
      const shopper = `s${n % 7}`;
      events.push(
        create(EventSchema, {
          eventId: `${idPrefix}${n}`,
          type: EventType.PRODUCT_VIEW,
          userId: shopper,
          sessionId: `${shopper}-1`,
          itemId: `item-${n % 11}`,
          eventTimeMs: BigInt(Date.UTC(2026, 10, 1) + n * 1000),
          source: EventSource.SIMULATOR,
        }),
      );
    }
    await this.produceEvents(events);
    return events;
  }

  /** The fixture's version records (`event-count/v<token>`) on models.published.v1, in offset order. */
  async published(): Promise<Published[]> {
    const records = await this.kafka.admin.readTopic(this.kafka.topics.modelsPublished, { timeoutMs: 30_000 });
    return records
      .filter((r) => r.key !== null && !r.key.endsWith('/champion'))
      .map((r) => {
        const value = fromBinary(ModelPublishedSchema, r.raw);
        return { key: r.key!, version: value.version, metrics: { ...value.metrics } };
      });
  }

  async dispose(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await this.kafka.admin.deletePrefixedTopics().catch(() => undefined);
    await this.kafka.close();
    const mine = await this.redis.keys(`${this.redisKeyPrefix}*`);
    if (mine.length > 0) await this.redis.del(...mine);
    await this.redis.quit();
  }
}

export async function status(service: ServiceProcess): Promise<TrainerStatus> {
  const response = await fetch(`${service.url}/status`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`GET /status answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as TrainerStatus;
}

/** The sum of a Prometheus metric's samples that carry every label given (0 when none). */
export async function metric(service: ServiceProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}

/** The service's JSON log lines with message `msg`. */
export function logLines(service: ServiceProcess, msg: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of service.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === msg) out.push(entry);
    } catch {
      // a partial line at the start of the kept output
    }
  }
  return out;
}
