import { OverloadedError } from '@clickwise/errors';

export interface ReadGateOptions {
  /** Index reads sent to Redis at once; Redis runs one script at a time, so more only queue there. */
  readonly concurrency: number;
  /** Reads waiting for a slot; one more is refused at once. */
  readonly maxQueued: number;
  /** A read that waited longer than this for its slot is refused instead of sent (ms). */
  readonly maxWaitMs: number;
}

interface Waiter {
  readonly since: number;
  readonly start: () => void;
  readonly refuse: (error: OverloadedError) => void;
}

/**
 * Back-pressure in front of the live index (ADR 0100): at most `concurrency` reads in Redis, the
 * rest wait in order in a bounded queue; a read that cannot be queued, or waited past `maxWaitMs`,
 * fails at once with OverloadedError (RESOURCE_EXHAUSTED with retry-after at the gRPC edge) rather
 * than piling up in Redis until the command timeout answers UNAVAILABLE for every call.
 * The retry-after is the time the queue ahead takes at the recent read time (EWMA).
 */
export class ReadGate {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private readMs = 1;
  refused = 0;

  constructor(
    private readonly options: ReadGateOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  get inflight(): number {
    return this.running;
  }

  private retryAfterMs(): number {
    return Math.max(10, Math.ceil((this.readMs * (this.queue.length + 1)) / this.options.concurrency));
  }

  private refusal(why: string): OverloadedError {
    this.refused++;
    return new OverloadedError(`the live index is busy (${why}); retry shortly`, this.retryAfterMs());
  }

  async run<T>(read: () => Promise<T>): Promise<T> {
    if (this.running >= this.options.concurrency) {
      if (this.queue.length >= this.options.maxQueued) throw this.refusal(`${this.queue.length} reads queued, RECOMMENDER_MAX_QUEUED_READS ${this.options.maxQueued}`);
      await new Promise<void>((start, refuse) => this.queue.push({ since: this.now(), start, refuse }));
    } else {
      this.running++;
    }
    const started = this.now();
    try {
      return await read();
    } finally {
      this.readMs = 0.8 * this.readMs + 0.2 * (this.now() - started);
      this.release();
    }
  }

  /** Hands the slot to the next waiter still within its wait (the slot stays taken), else frees it. */
  private release(): void {
    for (;;) {
      const next = this.queue.shift();
      if (!next) break;
      const waited = this.now() - next.since;
      if (waited > this.options.maxWaitMs) {
        next.refuse(this.refusal(`waited ${Math.round(waited)} ms for a slot, RECOMMENDER_MAX_QUEUE_WAIT_MS ${this.options.maxWaitMs}`));
        continue;
      }
      next.start();
      return;
    }
    this.running--;
  }
}
