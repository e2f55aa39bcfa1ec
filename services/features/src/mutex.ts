interface Waiter {
  /** undefined: an exclusive section. */
  partition: number | undefined;
  start: () => void;
}

/**
 * Sections of work on the feature state. Sections of different partitions run at the same time
 * (their state is disjoint; item increments commute); sections of one partition run one at a
 * time; an exclusive section (an erasure, a lost state) runs alone. Waiters start in arrival
 * order, so an exclusive section is not starved by a stream of batches.
 */
export class SectionLock {
  private readonly busy = new Set<number>();
  private exclusiveRunning = false;
  private readonly queue: Waiter[] = [];

  /** Runs `section` for partition `p`. */
  partition<T>(p: number, section: () => Promise<T>): Promise<T> {
    return this.run(p, section);
  }

  /** Runs `section` with no partition section running. */
  exclusive<T>(section: () => Promise<T>): Promise<T> {
    return this.run(undefined, section);
  }

  private async run<T>(partition: number | undefined, section: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.queue.push({ partition, start });
      this.dispatch();
    });
    try {
      return await section();
    } finally {
      if (partition === undefined) this.exclusiveRunning = false;
      else this.busy.delete(partition);
      this.dispatch();
    }
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (this.exclusiveRunning) return;
      if (next.partition === undefined) {
        if (this.busy.size > 0) return;
        this.exclusiveRunning = true;
      } else {
        if (this.busy.has(next.partition)) return;
        this.busy.add(next.partition);
      }
      this.queue.shift();
      next.start();
    }
  }
}
