import type { AdapterConsumer } from './adapter.js';

/** How long a failed commit waits before its offsets are tried again (when nothing newer came). */
const RETRY_MS = 1000;

/**
 * A consumer loop's offset commits, off the batch path (ADR 0085). A loop `note`s a partition's
 * next offset once its batch is handled; the committer sends every partition's latest noted offset
 * in one OffsetCommit, with at most one request in flight, and never makes a batch wait for it.
 * What a commit covers was handled before it was noted, so the at-least-once guarantee is the one
 * an awaited commit gave: a crash re-reads what was handled after the last commit that landed.
 * Offsets of partitions the member no longer owns are dropped (the new owner commits its own).
 */
export class OffsetCommitter {
  private readonly pending = new Map<number, string>();
  private owned: ReadonlySet<number> | undefined;
  private inFlight: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly consumer: AdapterConsumer,
    private readonly topic: string,
    private readonly onError: (error: unknown, partitions: readonly number[]) => void,
  ) {}

  /** Everything on `partition` before `offset` is handled: commit `offset` soon. */
  note(partition: number, offset: string): void {
    if (this.stopped) return;
    this.pending.set(partition, offset);
    this.inFlight ??= this.drain();
  }

  /** The member's partitions after a rebalance: offsets noted for others are not committed. */
  assigned(partitions: readonly number[]): void {
    this.owned = new Set(partitions);
    for (const p of [...this.pending.keys()]) if (!this.owned.has(p)) this.pending.delete(p);
  }

  /** Commits what is noted and waits for it (before the consumer leaves its group). */
  async flush(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.inFlight;
    if (this.pending.size > 0) await (this.inFlight ??= this.drain());
  }

  private async drain(): Promise<void> {
    // One turn of the event loop first, so the other partitions of the same fetch join the request.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.size > 0) {
        const offsets = [...this.pending].filter(([p]) => this.owned === undefined || this.owned.has(p)).map(([partition, offset]) => ({ topic: this.topic, partition, offset }));
        this.pending.clear();
        if (offsets.length === 0) break;
        try {
          await this.consumer.commit(offsets);
        } catch (error) {
          this.onError(error, offsets.map((o) => o.partition));
          // Tried again later unless a newer offset was noted meanwhile.
          for (const o of offsets) if (!this.pending.has(o.partition)) this.pending.set(o.partition, o.offset);
          if (!this.stopped) {
            this.retry = setTimeout(() => {
              this.retry = undefined;
              this.inFlight ??= this.drain();
            }, RETRY_MS);
            this.retry.unref();
          }
          return;
        }
      }
    } finally {
      this.inFlight = undefined;
    }
  }
}
