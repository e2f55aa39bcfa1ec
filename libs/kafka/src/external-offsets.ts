import type { DescMessage } from '@bufbuild/protobuf';
import { topics, type TopicSpec } from '@clickwise/contracts';
import { isRetriable } from '@clickwise/errors';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { ConsumedRecord } from './consumer.js';
import { deadLetterFor, decodeRecord } from './consumer.js';
import { KafkaProducer } from './producer.js';

/** A contiguous range of one partition, handed to the handler. */
export interface PartitionBatch<S extends DescMessage> {
  partition: number;
  /** Where the range starts: the position the handler's stored state stands at. */
  from: string;
  /** The offset after the range: store it with the state the range produced, atomically. */
  next: string;
  /** The decodable records of the range, in offset order (undecodable ones went to the DLQ). */
  records: ConsumedRecord<S>[];
  /**
   * The first offset in the log when the partition was opened. When nothing is stored, the only
   * range a handler may accept starts here.
   */
  logStart: string;
  /**
   * The consumer group's committed Kafka offset when the partition was opened (null: none).
   * Records below it were handled before (e.g. by a run whose state was since lost).
   */
  committed: string | null;
}

/** 'reopen': the stored offset is not where this range starts (another writer moved it, or state was lost). */
export type BatchResult = 'ok' | 'reopen';

export interface ExternalOffsetsHandler<S extends DescMessage> {
  /**
   * The next offset stored with the state for a partition, or null when nothing is stored (start
   * at the beginning of the log). Called on assignment, after 'reopen', and after a failed batch.
   */
  open(partition: number): Promise<string | null>;
  /** Applies a range and stores `next` with its effects, atomically. */
  handle(batch: PartitionBatch<S>): Promise<BatchResult>;
  /** A batch failed half-way: forget any in-memory state of the partition (it is reopened next). */
  abandon?(partition: number): void;
  /** The group gave this member these partitions (after every rebalance). */
  assigned?(partitions: number[]): void;
}

export interface ExternalOffsetsOptions<S extends DescMessage> {
  kafka: Kafka;
  groupId: string;
  topic: TopicSpec<S>;
  /** Topic name prefix (tests use one per test). */
  topicPrefix?: string;
  /** Name of the stage for dead letters ("features", ...). */
  stage: string;
  handler: ExternalOffsetsHandler<S>;
  deadLetters: KafkaProducer;
  /** Partitions handled at the same time (default 1); the handler must keep each partition's ranges in order. */
  partitionsConcurrently?: number;
  /** Most records handed over at once (a fetched batch is cut into ranges of this size; default 1000). */
  maxBatchRecords?: number;
  /** Cap of the exponential retry backoff (ms). */
  maxBackoffMs?: number;
  /** Group session timeout (ms; default 10,000): how soon a crashed member's partitions move. */
  sessionTimeoutMs?: number;
  /** How long a fetch waits for data (ms; default 20). */
  maxWaitTimeInMs?: number;
  maxDeadLetterPayload?: number;
  onError?: (error: unknown, context: { partition: number; offset: string; attempt: number }) => void;
  /** Notices (gaps accepted, seeks) for the service log. */
  onNotice?: (message: string, context: Record<string, unknown>) => void;
}

interface Cursor {
  /** Next offset to hand over. */
  next: bigint;
  /** The log's first offset when opened. */
  low: bigint;
  committed: bigint | null;
  /** The offset last sought to, so a gap after a seek is accepted instead of seeking forever. */
  soughtTo?: bigint;
}

/** How often a member heartbeats, also while it handles a batch. */
const HEARTBEAT_MS = 1_000;

/**
 * kafkajs heartbeats only between fetches and when a handler asks. A batch (or the partition open
 * it waits for) that outlasts the session timeout on a loaded box got the member evicted right
 * after it joined, and every partition reopened (a rebalance per restart). Keep the session alive
 * while the handler works.
 */
function heartbeating(handle: (payload: EachBatchPayload) => Promise<void>): (payload: EachBatchPayload) => Promise<void> {
  return async (payload) => {
    const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), HEARTBEAT_MS);
    try {
      await handle(payload);
    } finally {
      clearInterval(beat);
    }
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `promise` at most `ms`; rejections are ignored (shutdown steps). */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A consumer-group loop for stateful consumers that keep their consumed offsets *with their state*
 * (e.g. in the same Redis script that writes it), for effectively-once processing. Kafka's
 * committed offsets are only informational here (lag, and which records were handled before).
 *
 * On every assignment, and whenever the handler says 'reopen' or a batch fails, a partition is
 * reopened: the handler tells the stored offset, the loop seeks there (the log's beginning when
 * none is stored) and hands over contiguous ranges from exactly that offset; records before it
 * (redelivered) are skipped. Retriable failures are retried with capped backoff for as long as
 * the partition is assigned; a record that fails for good is dead-lettered and its offset stored
 * through an empty range, so it never blocks the partition.
 */
export class ExternalOffsetsConsumer<S extends DescMessage> {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly topicName: string;
  private readonly cursors = new Map<number, Promise<Cursor>>();
  private assignment: number[] = [];
  private stopped = false;
  private handledSinceOpen = new Set<number>();
  /** Admin requests in flight (stop waits for them: kafkajs leaves a request on a closed connection pending). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: ExternalOffsetsOptions<S>) {
    this.topicName = (options.topicPrefix ?? '') + options.topic.name;
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: HEARTBEAT_MS,
      rebalanceTimeout: 20_000,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 20,
      allowAutoTopicCreation: false,
    });
    this.admin = options.kafka.admin();
  }

  /** The underlying consumer, for instrumentation events. */
  get raw(): Consumer {
    return this.consumer;
  }

  /** Partitions assigned to this member now. */
  get assigned(): readonly number[] {
    return this.assignment;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      if (this.stopped) return;
      const partitions = event.payload.memberAssignment[this.topicName] ?? [];
      this.assignment = [...partitions].sort((a, b) => a - b);
      this.cursors.clear();
      this.handledSinceOpen.clear();
      this.options.handler.assigned?.(this.assignment);
      for (const p of this.assignment) void this.reopen(p).catch((error: unknown) => this.report(error, p, '-1', 0));
    });
    await this.consumer.subscribe({ topic: this.topicName, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: heartbeating(async (payload) => {
        const { batch } = payload;
        const alive = () => !this.stopped && payload.isRunning() && !payload.isStale();
        const p = batch.partition;
        const opened = this.cursor(p);
        let cursor = await opened;
        let messages = batch.messages;
        if (messages.length === 0 || !alive()) return;
        const first = BigInt(messages[0]!.offset);
        if (first > cursor.next) {
          if (cursor.soughtTo !== cursor.next) {
            this.seek(p, cursor);
            return;
          }
          // Asked for cursor.next and Kafka starts later: those offsets are gone (retention) or
          // were never records (control records). Accept the gap.
          this.options.onNotice?.('offsets skipped: not in the log', { partition: p, from: String(cursor.next), to: String(first) });
          cursor.next = first;
        }
        const start = messages.findIndex((m) => BigInt(m.offset) >= cursor.next);
        if (start !== 0) {
          // Redelivered records (already in the stored state): let kafkajs move past them.
          payload.resolveOffset(messages[start < 0 ? messages.length - 1 : start - 1]!.offset);
        }
        if (start < 0) {
          // All redelivered: jump instead of reading old batches one by one.
          if (cursor.soughtTo !== cursor.next) this.seek(p, cursor);
          return;
        }
        messages = messages.slice(start);
        const size = this.options.maxBatchRecords ?? 1000;
        // Stop when the partition was reopened meanwhile (its cursor replaced).
        const current = () => alive() && this.cursors.get(p) === opened;
        for (let i = 0; i < messages.length && current(); i += size) {
          const chunk = messages.slice(i, i + size);
          const next = BigInt(chunk.at(-1)!.offset) + 1n;
          const result = await this.process(p, cursor, chunk, next, () => payload.heartbeat(), current);
          if (result === 'stale') return;
          if (result === 'reopen') {
            cursor = await this.reopen(p);
            return;
          }
          cursor.next = next;
          this.handledSinceOpen.add(p);
          payload.resolveOffset(chunk.at(-1)!.offset);
          await payload.heartbeat();
        }
        if (!current()) return;
        if (cursor.committed === null || cursor.next > cursor.committed) {
          try {
            await this.consumer.commitOffsets([{ topic: this.topicName, partition: p, offset: String(cursor.next) }]);
            cursor.committed = cursor.next;
          } catch (error) {
            // Informational only: the stored offsets are the truth.
            this.report(error, p, String(cursor.next), 0);
          }
        }
      }),
    });
  }

  /** Reopens every assigned partition (e.g. after the state was lost): the handler's `open` decides where each resumes. */
  async reopenAll(): Promise<void> {
    await Promise.all(this.assignment.map((p) => this.reopen(p)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // kafkajs can leave a request written to a closing connection pending forever: bound each step.
    await settleWithin(this.consumer.disconnect(), 15_000);
    await settleWithin(Promise.allSettled([...this.inFlight]), 15_000);
    await settleWithin(this.admin.disconnect(), 5_000);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  private cursor(p: number): Promise<Cursor> {
    let cursor = this.cursors.get(p);
    if (!cursor) {
      cursor = this.load(p);
      this.cursors.set(p, cursor);
      cursor.catch(() => this.cursors.delete(p));
    }
    return cursor;
  }

  /** Asks the handler where a partition stands and seeks there. */
  private async reopen(p: number): Promise<Cursor> {
    this.cursors.delete(p);
    this.handledSinceOpen.delete(p);
    const cursor = await this.cursor(p);
    if (!this.stopped && this.assignment.includes(p) && !this.handledSinceOpen.has(p)) this.seek(p, cursor);
    return cursor;
  }

  private async load(p: number): Promise<Cursor> {
    const stored = await this.options.handler.open(p);
    if (this.stopped) throw new Error('consumer stopped');
    const [offsets, group] = await this.track(
      Promise.all([
        this.admin.fetchTopicOffsets(this.topicName),
        this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [this.topicName] }),
      ]),
    );
    const low = offsets.find((o) => o.partition === p)?.low ?? '0';
    const committed = group[0]?.partitions.find((o) => o.partition === p)?.offset;
    return {
      next: BigInt(stored ?? low),
      low: BigInt(low),
      committed: committed === undefined || BigInt(committed) < 0n ? null : BigInt(committed),
    };
  }

  private seek(p: number, cursor: Cursor): void {
    cursor.soughtTo = cursor.next;
    try {
      this.consumer.seek({ topic: this.topicName, partition: p, offset: String(cursor.next) });
    } catch (error) {
      this.report(error, p, String(cursor.next), 0);
    }
  }

  /** Decodes a range (dead-lettering what cannot be decoded, once) and hands it to the handler. */
  private async process(
    p: number,
    cursor: Cursor,
    messages: KafkaMessage[],
    next: bigint,
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<BatchResult | 'stale'> {
    const records: ConsumedRecord<S>[] = [];
    for (const message of messages) {
      try {
        records.push(decodeRecord(this.options.topic.value, message, this.topicName, p));
      } catch (error) {
        await this.deadLetter(message, p, 'decode_failed', `cannot decode ${this.options.topic.value.typeName}: ${reasonOf(error)}`);
      }
    }
    return this.attempt(p, cursor, cursor.next, records, next, heartbeat, alive);
  }

  /** Hands [from, next) to the handler, with retries; isolates a record that fails for good. */
  private async attempt(
    p: number,
    cursor: Cursor,
    from: bigint,
    records: ConsumedRecord<S>[],
    next: bigint,
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<BatchResult | 'stale'> {
    const maxBackoff = this.options.maxBackoffMs ?? 5_000;
    const range = (subset: ConsumedRecord<S>[], committed: string | null) => ({
      partition: p,
      from: String(from),
      next: String(next),
      records: subset,
      logStart: String(cursor.low),
      committed,
    });
    for (let attempt = 1; ; attempt++) {
      // Stopping, revoked or sought: leave the range for whoever handles the partition next.
      if (!alive()) return 'stale';
      try {
        return await this.options.handler.handle(range(records, cursor.committed === null ? null : String(cursor.committed)));
      } catch (error) {
        this.report(error, p, String(from), attempt);
        this.options.handler.abandon?.(p);
        // Did the write happen after all (a lost reply)? The stored offset says.
        const stored = await this.storedAfterFailure(p, cursor);
        if (stored === next) return 'ok';
        if (stored !== from) return 'reopen';
        if (!isRetriable(error)) {
          if (records.length <= 1) {
            const r = records[0];
            if (r) await this.deadLetter({ key: r.key === null ? null : Buffer.from(r.key), value: r.raw, offset: r.offset }, p, 'handler_rejected', reasonOf(error));
            // Store the offset past it with no effects, so the partition moves on.
            return this.options.handler.handle(range([], null));
          }
          const middle = Math.ceil(records.length / 2);
          const split = BigInt(records[middle]!.offset);
          const head = await this.attempt(p, cursor, from, records.slice(0, middle), split, heartbeat, alive);
          if (head !== 'ok') return head;
          return this.attempt(p, cursor, split, records.slice(middle), next, heartbeat, alive);
        }
        await heartbeat();
        await sleep(Math.min(maxBackoff, 100 * 2 ** (attempt - 1)));
      }
    }
  }

  /** The stored offset after a failed range (the log's beginning when none is stored), retried until known. */
  private async storedAfterFailure(p: number, cursor: Cursor): Promise<bigint> {
    for (;;) {
      try {
        const stored = await this.options.handler.open(p);
        if (stored !== null) return BigInt(stored);
        if (this.stopped) throw new Error('consumer stopped');
        const offsets = await this.track(this.admin.fetchTopicOffsets(this.topicName));
        return BigInt(offsets.find((o) => o.partition === p)?.low ?? String(cursor.next));
      } catch (error) {
        this.report(error, p, '-1', 0);
        if (this.stopped) throw error;
        await sleep(500);
      }
    }
  }

  private async deadLetter(message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>, partition: number, code: string, reason: string): Promise<void> {
    const letter = deadLetterFor(this.options.stage, message, { topic: this.topicName, partition }, code, reason, this.options.maxDeadLetterPayload);
    const name = (this.options.topicPrefix ?? '') + topics.deadLetters.name;
    await this.options.deadLetters.send(name, [KafkaProducer.encode(topics.deadLetters, message.key?.toString() ?? null, letter)]);
  }

  private report(error: unknown, partition: number, offset: string, attempt: number): void {
    this.options.onError?.(error, { partition, offset, attempt });
  }
}
