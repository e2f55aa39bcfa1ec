import { create, fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { DeadLetterSchema } from '@clickwise/contracts';
import type { AdapterConsumer, ClientAdapter, RawMessage, RecordHeaders } from './adapter.js';
import type { KafkaProducer } from './producer.js';
import { OffsetCommitter } from './committer.js';
import { handleIsolating } from './retry.js';
import type { Topic } from './topic.js';
import { countDeadLetter } from '@clickwise/telemetry';

/** One decoded record handed to a handler. */
export interface ConsumedRecord<S extends DescMessage> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: MessageShape<S>;
  headers: RecordHeaders | undefined;
  /** Kafka timestamp (ingestion time for catalogue topics), unix ms. */
  timestampMs: number;
  /** The raw value bytes (for dead letters). */
  raw: Buffer;
}

/** What a dead letter keeps of the original record. */
export interface DeadLetterSource {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
}

export interface ConsumerOptions<S extends DescMessage> {
  groupId: string;
  /** The topic to read (a handle of the platform: its prefix is bound). */
  topic: Topic<S>;
  /** Name of the stage for dead letters ("features", ...). */
  stage: string;
  /**
   * Handles a batch of one partition, in offset order. A retriable error is retried with capped
   * backoff while the partition is assigned; a non-retriable one is isolated and dead-lettered
   * (see retry.ts).
   */
  handle: (records: ConsumedRecord<S>[]) => Promise<void>;
  /** Writes the dead letters (to the platform's clickstream.dlq.v1). */
  deadLetters: KafkaProducer;
  fromBeginning?: boolean;
  /** Cap of the exponential retry backoff (ms). */
  maxBackoffMs?: number;
  /** Largest DLQ payload kept (bytes). */
  maxDeadLetterPayload?: number;
  /** Group session timeout (ms; default 10,000). */
  sessionTimeoutMs?: number;
  /** Static group membership: this instance's stable id (clients that support it; ADR 0044). */
  groupInstanceId?: string;
  /** How long a fetch waits for data (ms; default 50). */
  maxWaitTimeMs?: number;
  /** Partitions' batches handled at the same time (default 1); each partition's stay in order. */
  partitionsConcurrently?: number;
  /** A failed attempt at a batch, or (`commit: true`) a commit that failed and will be tried again. */
  onError?: (error: unknown, context: { partition: number; offset: string; attempt: number; commit?: true }) => void;
  /** The group gave this member these partitions of the topic (after every rebalance). */
  onAssigned?: (partitions: number[]) => void;
}

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Builds the dead letter for a record a stage could not handle. */
export function deadLetterFor(
  stage: string,
  message: DeadLetterSource,
  where: { topic: string; partition: number },
  reasonCode: string,
  reason: string,
  maxPayload = 64 * 1024,
) {
  const value = message.value ?? Buffer.alloc(0);
  const truncated = value.length > maxPayload;
  return create(DeadLetterSchema, {
    stage,
    source: where.topic,
    reasonCode,
    reason,
    payload: truncated ? value.subarray(0, maxPayload) : value,
    truncated,
    originalSize: value.length,
    originalTopic: where.topic,
    originalPartition: where.partition,
    originalOffset: BigInt(message.offset),
    rejectedAtMs: BigInt(Date.now()),
  });
}

/** Decodes one fetched record with `schema`; throws when the bytes are not that message. */
export function decodeRecord<S extends DescMessage>(schema: S, message: RawMessage, topic: string, partition: number): ConsumedRecord<S> {
  const value = message.value ?? Buffer.alloc(0);
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: fromBinary(schema, value),
    headers: message.headers,
    timestampMs: Number(message.timestamp),
    raw: value,
  };
}

/** The source of a decoded record, for its dead letter. */
export function sourceOf(record: ConsumedRecord<DescMessage>): DeadLetterSource {
  return { key: record.key === null ? null : Buffer.from(record.key), value: record.raw, offset: record.offset };
}

/** Writes dead letters of one stage to the platform's DLQ topic. */
export class DeadLetterWriter {
  constructor(
    private readonly topic: Topic<typeof DeadLetterSchema>,
    private readonly producer: KafkaProducer,
    private readonly stage: string,
    private readonly maxPayload?: number,
  ) {}

  async write(message: DeadLetterSource, where: { topic: string; partition: number }, code: string, reason: string): Promise<void> {
    const letter = deadLetterFor(this.stage, message, where, code, reason, this.maxPayload);
    await this.producer.send(this.topic, [this.topic.record(letter, { key: message.key?.toString() ?? null })]);
    countDeadLetter(this.stage, code);
  }
}

/**
 * A consumer-group loop: decodes protobuf values, hands each partition's batch to `handle`, commits
 * offsets only after it succeeded (in the background, ADR 0085). Failures follow the one policy of retry.ts; an undecodable
 * record goes straight to the DLQ.
 */
export class ConsumerLoop<S extends DescMessage> {
  private readonly consumer: AdapterConsumer;
  private readonly letters: DeadLetterWriter;
  private readonly committer: OffsetCommitter;
  private assignment: number[] = [];
  private stopped = false;

  /** Built by KafkaPlatform.consumerLoop. */
  constructor(
    adapter: ClientAdapter,
    deadLetterTopic: Topic<typeof DeadLetterSchema>,
    private readonly options: ConsumerOptions<S>,
  ) {
    this.consumer = adapter.consumer({
      groupId: options.groupId,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 20_000,
      maxWaitTimeMs: options.maxWaitTimeMs ?? 50,
      groupInstanceId: options.groupInstanceId,
    });
    this.letters = new DeadLetterWriter(deadLetterTopic, options.deadLetters, options.stage, options.maxDeadLetterPayload);
    this.committer = new OffsetCommitter(this.consumer, options.topic.name, (error, partitions) => {
      for (const partition of partitions) options.onError?.(error, { partition, offset: '-1', attempt: 0, commit: true });
    });
  }

  /** Partitions assigned to this member now. */
  get assigned(): readonly number[] {
    return this.assignment;
  }

  async start(): Promise<void> {
    const topic = this.options.topic;
    this.consumer.onAssigned((assignment) => {
      this.assignment = [...(assignment[topic.name] ?? [])].sort((a, b) => a - b);
      this.committer.assigned(this.assignment);
      this.options.onAssigned?.(this.assignment);
    });
    await this.consumer.connect();
    await this.consumer.subscribe(topic.name, this.options.fromBeginning ?? true);
    await this.consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const alive = () => !this.stopped && payload.isRunning() && !payload.isStale();
        const where = { topic: batch.topic, partition: batch.partition };
        const decoded: ConsumedRecord<S>[] = [];
        for (const message of batch.messages) {
          try {
            decoded.push(decodeRecord(topic.spec.value, message, batch.topic, batch.partition));
          } catch (error) {
            await this.letters.write(message, where, 'decode_failed', `cannot decode ${topic.spec.value.typeName}: ${reasonOf(error)}`);
          }
        }
        if (decoded.length > 0) {
          const result = await handleIsolating(
            decoded.length,
            {
              run: async (lo, hi) => {
                await this.options.handle(decoded.slice(lo, hi));
                return 'ok';
              },
              reject: async (index, _lo, _hi, error) => {
                const r = index === undefined ? undefined : decoded[index];
                if (r) await this.letters.write(sourceOf(r), where, 'handler_rejected', reasonOf(error));
                return 'ok';
              },
              alive,
              heartbeat: () => payload.heartbeat(),
              onError: (error, lo, attempt) => this.options.onError?.(error, { partition: batch.partition, offset: decoded[lo]?.offset ?? '-1', attempt }),
            },
            { maxBackoffMs: this.options.maxBackoffMs },
          );
          if (result !== 'ok') return;
        }
        if (!alive()) return;
        const last = batch.messages.at(-1);
        if (last) {
          // The next fetch starts after the last *resolved* offset, not the committed one: without
          // this the same batch is fetched and handled again, endlessly.
          payload.resolveOffset(last.offset);
          // Committed off this path (ADR 0085): the partition's next fetch does not wait for it.
          this.committer.note(batch.partition, (BigInt(last.offset) + 1n).toString());
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.committer.flush();
    await this.consumer.disconnect();
  }
}
