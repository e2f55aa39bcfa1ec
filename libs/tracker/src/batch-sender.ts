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

/**
 * Sends batches concurrently with a bound on requests in flight: `submit` resolves once the batch
 * has a slot (back-pressure for the producer), `drain` once every batch has its answer. For tools
 * (replay, simulator, benchmarks) that push many batches as fast as the API takes them.
 */
export class BatchSender {
  readonly totals: BatchTotals = { batches: 0, sent: 0, accepted: 0, duplicates: 0, rejected: 0, failed: 0, reasons: {} };
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly client: IngestClient,
    private readonly options: { concurrency: number; onResult?: (result: SendResult, events: readonly HttpEvent[]) => void },
  ) {}

  /** True after a 401/403: later submissions are counted as failed without a request. */
  get stopped(): boolean {
    return this.totals.fatal !== undefined;
  }

  async submit(events: readonly HttpEvent[]): Promise<void> {
    if (events.length === 0) return;
    while (this.inFlight >= this.options.concurrency) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    if (this.stopped) {
      this.totals.failed += events.length;
      return;
    }
    this.inFlight++;
    this.totals.batches++;
    this.totals.sent += events.length;
    void this.client.send(events).then(
      (result) => this.settle(result, events),
      (error: unknown) =>
        this.settle({ ok: false, accepted: 0, duplicates: 0, rejected: [], attempts: 1, error: String(error), retriable: false }, events),
    );
  }

  async drain(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private settle(result: SendResult, events: readonly HttpEvent[]): void {
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
    this.slotWaiters.shift()?.();
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
