import type { DescMessage } from '@bufbuild/protobuf';
import { topics as catalogue, type DeadLetterSchema, type TopicSpec } from '@clickwise/contracts';
import type { ClientAdapter } from './adapter.js';
import { selectAdapter } from './adapters.js';
import { KafkaAdmin } from './admin.js';
import { ConsumerLoop, type ConsumerOptions } from './consumer.js';
import { ExternalOffsetsConsumer, type ExternalOffsetsOptions } from './external-offsets.js';
import { Follower, type FollowerOptions } from './follower.js';
import { stderrLogger, type KafkaLogger, type KafkaLogLevel } from './logger.js';
import { KafkaProducer, type ProducerOptions } from './producer.js';
import { Topic } from './topic.js';

type Catalogue = typeof catalogue;

/** One partition's lag for one consumer group (records behind the end of the log). */
export interface ConsumerLag {
  groupId: string;
  topic: string;
  partition: number;
  lag: number;
}

/** Every catalogue topic as a handle bound to the platform's prefix. */
export type PlatformTopics = { readonly [K in keyof Catalogue]: Topic<Catalogue[K]['value']> };

export interface KafkaPlatformSettings {
  brokers: readonly string[];
  clientId: string;
  /** Prefix of every topic name (tests use one per test; empty in production). */
  topicPrefix?: string;
  /** Where the client's own log goes (retried conditions at debug); JSON lines on stderr by default. */
  logger?: KafkaLogger;
  /** Threshold of the default stderr logger (WARN by default; ignored when `logger` is given). */
  logLevel?: KafkaLogLevel;
  /** Client adapter: 'kafkajs' (default) or another of adapters.ts; KAFKA_CLIENT when absent. */
  client?: string;
  /** How long a connection attempt may take (ms; default 3,000). */
  connectionTimeoutMs?: number;
  /** How long a request may take (ms; default 30,000). */
  requestTimeoutMs?: number;
}

/**
 * The one Kafka object a process holds: typed topic handles (catalogue names under the prefix,
 * with their key functions), producers, both consumer loops, per-replica followers and admin
 * helpers. The client library stays behind it (adapter.ts): no client type leaves this package.
 */
export class KafkaPlatform {
  readonly topics: PlatformTopics;
  readonly admin: KafkaAdmin;
  /** The groups this platform's loops joined (group id → topic), for `consumerLag`. */
  private readonly groups = new Map<string, Topic<DescMessage>>();

  private constructor(
    private readonly adapter: ClientAdapter,
    readonly topicPrefix: string,
  ) {
    this.topics = Object.fromEntries(Object.entries(catalogue).map(([k, spec]) => [k, new Topic(spec as TopicSpec, topicPrefix)])) as unknown as PlatformTopics;
    this.admin = new KafkaAdmin(adapter, topicPrefix);
  }

  static create(settings: KafkaPlatformSettings): KafkaPlatform {
    const factory = selectAdapter(settings.client);
    const adapter = factory({
      brokers: settings.brokers,
      clientId: settings.clientId,
      logger: settings.logger ?? stderrLogger(settings.logLevel ?? 'WARN'),
      connectionTimeoutMs: settings.connectionTimeoutMs ?? 3000,
      requestTimeoutMs: settings.requestTimeoutMs ?? 30000,
    });
    return new KafkaPlatform(adapter, settings.topicPrefix ?? '');
  }

  /** The client adapter's name ('kafkajs', ...). */
  get client(): string {
    return this.adapter.name;
  }

  /** The same client under another topic prefix (tests: one prefix per test, one connection pool). */
  withPrefix(topicPrefix: string): KafkaPlatform {
    return new KafkaPlatform(this.adapter, topicPrefix);
  }

  /** A handle for a topic outside the catalogue's keys (e.g. a filtered list of specs). */
  topic<S extends DescMessage>(spec: TopicSpec<S>): Topic<S> {
    return new Topic(spec, this.topicPrefix);
  }

  producer(options: ProducerOptions = {}): KafkaProducer {
    return new KafkaProducer(this.adapter, options);
  }

  /** A consumer-group loop that commits to Kafka after each handled batch. */
  consumerLoop<S extends DescMessage>(options: ConsumerOptions<S>): ConsumerLoop<S> {
    this.groups.set(options.groupId, options.topic);
    return new ConsumerLoop(this.adapter, this.deadLetterTopic, options);
  }

  /** A consumer-group loop whose offsets live with the handler's state (effectively once). */
  externalOffsetsConsumer<S extends DescMessage>(options: ExternalOffsetsOptions<S>): ExternalOffsetsConsumer<S> {
    this.groups.set(options.groupId, options.topic);
    return new ExternalOffsetsConsumer(this.adapter, this.deadLetterTopic, options);
  }

  /** A reader every replica runs: catch up from the beginning of a (compacted) topic, then follow. */
  follower<S extends DescMessage>(options: FollowerOptions<S>): Follower<S> {
    return new Follower((loop) => this.consumerLoop(loop), this.admin, options);
  }

  /**
   * Lag of every consumer group this platform's loops joined (followers included): per partition,
   * the end offset minus the group's committed offset (the start of the log where it committed
   * none). Read from Kafka at call time, for `/metrics`; the external-offsets loop commits to Kafka
   * too (informational there), so its figure is as current as its last batch.
   */
  async consumerLag(): Promise<ConsumerLag[]> {
    const rows = await Promise.all(
      [...this.groups].map(async ([groupId, topic]) => (await this.admin.groupLag(groupId, topic)).partitions.map((p) => ({ groupId, topic: topic.name, partition: p.partition, lag: Number(p.lag) }))),
    );
    return rows.flat();
  }

  /** Closes what the platform keeps open itself (the admin's probe connection). */
  async close(): Promise<void> {
    await this.admin.close();
  }

  private get deadLetterTopic(): Topic<typeof DeadLetterSchema> {
    return this.topics.deadLetters;
  }
}
