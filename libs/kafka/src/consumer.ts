import { create, fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { DeadLetterSchema, topics, type TopicSpec } from '@clickwise/contracts';
import { isRetriable } from '@clickwise/errors';
import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { KafkaProducer } from './producer.js';

/** One decoded record handed to a handler. */
export interface ConsumedRecord<S extends DescMessage> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: MessageShape<S>;
  headers: IHeaders | undefined;
  /** Kafka timestamp (ingestion time for catalogue topics), unix ms. */
  timestampMs: number;
  /** The raw value bytes (for dead letters). */
  raw: Buffer;
}

export interface ConsumerOptions<S extends DescMessage> {
  kafka: Kafka;
  groupId: string;
  topic: TopicSpec<S>;
  /** Topic name prefix (tests use one per test). */
  topicPrefix?: string;
  /** Name of the stage for dead letters ("features", ...). */
  stage: string;
  /** Handles a batch of one partition, in offset order. Throw to retry; see `maxAttempts`. */
  handle: (records: ConsumedRecord<S>[]) => Promise<void>;
  /** Where undecodable and unprocessable records go. */
  deadLetters: KafkaProducer;
  fromBeginning?: boolean;
  /** Attempts for a failing batch before it is split to find the poison record (default 5). */
  maxAttempts?: number;
  /** Cap of the exponential retry backoff (ms). */
  maxBackoffMs?: number;
  /** Largest DLQ payload kept (bytes). */
  maxDeadLetterPayload?: number;
  onError?: (error: unknown, context: { partition: number; offset: string; attempt: number }) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Builds the dead letter for a record a stage could not handle. */
export function deadLetterFor(
  stage: string,
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>,
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
export function decodeRecord<S extends DescMessage>(schema: S, message: KafkaMessage, topic: string, partition: number): ConsumedRecord<S> {
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

/**
 * A consumer-group loop: decodes protobuf values, hands each partition's batch to `handle`, commits
 * offsets only after it succeeded, retries failures with capped exponential backoff and, when a
 * batch keeps failing (or an error is not retriable), splits it so that only the poison record goes
 * to the dead-letter topic and the partition moves on.
 */
export class ConsumerLoop<S extends DescMessage> {
  private readonly consumer: Consumer;
  private readonly topicName: string;
  private stopped = false;

  constructor(private readonly options: ConsumerOptions<S>) {
    this.topicName = (options.topicPrefix ?? '') + options.topic.name;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: 50,
      allowAutoTopicCreation: false,
    });
  }

  /** The underlying consumer, for seek/pause and instrumentation events. */
  get raw(): Consumer {
    return this.consumer;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topicName, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const alive = () => payload.isRunning() && !payload.isStale();
        const where = { topic: batch.topic, partition: batch.partition };
        const decoded: ConsumedRecord<S>[] = [];
        const poison: { message: KafkaMessage; code: string; reason: string }[] = [];
        for (const message of batch.messages) {
          try {
            decoded.push(decodeRecord(this.options.topic.value, message, batch.topic, batch.partition));
          } catch (error) {
            poison.push({ message, code: 'decode_failed', reason: `cannot decode ${this.options.topic.value.typeName}: ${reasonOf(error)}` });
          }
        }
        for (const p of poison) await this.deadLetter(p.message, where, p.code, p.reason);
        if (decoded.length > 0) await this.process(decoded, () => payload.heartbeat(), alive);
        if (!alive()) return;
        const last = batch.messages.at(-1);
        if (last) {
          // With eachBatchAutoResolve off, kafkajs fetches from the last *resolved* offset, not the
          // committed one: without this the same batch is fetched and handled again, endlessly.
          payload.resolveOffset(last.offset);
          await this.consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.disconnect();
  }

  /** Runs `handle` with retries; on persistent failure isolates the bad records by halving. */
  private async process(records: ConsumedRecord<S>[], heartbeat: () => Promise<void>, alive: () => boolean): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    const maxBackoff = this.options.maxBackoffMs ?? 5_000;
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (this.stopped || !alive()) throw new Error('consumer stopping: batch left uncommitted');
      try {
        await this.options.handle(records);
        return;
      } catch (error) {
        lastError = error;
        this.options.onError?.(error, { partition: records[0]!.partition, offset: records[0]!.offset, attempt });
        if (!isRetriable(error)) break;
        await heartbeat();
        await sleep(Math.min(maxBackoff, 100 * 2 ** (attempt - 1)));
      }
    }
    if (records.length === 1) {
      const r = records[0]!;
      await this.deadLetter(
        { key: r.key === null ? null : Buffer.from(r.key), value: r.raw, offset: r.offset },
        { topic: r.topic, partition: r.partition },
        isRetriable(lastError) ? 'retries_exhausted' : 'handler_rejected',
        reasonOf(lastError),
      );
      return;
    }
    const middle = Math.ceil(records.length / 2);
    await this.process(records.slice(0, middle), heartbeat, alive);
    await this.process(records.slice(middle), heartbeat, alive);
  }

  private async deadLetter(
    message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>,
    where: { topic: string; partition: number },
    code: string,
    reason: string,
  ): Promise<void> {
    const letter = deadLetterFor(this.options.stage, message, where, code, reason, this.options.maxDeadLetterPayload);
    const name = (this.options.topicPrefix ?? '') + topics.deadLetters.name;
    await this.options.deadLetters.send(name, [
      KafkaProducer.encode(topics.deadLetters, message.key?.toString() ?? null, letter),
    ]);
  }
}
