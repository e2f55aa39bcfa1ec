import type { DescMessage } from '@bufbuild/protobuf';
import type { DeadLetterSchema } from '@clickwise/contracts';
import type { AdapterAdmin, AdapterConsumer, BatchContext, ClientAdapter, RawMessage } from './adapter.js';
import { DeadLetterWriter, decodeRecord, sourceOf, type ConsumedRecord } from './consumer.js';
import type { KafkaProducer } from './producer.js';
import { OffsetCommitter } from './committer.js';
import { handleIsolating } from './retry.js';
import type { Topic } from './topic.js';

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
  groupId: string;
  /** The topic to read (a handle of the platform: its prefix is bound). */
  topic: Topic<S>;
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
  /** Static group membership: this instance's stable id (clients that support it; ADR 0044). */
  groupInstanceId?: string;
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
function heartbeating(handle: (payload: BatchContext) => Promise<void>): (payload: BatchContext) => Promise<void> {
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
type Outcome = BatchResult | 'stale';

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
 * (redelivered) are skipped. Failures follow the one policy of retry.ts; a record that fails for
 * good is dead-lettered and its offset stored through an empty range, so it never blocks the
 * partition.
 */
export class ExternalOffsetsConsumer<S extends DescMessage> {
  private readonly consumer: AdapterConsumer;
  private readonly admin: AdapterAdmin;
  private readonly letters: DeadLetterWriter;
  private readonly committer: OffsetCommitter;
  private readonly topicName: string;
  private readonly cursors = new Map<number, Promise<Cursor>>();
  private assignment: number[] = [];
  private stopped = false;
  private handledSinceOpen = new Set<number>();
  /** Admin requests in flight (stop waits for them: kafkajs leaves a request on a closed connection pending). */
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Built by KafkaPlatform.externalOffsetsConsumer. */
  constructor(
    adapter: ClientAdapter,
    deadLetterTopic: Topic<typeof DeadLetterSchema>,
    private readonly options: ExternalOffsetsOptions<S>,
  ) {
    this.topicName = options.topic.name;
    this.consumer = adapter.consumer({
      groupId: options.groupId,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: HEARTBEAT_MS,
      rebalanceTimeoutMs: 20_000,
      maxWaitTimeMs: options.maxWaitTimeInMs ?? 20,
      groupInstanceId: options.groupInstanceId,
    });
    this.admin = adapter.admin();
    this.letters = new DeadLetterWriter(deadLetterTopic, options.deadLetters, options.stage, options.maxDeadLetterPayload);
    // Informational only (the stored offsets are the truth): failures are reported, never fatal.
    this.committer = new OffsetCommitter(this.consumer, this.topicName, (error, partitions) => {
      for (const p of partitions) this.report(error, p, '-1', 0);
    });
  }

  /** Partitions assigned to this member now. */
  get assigned(): readonly number[] {
    return this.assignment;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    this.consumer.onAssigned((assignment) => {
      if (this.stopped) return;
      const partitions = assignment[this.topicName] ?? [];
      this.assignment = [...partitions].sort((a, b) => a - b);
      this.committer.assigned(this.assignment);
      this.cursors.clear();
      this.handledSinceOpen.clear();
      this.options.handler.assigned?.(this.assignment);
      for (const p of this.assignment) void this.reopen(p).catch((error: unknown) => this.report(error, p, '-1', 0));
    });
    await this.consumer.subscribe(this.topicName, true);
    await this.consumer.run({
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
          // Off the batch path (ADR 0085): the partition's next fetch does not wait for Kafka.
          this.committer.note(p, String(cursor.next));
          cursor.committed = cursor.next;
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
    await settleWithin(this.committer.flush(), 5_000);
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
      Promise.all([this.admin.topicOffsets(this.topicName), this.admin.groupOffsets(this.options.groupId, this.topicName)]),
    );
    const low = offsets.find((o) => o.partition === p)?.low ?? '0';
    const committed = group.find((o) => o.partition === p)?.offset;
    return {
      next: BigInt(stored ?? low),
      low: BigInt(low),
      committed: committed === undefined || BigInt(committed) < 0n ? null : BigInt(committed),
    };
  }

  private seek(p: number, cursor: Cursor): void {
    cursor.soughtTo = cursor.next;
    try {
      this.consumer.seek(this.topicName, p, String(cursor.next));
    } catch (error) {
      this.report(error, p, String(cursor.next), 0);
    }
  }

  /** Decodes a range (dead-lettering what cannot be decoded, once) and hands it to the handler. */
  private async process(
    p: number,
    cursor: Cursor,
    messages: RawMessage[],
    next: bigint,
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<Outcome> {
    const records: ConsumedRecord<S>[] = [];
    for (const message of messages) {
      try {
        records.push(decodeRecord(this.options.topic.spec.value, message, this.topicName, p));
      } catch (error) {
        await this.letters.write(message, { topic: this.topicName, partition: p }, 'decode_failed', `cannot decode ${this.options.topic.spec.value.typeName}: ${reasonOf(error)}`);
      }
    }
    const from = cursor.next;
    // Sub-range [lo, hi) of the records starts at `start(lo)` and ends before `end(hi)`.
    const start = (lo: number) => (lo === 0 ? from : BigInt(records[lo]!.offset));
    const end = (hi: number) => (hi === records.length ? next : BigInt(records[hi]!.offset));
    const range = (lo: number, hi: number, subset: ConsumedRecord<S>[], committed: string | null): PartitionBatch<S> => ({
      partition: p,
      from: String(start(lo)),
      next: String(end(hi)),
      records: subset,
      logStart: String(cursor.low),
      committed,
    });
    return handleIsolating<'reopen'>(
      records.length,
      {
        // Stopping, revoked or sought: leave the range for whoever handles the partition next.
        alive,
        heartbeat,
        run: (lo, hi) => this.options.handler.handle(range(lo, hi, records.slice(lo, hi), cursor.committed === null ? null : String(cursor.committed))),
        settle: async (lo, hi) => {
          this.options.handler.abandon?.(p);
          // Did the write happen after all (a lost reply)? The stored offset says.
          const stored = await this.storedAfterFailure(p, cursor);
          if (stored === end(hi)) return 'ok';
          if (stored !== start(lo)) return 'reopen';
          return undefined;
        },
        reject: async (index, lo, hi, error) => {
          const r = index === undefined ? undefined : records[index];
          if (r) await this.letters.write(sourceOf(r), { topic: this.topicName, partition: p }, 'handler_rejected', reasonOf(error));
          // Store the offset past it with no effects, so the partition moves on.
          return this.options.handler.handle(range(lo, hi, [], null));
        },
        onError: (error, lo, attempt) => this.report(error, p, String(start(lo)), attempt),
      },
      { maxBackoffMs: this.options.maxBackoffMs },
    );
  }

  /** The stored offset after a failed range (the log's beginning when none is stored), retried until known. */
  private async storedAfterFailure(p: number, cursor: Cursor): Promise<bigint> {
    for (;;) {
      try {
        const stored = await this.options.handler.open(p);
        if (stored !== null) return BigInt(stored);
        if (this.stopped) throw new Error('consumer stopped');
        const offsets = await this.track(this.admin.topicOffsets(this.topicName));
        return BigInt(offsets.find((o) => o.partition === p)?.low ?? String(cursor.next));
      } catch (error) {
        this.report(error, p, '-1', 0);
        if (this.stopped) throw error;
        await sleep(500);
      }
    }
  }

  private report(error: unknown, partition: number, offset: string, attempt: number): void {
    this.options.onError?.(error, { partition, offset, attempt });
  }
}
