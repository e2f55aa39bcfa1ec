/** A counter's readings over time, for its rate over a trailing window. */
export class CounterWindow {
  private readonly readings: { atMs: number; value: number }[] = [];

  constructor(private readonly keepMs: number) {}

  add(atMs: number, value: number): void {
    const last = this.readings.at(-1);
    // A counter that went down was reset (a topic re-created, a process restarted): start over.
    if (last && value < last.value) this.readings.length = 0;
    this.readings.push({ atMs, value });
    while (this.readings.length > 2 && this.readings[0]!.atMs < atMs - this.keepMs) this.readings.shift();
  }

  /**
   * Increase per second from the newest reading back over at least `windowMs`: from the newest
   * reading at or before the window's start (the oldest one kept when none is that old, so slow
   * polls still give a rate over the span they cover); undefined until two readings span some time.
   */
  rate(windowMs: number): number | undefined {
    const last = this.readings.at(-1);
    if (!last) return undefined;
    const base = this.readings.findLast((r) => r.atMs <= last.atMs - windowMs) ?? this.readings[0]!;
    if (base.atMs >= last.atMs) return undefined;
    return (last.value - base.value) / ((last.atMs - base.atMs) / 1000);
  }

  get latest(): number | undefined {
    return this.readings.at(-1)?.value;
  }
}

/** The newest `size` items, newest last. */
export class Ring<T> {
  private readonly items: T[] = [];

  constructor(private readonly size: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.splice(0, this.items.length - this.size);
  }

  toArray(): T[] {
    return [...this.items];
  }

  get length(): number {
    return this.items.length;
  }
}

/** One model version's observations in the trailing window: how many, the sum of their values, and how many since start. */
export interface VersionCount {
  modelVersion: string;
  inWindow: number;
  sum: number;
  seen: number;
}

/**
 * Observations (a prediction, a served list) by model version over a trailing window, and the
 * count per version since start: the live side of the model table and the per-version chart.
 */
export class VersionWindow {
  private readonly recent: { atMs: number; modelVersion: string; value: number }[] = [];
  private readonly seen = new Map<string, number>();

  constructor(readonly windowMs: number) {}

  add(atMs: number, modelVersion: string, value = 0): void {
    this.recent.push({ atMs, modelVersion, value });
    this.seen.set(modelVersion, (this.seen.get(modelVersion) ?? 0) + 1);
    this.trim(atMs);
  }

  /** Every version seen since start, by name. */
  counts(atMs: number): VersionCount[] {
    this.trim(atMs);
    const sums = new Map<string, { n: number; sum: number }>();
    for (const r of this.recent) {
      const s = sums.get(r.modelVersion) ?? { n: 0, sum: 0 };
      s.n++;
      s.sum += r.value;
      sums.set(r.modelVersion, s);
    }
    return [...this.seen]
      .map(([modelVersion, seen]) => ({ modelVersion, inWindow: sums.get(modelVersion)?.n ?? 0, sum: sums.get(modelVersion)?.sum ?? 0, seen }))
      .sort((a, b) => a.modelVersion.localeCompare(b.modelVersion));
  }

  private trim(atMs: number): void {
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop]!.atMs < atMs - this.windowMs) drop++;
    if (drop > 0) this.recent.splice(0, drop);
  }
}
