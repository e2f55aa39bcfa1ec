import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { create } from '@bufbuild/protobuf';
import { ErasureRecordSchema, type EventSchema, topics } from '@clickwise/contracts';
import { ConsumerLoop, createKafka, ExternalOffsetsConsumer, KafkaProducer, type OutgoingRecord } from '@clickwise/kafka';
import type { FeaturesConfig } from './config.js';
import { NoticeSink, type FeaturesService } from './features.service.js';
import { log, logger } from '@clickwise/service';

type Kafka = ReturnType<typeof createKafka>;

/** Notices per produce request: ~1.5 KB each, all for one partition, under the broker's 1 MB batch limit. */
const NOTICES_PER_REQUEST = 250;

/** The service's Kafka client and its one producer. */
export class KafkaConnection extends NoticeSink {
  readonly kafka: Kafka;
  readonly producer: KafkaProducer;

  constructor(private readonly config: FeaturesConfig) {
    super();
    this.kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'clickwise-features', requestTimeoutMs: 10_000, logger: logger.child('kafkajs') });
    // A batch's notices all go to one partition (the same shopper keys, the same partitioner):
    // few records per produce request, so a record batch stays under the broker's 1 MB limit.
    this.producer = new KafkaProducer(this.kafka, { lingerMs: config.kafkaLingerMs, maxBatchRecords: NOTICES_PER_REQUEST });
  }

  topic(name: string): string {
    return this.config.topicPrefix + name;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  async send(updates: OutgoingRecord[], deadLetters: OutgoingRecord[]): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const [name, records] of [[topics.featuresUpdated.name, updates], [topics.deadLetters.name, deadLetters]] as const) {
      for (let i = 0; i < records.length; i += NOTICES_PER_REQUEST) {
        sends.push(this.producer.send(this.topic(name), records.slice(i, i + NOTICES_PER_REQUEST)));
      }
    }
    await Promise.all(sends);
  }

  /** Writes an erasure request to the compacted privacy.erasures.v1 (the record every service honours). */
  async publishErasure(shopperKey: string, requestedAtMs: number, requestedBy: string): Promise<void> {
    const record = create(ErasureRecordSchema, { shopperKey, requestedAtMs: BigInt(requestedAtMs), requestedBy });
    await this.producer.send(this.topic(topics.erasures.name), [KafkaProducer.encode(topics.erasures, shopperKey, record)]);
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

/**
 * Runs the consumers: privacy.erasures.v1 (every replica reads all of it, in its own group, and
 * is caught up before any event is applied) and clickstream.events.v1 (the group shares the
 * partitions; offsets live in Redis with the state), plus a watchdog that notices a lost state.
 */
export class FeaturesRuntime {
  private events: ExternalOffsetsConsumer<typeof EventSchema> | undefined;
  private erasures: ConsumerLoop<typeof ErasureRecordSchema> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly erasureProgress = new Map<number, bigint>();
  running = false;

  constructor(
    private readonly config: FeaturesConfig,
    private readonly connection: KafkaConnection,
    private readonly service: FeaturesService,
  ) {}

  get assigned(): readonly number[] {
    return this.events?.assigned ?? [];
  }

  async start(): Promise<void> {
    const started = Date.now();
    const created = await this.service.ensureState();
    if (created) log('info', 'no feature state for these definitions: building it from the beginning of the event log', { definitionsVersion: this.service.definitionsVersion });
    await this.startErasures();
    log('info', 'erasures read', { ms: Date.now() - started });
    const sourceTopic = this.connection.topic(topics.events.name);
    this.events = new ExternalOffsetsConsumer({
      kafka: this.connection.kafka,
      groupId: this.config.groupId,
      topic: topics.events,
      topicPrefix: this.config.topicPrefix,
      stage: 'features',
      handler: this.service,
      deadLetters: this.connection.producer,
      maxBatchRecords: this.config.maxBatchRecords,
      sessionTimeoutMs: this.config.sessionTimeoutMs,
      partitionsConcurrently: this.config.partitionsConcurrently,
      maxWaitTimeInMs: this.config.fetchWaitMs,
      maxDeadLetterPayload: this.config.dlqMaxPayloadBytes,
      onError: (error, where) => log('warn', 'batch failed; retrying from the stored offset', { ...where, topic: sourceTopic, error: String(error) }),
      onNotice: (message, context) => log('warn', message, context),
    });
    this.service.onStateLost = async () => {
      await this.events?.reopenAll();
    };
    await this.events.start();
    log('info', 'events consumer joined its group', { ms: Date.now() - started, partitions: this.events.assigned });
    this.watchdog = setInterval(() => {
      this.service.checkState().catch((error: unknown) => log('warn', 'state check failed', { error: String(error) }));
    }, this.config.lossCheckMs);
    this.watchdog.unref();
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.watchdog) clearInterval(this.watchdog);
    await this.events?.stop().catch((error: unknown) => log('warn', 'events consumer did not stop cleanly', { error: String(error) }));
    await this.erasures?.stop().catch((error: unknown) => log('warn', 'erasures consumer did not stop cleanly', { error: String(error) }));
  }

  /** Reads every erasure (from the beginning, in a group of its own) and waits to have caught up. */
  private async startErasures(): Promise<void> {
    const topic = this.connection.topic(topics.erasures.name);
    const admin = this.connection.kafka.admin();
    await admin.connect();
    let ends: { partition: number; low: string; high: string }[];
    try {
      ends = (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, low: o.low, high: o.high }));
    } finally {
      await admin.disconnect();
    }
    this.erasures = new ConsumerLoop({
      kafka: this.connection.kafka,
      groupId: `${this.config.groupId}-erasures-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      topic: topics.erasures,
      topicPrefix: this.config.topicPrefix,
      stage: 'features',
      deadLetters: this.connection.producer,
      fromBeginning: true,
      handle: async (records) => {
        for (const r of records) {
          const shopperKey = r.value.shopperKey || r.key || '';
          if (shopperKey !== '') await this.service.erase(shopperKey, Number(r.value.requestedAtMs));
          this.erasureProgress.set(r.partition, BigInt(r.offset) + 1n);
        }
      },
      onError: (error) => log('warn', 'erasure handling failed; retrying', { error: String(error) }),
    });
    await this.erasures.start();
    const deadline = Date.now() + this.config.erasureCatchUpMs;
    const caughtUp = () => ends.every((e) => e.low === e.high || (this.erasureProgress.get(e.partition) ?? 0n) >= BigInt(e.high));
    while (!caughtUp()) {
      if (Date.now() > deadline) {
        log('warn', 'erasures not caught up in time; applying events anyway', { ends });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
