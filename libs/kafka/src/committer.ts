import type { AdapterConsumer } from './adapter.js';

/** How long a failed commit waits before its offsets are tried again (when nothing newer came). */
const RETRY_MS = 1000;

/** Least time between two commits of one loop, by default (ADR 0085). */
export const COMMIT_INTERVAL_MS = 1000;

/**
 * A consumer loop's offset commits, off the batch path (ADR 0085). A loop `note`s a partition's
 * next offset once its batch is handled; the committer sends every partition's latest noted offset
 * in one OffsetCommit, at most one request in flight and at most one per `intervalMs`, and never
 * makes a batch wait for it. What a commit covers was handled before it was noted, so the
 * at-least-once guarantee is the one an awaited commit gave: a crash re-reads what was handled
 * after the last commit that landed (at most about `intervalMs` of records more than before).
 * Offsets of partitions the member no longer owns are dropped (the new owner commits its own).
 */
export class OffsetCommitter {
  private readonly pending = new Map<number, string>();
  private owned: ReadonlySet<number> | undefined;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly consumer: AdapterConsumer,
    private readonly topic: string,
    private readonly onError: (error: unknown, partitions: readonly number[]) => void,
    private readonly intervalMs = COMMIT_INTERVAL_MS,
  ) {}

  /** Everything on `partition` before `offset` is handled: commit `offset` soon. */
  note(partition: number, offset: string): void {
    if (this.stopped) return;
    this.pending.set(partition, offset);
    this.schedule(0);
  }

  /** The member's partitions after a rebalance: offsets noted for others are not committed. */
  assigned(partitions: readonly number[]): void {
    this.owned = new Set(partitions);
    for (const p of [...this.pending.keys()]) if (!this.owned.has(p)) this.pending.delete(p);
  }

  /** Commits what is noted and waits for it (before the consumer leaves its group). */
  async flush(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    if (this.pending.size > 0) await (this.inFlight ??= this.drain());
  }

  /** A drain once nothing is in flight, `atLeastMs` from now and `intervalMs` after the last request. */
  private schedule(atLeastMs: number): void {
    if (this.inFlight !== undefined || this.timer !== undefined || this.stopped) return;
    const wait = Math.max(atLeastMs, this.lastSentAt + this.intervalMs - Date.now());
    if (wait <= 0) {
      this.inFlight = this.drain();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.inFlight ??= this.drain();
    }, wait);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    // One turn of the event loop first, so the other partitions of the same fetch join the request.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let retry = false;
    try {
      const offsets = [...this.pending].filter(([p]) => this.owned === undefined || this.owned.has(p)).map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
      this.pending.clear();
      if (offsets.length === 0) return;
      this.lastSentAt = Date.now();
      try {
        await this.consumer.commit(offsets);
      } catch (error) {
        this.onError(error, offsets.map((o) => o.partition));
        // Tried again later unless a newer offset was noted meanwhile.
        for (const o of offsets) if (!this.pending.has(o.partition)) this.pending.set(o.partition, o.offset);
        retry = true;
      }
    } finally {
      this.inFlight = undefined;
    }
    if (this.pending.size > 0) this.schedule(retry ? RETRY_MS : 0);
  }
}
