import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { topics, type EventSchema } from '@clickwise/contracts';
import type { CommitResult, EventOutcome, OpenedPartition, PreparedBatch, StoredPosition } from '@clickwise/feature-store';
import { SHOPPER_ERASED, TOO_LATE, toFeatureEvent, type FeatureEvent } from '@clickwise/features';
import {
  deadLetterFor,
  extractTrace,
  injectTrace,
  KafkaProducer,
  traceparentOf,
  type BatchResult,
  type ConsumedRecord,
  type ExternalOffsetsHandler,
  type OutgoingRecord,
  type PartitionBatch,
} from '@clickwise/kafka';
import type { FeaturesMetrics } from './features.metrics.js';
import { log } from '@clickwise/service';
import { SectionLock } from './mutex.js';
import { NoticeEncoder } from './notice-codec.js';
import { decodeOutbox, encodeOutbox } from './outbox-codec.js';

/** The Redis side, as the service uses it (RedisFeatureExecutor; fakes in unit tests). */
export abstract class FeatureState {
  abstract readonly definitionsVersion: string;
  abstract open(partition: number): Promise<OpenedPartition>;
  abstract isOpen(partition: number): boolean;
  /** The stored offset the open partition's next write must find (null: none stored). */
  abstract storedOffset(partition: number): string | null | undefined;
  abstract close(partition: number): void;
  abstract closeAll(): void;
  abstract prepare(partition: number, events: readonly FeatureEvent[], notify: (index: number) => boolean): Promise<PreparedBatch>;
  /** Writes the batch, `nextOffset` and the range's outbox (encoded notices; null: none) atomically. */
  abstract commit(batch: PreparedBatch, nextOffset: string, outbox: Buffer | null): Promise<CommitResult>;
  /** Deletes the partition's outbox of the range ending at `next` (not a later one). */
  abstract clearOutbox(partition: number, next: string): Promise<boolean>;
  abstract erase(shopperKey: string, requestedAtMs: number): Promise<number>;
  abstract ensureMeta(): Promise<boolean>;
  abstract metaExists(): Promise<boolean>;
  abstract positions(): Promise<Map<number, StoredPosition>>;
}

/** Where notices go: features.updated.v1 and the DLQ (resolves once Kafka acknowledged both). */
export abstract class NoticeSink {
  abstract send(updates: OutgoingRecord[], deadLetters: OutgoingRecord[]): Promise<void>;
}

export interface FeaturesServiceOptions {
  stage?: string;
  /** Source topic name with any prefix (for dead letters). */
  sourceTopic: string;
  dlqMaxPayloadBytes?: number;
  /** Put the shopper and session values the event fed in each notice (default: only the snapshot version). */
  noticeValues?: boolean;
  /**
   * With a tracer (the service exports spans: OTEL_EXPORTER_OTLP_ENDPOINT), each applied event gets
   * a span, child of the ingest request's context in the record's headers, from the range's start
   * until its notice was acknowledged; the notice carries that span's context, so prediction's span
   * continues the same trace. Without one, the notice carries the ingest context as it came.
   */
  tracer?: Tracer;
  now?: () => number;
}

/** The W3C traceparent of a span (`00-<trace id>-<span id>-<flags>`). */
function traceparentOfSpan(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${c.traceFlags.toString(16).padStart(2, '0')}`;
}

/**
 * Applies the clickstream to the feature state, effectively once, and says so on Kafka.
 *
 * For each contiguous range of one partition: fold the events in memory (the shared engine), write
 * the state, the next offset and the range's notices (a FeatureUpdate per applied event; a dead
 * letter per too-late or erased event) as its outbox in one Redis script, then send the notices
 * and, once Kafka acknowledged them, delete the outbox (ADR 0037). So a reader that gets a notice
 * finds Redis at least at the notice's snapshot version. A crash between the write and the ack
 * leaves the outbox: whoever opens the partition next sends it before anything else (the same
 * notices again, perhaps twice; never none). Notices for records below the group's committed Kafka
 * offset are not sent again when a lost state is rebuilt: they went out the first time.
 */
export class FeaturesService implements ExternalOffsetsHandler<typeof EventSchema> {
  private readonly lock = new SectionLock();
  /** Partition → when it was last opened, until its first range is applied (logged: restart-to-resume). */
  private readonly openedAt = new Map<number, number>();
  private readonly encoder = new NoticeEncoder();
  /**
   * Partition → the outbox delete of its last range, still in flight. It is not on the batch's
   * path (the next fetch does not wait for a Redis round trip that changes nothing a reader sees:
   * the notices are acknowledged, and the next range's commit replaces the outbox anyway); the
   * partition's next section, and every exclusive one, waits for it (ADR 0083).
   */
  private readonly clearing = new Map<number, Promise<void>>();
  private readonly stage: string;
  private readonly now: () => number;
  /** Set by the runtime: reopen every partition after the state was lost. */
  onStateLost: () => Promise<void> = () => Promise.resolve();

  constructor(
    private readonly state: FeatureState,
    private readonly notices: NoticeSink,
    private readonly metrics: FeaturesMetrics,
    private readonly options: FeaturesServiceOptions,
  ) {
    this.stage = options.stage ?? 'features';
    this.now = options.now ?? Date.now;
  }

  get definitionsVersion(): string {
    return this.state.definitionsVersion;
  }

  /** Creates the sentinel when missing; true when there was no state (a build from the beginning). */
  ensureState(): Promise<boolean> {
    return this.lock.exclusive(() => this.state.ensureMeta());
  }

  open(partition: number): Promise<string | null> {
    return this.lock.partition(partition, async () => (await this.openPartition(partition)).offset);
  }

  abandon(partition: number): void {
    this.state.close(partition);
  }

  assigned(partitions: number[]): void {
    // Another member may have written our new partitions meanwhile: trust only Redis.
    this.state.closeAll();
    log('info', 'partitions assigned', { partitions });
  }

  handle(batch: PartitionBatch<typeof EventSchema>): Promise<BatchResult> {
    return this.lock.partition(batch.partition, () => this.apply(batch));
  }

  /** Forgets a shopper (see ErasureList); returns the number of state keys deleted. */
  erase(shopperKey: string, requestedAtMs: number): Promise<number> {
    return this.lock.exclusive(async () => {
      await this.clearsSettled();
      const deleted = await this.state.erase(shopperKey, requestedAtMs);
      this.metrics.erasures.inc();
      log('info', 'shopper erased', { shopperKey, requestedAtMs, deletedKeys: deleted });
      return deleted;
    });
  }

  /** Notices a lost state while idle (the sentinel is gone): recreate it and rebuild from Kafka. */
  async checkState(): Promise<void> {
    const lost = await this.lock.exclusive(async () => {
      await this.clearsSettled();
      if (await this.state.metaExists()) return false;
      await this.stateLost();
      return true;
    });
    if (lost) await this.onStateLost();
  }

  positions(): Promise<Map<number, StoredPosition>> {
    return this.state.positions();
  }

  /** Opens a partition; first sends the notices a crash left in its outbox (state written, no ack seen). */
  private async openPartition(p: number): Promise<OpenedPartition> {
    await this.clearing.get(p);
    const opened = await this.state.open(p);
    if (!this.openedAt.has(p)) this.openedAt.set(p, this.now());
    if (opened.outbox) {
      const { updates, deadLetters } = decodeOutbox(opened.outbox.payload);
      try {
        await this.notices.send(updates, deadLetters);
        await this.state.clearOutbox(p, opened.outbox.next);
      } catch (error) {
        this.state.close(p);
        throw error;
      }
      this.metrics.notices.inc({ topic: topics.featuresUpdated.name }, updates.length);
      this.metrics.notices.inc({ topic: topics.deadLetters.name }, deadLetters.length);
      log('info', 'sent the notices of a range whose state was written before a crash', { partition: p, next: opened.outbox.next, updates: updates.length, deadLetters: deadLetters.length });
    }
    return opened;
  }

  private async apply(batch: PartitionBatch<typeof EventSchema>): Promise<BatchResult> {
    const started = this.now();
    const p = batch.partition;
    await this.clearing.get(p);
    if (!this.state.isOpen(p)) await this.openPartition(p);
    // A range must start exactly where the stored state stands (the log's start when none is
    // stored): anything else is a stale range of a reopened partition.
    const stored = this.state.storedOffset(p);
    if ((stored ?? batch.logStart) !== batch.from) return 'reopen';
    const records = batch.records;
    const committed = batch.committed === null ? -1n : BigInt(batch.committed);
    const notify = (i: number) => BigInt(records[i]!.offset) >= committed;
    const events = records.map((r) => toFeatureEvent(r.value));
    const spans: Span[] = [];
    let result: CommitResult;
    try {
      const withValues = this.options.noticeValues ?? false;
      const prepared = await this.state.prepare(p, events, withValues ? notify : () => false);
      const updates: OutgoingRecord[] = [];
      const letters: OutgoingRecord[] = [];
      for (let i = 0; i < records.length; i++) {
        if (!notify(i)) continue;
        const outcome = prepared.outcomes[i]!;
        if (outcome.status === 'applied') updates.push(this.update(outcome, records[i]!, p, started, spans));
        else letters.push(this.deadLetter(outcome, records[i]!));
      }
      const noticed = updates.length + letters.length > 0;
      // State first, with the notices as the range's outbox; then the notices: a reader never
      // sees a notice before the state it announces.
      result = await this.state.commit(prepared, batch.next, noticed ? encodeOutbox({ updates, deadLetters: letters }) : null);
      if (result === 'ok') {
        for (const o of prepared.outcomes) this.metrics.events.inc({ status: o.status });
        if (Number.isFinite(prepared.clockMs)) this.metrics.streamClock.set({ partition: String(p) }, prepared.clockMs);
        if (noticed) {
          await this.notices.send(updates, letters);
          const sentAt = this.now();
          for (const span of spans) span.end(sentAt);
          for (let i = 0; i < records.length; i++) if (notify(i)) this.metrics.clickToFeatures.observe(Math.max(0, sentAt - records[i]!.timestampMs) / 1000);
          this.metrics.notices.inc({ topic: topics.featuresUpdated.name }, updates.length);
          this.metrics.notices.inc({ topic: topics.deadLetters.name }, letters.length);
          this.clearLater(p, batch.next);
        }
      }
    } catch (error) {
      for (const span of spans) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        span.end();
      }
      // A failure after the state write leaves the outbox: reopening the partition sends it.
      this.metrics.batches.inc({ result: 'error' });
      this.state.close(p);
      throw error;
    }
    if (result !== 'ok') for (const span of spans) span.end();
    this.metrics.batches.inc({ result });
    this.metrics.batchDuration.observe((this.now() - started) / 1000);
    const openedAt = this.openedAt.get(p);
    if (result === 'ok' && openedAt !== undefined) {
      this.openedAt.delete(p);
      log('info', 'first range applied since the partition was opened', { partition: p, records: records.length, sinceOpenMs: this.now() - openedAt, rangeMs: this.now() - started });
    }
    this.metrics.batchSize.observe(records.length);
    if (result === 'ok') return 'ok';
    if (result === 'lost') {
      // Other partitions may be mid-batch: the rebuild starts in an exclusive section.
      setImmediate(() => void this.checkState().catch((error: unknown) => log('error', 'rebuilding after state loss failed', { error: String(error) })));
    } else {
      log('warn', 'batch fenced: another writer moved the stored offset; reopening', { partition: p, from: batch.from });
    }
    return 'reopen';
  }

  /**
   * Deletes the range's outbox without holding up the next fetch. A failed delete leaves it: the
   * partition is closed, so its next range reopens it and sends the outbox again first (the same
   * notices twice, as after a crash; never none).
   */
  private clearLater(p: number, next: string): void {
    const done: Promise<void> = this.state.clearOutbox(p, next).then(
      () => undefined,
      (error: unknown) => {
        this.state.close(p);
        log('warn', 'deleting an acknowledged outbox failed; the partition reopens and sends it again', { partition: p, next, error: String(error) });
      },
    );
    this.clearing.set(p, done);
    void done.finally(() => {
      if (this.clearing.get(p) === done) this.clearing.delete(p);
    });
  }

  /** Waits for the outbox deletes in flight (shutdown: before Redis closes). */
  async clearsSettled(): Promise<void> {
    await Promise.all([...this.clearing.values()]);
  }

  private async stateLost(): Promise<void> {
    this.metrics.stateLost.inc();
    this.state.closeAll();
    await this.state.ensureMeta();
    log('warn', 'feature state lost (sentinel missing): rebuilding from the beginning of the event log', {
      definitionsVersion: this.state.definitionsVersion,
    });
  }

  private update(outcome: EventOutcome, record: ConsumedRecord<typeof EventSchema>, partition: number, startedMs: number, spans: Span[]): OutgoingRecord {
    const e = outcome.event;
    let traceparent = traceparentOf(record.headers);
    if (this.options.tracer && traceparent) {
      const span = this.options.tracer.startSpan(
        'features apply',
        {
          kind: SpanKind.CONSUMER,
          startTime: startedMs,
          attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': this.options.sourceTopic, 'messaging.destination.partition.id': String(partition), 'messaging.kafka.offset': Number(record.offset), 'clickwise.event_id': e.eventId },
        },
        extractTrace(record.headers),
      );
      spans.push(span);
      traceparent = traceparentOfSpan(span);
    }
    const value = this.encoder.encode({
      shopperKey: e.shopperKey,
      sessionId: e.sessionId,
      eventId: e.eventId,
      eventTimeMs: e.timeMs,
      itemId: e.itemId,
      definitionsVersion: this.state.definitionsVersion,
      snapshotVersion: outcome.snapshotVersion ?? 0,
      changed: outcome.changed ?? [],
      traceparent,
      acceptedAtMs: record.timestampMs,
    });
    return { key: e.shopperKey, value, headers: injectTrace(traceparent ? { traceparent } : {}) };
  }

  private deadLetter(outcome: EventOutcome, record: ConsumedRecord<typeof EventSchema>): OutgoingRecord {
    const erased = outcome.status === 'erased';
    // An erased shopper's event is not kept anywhere, not even in the DLQ.
    const message = erased ? { key: null, value: Buffer.alloc(0), offset: record.offset } : { key: record.key === null ? null : Buffer.from(record.key), value: record.raw, offset: record.offset };
    const letter = deadLetterFor(
      this.stage,
      message,
      { topic: this.options.sourceTopic, partition: record.partition },
      erased ? SHOPPER_ERASED : TOO_LATE,
      erased ? 'the shopper was erased; the event feeds no shopper or session feature' : (outcome.reason ?? 'too late'),
      this.options.dlqMaxPayloadBytes,
    );
    letter.eventId = outcome.event.eventId;
    return KafkaProducer.encode(topics.deadLetters, erased ? null : record.key, letter);
  }
}
