import type { EventSchema } from '@clickwise/contracts';
import { KafkaConnection as ServiceKafka, type ExternalOffsetsConsumer, type KafkaPlatform, type KafkaProducer, type OutgoingRecord } from '@clickwise/kafka';
import { ErasureFollower, ErasureLog } from '@clickwise/privacy';
import type { FeaturesConfig } from './config.js';
import { NoticeSink, type FeaturesService } from './features.service.js';
import { log, logger } from '@clickwise/service';

/** Notices per produce request: ~1.5 KB each, all for one partition, under the broker's 1 MB batch limit. */
const NOTICES_PER_REQUEST = 250;

/** The service's Kafka platform (topics under the prefix) and its one producer. */
export class KafkaConnection extends NoticeSink {
  readonly kafka: KafkaPlatform;
  readonly producer: KafkaProducer;
  private readonly connection: ServiceKafka;
  private readonly erasures: ErasureLog;

  constructor(config: FeaturesConfig) {
    super();
    // A batch's notices all go to one partition (the same shopper keys, the same partitioner):
    // few records per produce request, so a record batch stays under the broker's 1 MB limit.
    this.connection = new ServiceKafka('features', config, logger, { lingerMs: config.kafkaLingerMs, maxBatchRecords: NOTICES_PER_REQUEST });
    this.kafka = this.connection.kafka;
    this.producer = this.connection.producer;
    this.erasures = new ErasureLog(this.kafka, this.producer);
  }

  connect(): Promise<void> {
    return this.connection.connect();
  }

  async send(updates: OutgoingRecord[], deadLetters: OutgoingRecord[]): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const [topic, records] of [[this.kafka.topics.featuresUpdated, updates], [this.kafka.topics.deadLetters, deadLetters]] as const) {
      for (let i = 0; i < records.length; i += NOTICES_PER_REQUEST) {
        sends.push(this.producer.send(topic, records.slice(i, i + NOTICES_PER_REQUEST)));
      }
    }
    await Promise.all(sends);
  }

  /** Writes an erasure request to the compacted privacy.erasures.v1 (the record every service honours). */
  publishErasure(shopperKey: string, requestedAtMs: number, requestedBy: string): Promise<void> {
    return this.erasures.publish({ shopperKey, requestedAtMs, requestedBy });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/**
 * Runs the consumers: privacy.erasures.v1 (every replica reads all of it, in its own group, and
 * is caught up before any event is applied) and clickstream.events.v1 (the group shares the
 * partitions; offsets live in Redis with the state), plus a watchdog that notices a lost state.
 */
export class FeaturesRuntime {
  private events: ExternalOffsetsConsumer<typeof EventSchema> | undefined;
  private erasures: ErasureFollower | undefined;
  private watchdog: NodeJS.Timeout | undefined;
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
    const kafka = this.connection.kafka;
    const sourceTopic = kafka.topics.events.name;
    this.events = kafka.externalOffsetsConsumer({
      groupId: this.config.groupId,
      topic: kafka.topics.events,
      stage: 'features',
      handler: this.service,
      deadLetters: this.connection.producer,
      maxBatchRecords: this.config.maxBatchRecords,
      sessionTimeoutMs: this.config.sessionTimeoutMs,
      groupInstanceId: this.config.instanceId,
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
    await this.service.clearsSettled();
    await this.erasures?.stop().catch((error: unknown) => log('warn', 'erasures consumer did not stop cleanly', { error: String(error) }));
  }

  /** Applies every erasure (each replica reads all of privacy.erasures.v1) and waits to have caught up. */
  private async startErasures(): Promise<void> {
    this.erasures = new ErasureFollower(this.connection.kafka, {
      groupPrefix: this.config.groupId,
      stage: 'features',
      deadLetters: this.connection.producer,
      catchUpTimeoutMs: this.config.erasureCatchUpMs,
      apply: async ({ shopperKey, requestedAtMs }) => {
        await this.service.erase(shopperKey, requestedAtMs);
      },
      onError: (error) => log('warn', 'erasure handling failed; retrying', { error: String(error) }),
    });
    const catchUp = await this.erasures.start();
    if (!catchUp.caughtUp) log('warn', 'erasures not caught up in time; applying events anyway', { ends: Object.fromEntries([...catchUp.ends].map(([p, end]) => [p, String(end)])) });
  }
}
