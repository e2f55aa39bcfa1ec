import type { HttpEvent } from './event.js';
import type { IngestClient, SendResult } from './ingest-client.js';

export interface BatchTotals {
  batches: number;
  /** Events handed to the API (each once, however often retried). */
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Events not delivered: retries ran out, or the server refused the whole batch. */
  failed: number;
  /** Rejection reasons (`field: reason`) with their counts. */
  reasons: Record<string, number>;
  /** A refusal that makes going on pointless (401/403), when one happened. */
  fatal?: string;
}

export interface BatchSenderOptions {
  /** Requests in flight at most. */
  concurrency: number;
  /**
   * Events in one request at most (default 1000, the API's `INGEST_MAX_BATCH_EVENTS` default): a
   * larger submission goes as several requests, in order, each waiting for its own slot.
   */
  maxEvents?: number;
  /**
   * The backfill watermark (docs/specs/http-ingest.md, ADR 0023): a request starts only while its
   * newest event time is at most this far ahead of the oldest event time not yet acknowledged
   * (retries included), so whatever order in-flight requests complete in, no event lands on
   * Kafka behind a newer one by more than this. Set it below the features' allowed lateness for
   * event-time-sorted backfills; unset, only `concurrency` bounds what is in flight.
   */
  maxLeadMs?: number;
  onResult?: (result: SendResult, events: readonly HttpEvent[]) => void;
}

/** An event's time in unix ms (`eventTime` is unix ms or an RFC 3339 string); NaN when unparseable. */
export function eventTimeMs(event: HttpEvent): number {
  return typeof event.eventTime === 'number' ? event.eventTime : Date.parse(event.eventTime);
}

const DEFAULT_MAX_EVENTS = 1000;

/**
 * Sends batches concurrently with a bound on requests in flight: `submit` resolves once the batch
 * has a slot (back-pressure for the producer), `drain` once every batch has its answer; a batch over `maxEvents` is split. For tools
 * (replay, simulator, benchmarks) that push many batches as fast as the API takes them. With
 * `maxLeadMs`, a slot also needs the batch's newest event to be within the watermark.
 */
export class BatchSender {
  readonly totals: BatchTotals = { batches: 0, sent: 0, accepted: 0, duplicates: 0, rejected: 0, failed: 0, reasons: {} };
  /** Times waited for the watermark (not for a free slot). */
  watermarkWaits = 0;
  private inFlight = 0;
  /** Oldest event time of each batch in flight (for the watermark). */
  private readonly oldestInFlight = new Map<number, number>();
  private nextBatch = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly client: Pick<IngestClient, 'send'>,
    private readonly options: BatchSenderOptions,
  ) {}

  /** True after a 401/403: later submissions are counted as failed without a request. */
  get stopped(): boolean {
    return this.totals.fatal !== undefined;
  }

  async submit(events: readonly HttpEvent[]): Promise<void> {
    const max = this.options.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (events.length <= max) return this.submitOne(events);
    for (let i = 0; i < events.length; i += max) await this.submitOne(events.slice(i, i + max));
  }

  private async submitOne(events: readonly HttpEvent[]): Promise<void> {
    if (events.length === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    let newest = Number.NEGATIVE_INFINITY;
    for (const e of events) {
      const t = eventTimeMs(e);
      if (t < oldest) oldest = t;
      if (t > newest) newest = t;
    }
    for (;;) {
      if (this.inFlight >= this.options.concurrency) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
      else if (this.aheadOfWatermark(newest)) {
        this.watermarkWaits++;
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
      } else break;
    }
    if (this.stopped) {
      this.totals.failed += events.length;
      return;
    }
    const id = this.nextBatch++;
    this.inFlight++;
    if (Number.isFinite(oldest)) this.oldestInFlight.set(id, oldest);
    this.totals.batches++;
    this.totals.sent += events.length;
    void this.client.send(events).then(
      (result) => this.settle(id, result, events),
      (error: unknown) =>
        this.settle(id, { ok: false, accepted: 0, duplicates: 0, rejected: [], attempts: 1, error: String(error), retriable: false }, events),
    );
  }

  /** Whether a batch whose newest event is at `newest` must wait for older batches' answers. */
  private aheadOfWatermark(newest: number): boolean {
    const lead = this.options.maxLeadMs;
    if (lead === undefined || this.oldestInFlight.size === 0 || !Number.isFinite(newest)) return false;
    let oldest = Number.POSITIVE_INFINITY;
    for (const t of this.oldestInFlight.values()) if (t < oldest) oldest = t;
    return newest - oldest > lead;
  }

  async drain(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private settle(id: number, result: SendResult, events: readonly HttpEvent[]): void {
    const t = this.totals;
    if (result.ok) {
      t.accepted += result.accepted;
      t.duplicates += result.duplicates;
      t.rejected += result.rejected.length;
    } else {
      t.failed += events.length;
      if (result.status === 401 || result.status === 403) t.fatal ??= result.error ?? `HTTP ${result.status}`;
      else if (!result.retriable && result.rejected.length === 0) {
        const reason = result.error ?? 'refused';
        t.reasons[reason] = (t.reasons[reason] ?? 0) + events.length;
      }
    }
    for (const r of result.rejected) {
      const reason = `${(r.field ?? 'event').replace(/^events\[\d+\]\.?/, '') || 'event'}: ${r.reason}`;
      t.reasons[reason] = (t.reasons[reason] ?? 0) + 1;
    }
    this.options.onResult?.(result, events);
    this.inFlight--;
    this.oldestInFlight.delete(id);
    // Every waiter checks again: the watermark may have moved for more than one.
    for (const w of this.slotWaiters.splice(0)) w();
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
