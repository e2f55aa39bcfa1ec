import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { topics, type DeadLetterSchema, type PredictionUpdateSchema, type RecommendationSchema, type TopicSpec } from '@clickwise/contracts';
import { KafkaConnection, type ConsumedRecord, type KafkaPlatform, type ConsumerLoop, type Follower, type KafkaProducer, type Topic } from '@clickwise/kafka';
import type { DescMessage } from '@bufbuild/protobuf';
import { ModelRegistry } from '@clickwise/model-registry';
import { log, logger } from '@clickwise/service';
import type { ConsoleConfig, LagGroup } from './config.js';

/** The topics whose append rate the page charts, by the short name the page uses. */
export const RATE_TOPICS = {
  events: topics.events,
  features: topics.featuresUpdated,
  predictions: topics.predictionsUpdated,
  recommendations: topics.recommendationsServed,
  dlq: topics.deadLetters,
} as const satisfies Record<string, TopicSpec>;

export type RateTopic = keyof typeof RATE_TOPICS;

/** One group's lag per partition (null: the group has committed nothing on the topic, e.g. it never ran). */
export interface GroupLagView {
  group: string;
  topic: string;
  total: number | null;
  partitions: { partition: number; lag: number; committed: boolean }[];
}

/**
 * What the console reads from Kafka: the registry (libs/model-registry, followed per replica), the
 * dead-letter topic from its beginning, predictions.updated.v1 and recommendations.served.v1 from their ends (each in a group of
 * this replica's own), topic end offsets and the configured groups' offsets. It writes nothing but
 * its groups' offsets (its producer exists for the dead letters of records it cannot decode).
 */
export class ConsoleKafka {
  readonly kafka: KafkaPlatform;
  readonly producer: KafkaProducer;
  readonly registry: ModelRegistry;
  private readonly connection: KafkaConnection;
  private deadLetters: Follower<typeof DeadLetterSchema> | undefined;
  private readonly tails: Pick<ConsumerLoop<DescMessage>, 'stop'>[] = [];
  private readonly specs: readonly TopicSpec[] = Object.values(RATE_TOPICS);
  registryReady = false;
  deadLettersReady = false;
  feedAssigned = false;
  recommendationsAssigned = false;

  constructor(private readonly config: ConsoleConfig) {
    this.connection = new KafkaConnection('console', config, logger);
    this.kafka = this.connection.kafka;
    this.producer = this.connection.producer;
    this.registry = new ModelRegistry(this.kafka, {
      groupPrefix: 'console',
      stage: 'console',
      catchUpTimeoutMs: config.catchUpMs,
      onError: (error, { what }) => log('warn', 'model registry', { what, error: String(error) }),
    });
  }

  connect(): Promise<void> {
    return this.connection.connect();
  }

  /** Catches up with models.published.v1 (the registry keeps following it). */
  async startRegistry(): Promise<void> {
    await this.registry.start();
    this.registryReady = true;
  }

  /** Reads the dead letters from the topic's beginning, then follows; resolves once caught up. */
  async startDeadLetters(handle: (records: ConsumedRecord<typeof DeadLetterSchema>[]) => void): Promise<void> {
    this.deadLetters = this.kafka.follower({
      topic: this.kafka.topics.deadLetters,
      groupPrefix: 'console-dlq',
      stage: 'console',
      deadLetters: this.producer,
      catchUpTimeoutMs: this.config.catchUpMs,
      handle: (records) => {
        handle(records);
        return Promise.resolve();
      },
      onError: (error) => log('warn', 'dead-letter reading failed; retrying', { error: String(error) }),
    });
    const catchUp = await this.deadLetters.start();
    if (!catchUp.caughtUp) log('warn', 'dead letters not caught up in time; the counts grow as they are read', { waitedMs: catchUp.waitedMs });
    this.deadLettersReady = true;
  }

  /** Follows predictions.updated.v1 from its end in a group of this replica's own (every replica sees every prediction). */
  startFeed(handle: (records: ConsumedRecord<typeof PredictionUpdateSchema>[]) => void): Promise<void> {
    return this.tail(this.kafka.topics.predictionsUpdated, 'console-feed', 'prediction feed', handle, (assigned) => (this.feedAssigned = assigned));
  }

  /** Follows recommendations.served.v1 from its end, the same way (ADR 0124). */
  startRecommendations(handle: (records: ConsumedRecord<typeof RecommendationSchema>[]) => void): Promise<void> {
    return this.tail(this.kafka.topics.recommendationsServed, 'console-recs', 'recommendation feed', handle, (assigned) => (this.recommendationsAssigned = assigned));
  }

  private async tail<S extends DescMessage>(topic: Topic<S>, groupPrefix: string, what: string, handle: (records: ConsumedRecord<S>[]) => void, onAssigned: (assigned: boolean) => void): Promise<void> {
    const loop = this.kafka.consumerLoop({
      groupId: `${groupPrefix}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      topic,
      stage: 'console',
      deadLetters: this.producer,
      fromBeginning: false,
      maxWaitTimeMs: 200,
      handle: (records) => {
        handle(records);
        return Promise.resolve();
      },
      onAssigned: (partitions) => onAssigned(partitions.length > 0),
      onError: (error) => log('warn', `${what} failed; retrying`, { error: String(error) }),
    });
    this.tails.push(loop);
    await loop.start();
  }

  /** Records appended so far to each charted topic (end minus start offsets, summed over partitions); absent topics are left out. */
  async topicRecords(): Promise<Map<RateTopic, number>> {
    const summaries = await this.kafka.admin.describeTopics(this.specs);
    const byName = new Map(summaries.map((s) => [s.name, s.messages]));
    const out = new Map<RateTopic, number>();
    for (const [short, spec] of Object.entries(RATE_TOPICS) as [RateTopic, TopicSpec][]) {
      const messages = byName.get(this.config.topicPrefix + spec.name);
      if (messages !== undefined) out.set(short, messages);
    }
    return out;
  }

  /** The lag of each configured group on its topic, read from Kafka now. */
  async lag(groups: readonly LagGroup[]): Promise<GroupLagView[]> {
    const all = Object.values(topics) as TopicSpec[];
    return Promise.all(
      groups.map(async ({ group, topic }) => {
        const spec = all.find((t) => t.name === topic)!;
        const lag = await this.kafka.admin.groupLag(group, this.kafka.topic(spec));
        const committed = lag.partitions.some((p) => p.committed !== null);
        return {
          group,
          topic,
          total: committed ? Number(lag.total) : null,
          partitions: lag.partitions.map((p) => ({ partition: p.partition, lag: Number(p.lag), committed: p.committed !== null })),
        };
      }),
    );
  }

  async close(): Promise<void> {
    for (const loop of this.tails) await loop.stop().catch((error: unknown) => log('warn', 'a feed did not stop cleanly', { error: String(error) }));
    await this.deadLetters?.stop().catch((error: unknown) => log('warn', 'dead-letter follower did not stop cleanly', { error: String(error) }));
    if (this.registryReady) await this.registry.stop();
    await this.connection.close();
  }
}
