/** The index's write counters, as the Redis store's scripts return them with every read. */
export interface IndexVersion {
  /** Batches applied (the writer bumps it once per batch). */
  readonly version: string;
  /** Erasures applied: an erasure drops every cached entry at once, whatever its age. */
  readonly erasures: string;
}

export interface VersionCacheOptions {
  /** Entries kept (the oldest written goes first). */
  readonly maxEntries: number;
  /**
   * How long an entry written at an older version may still be used (ms). 0: only at the version
   * it was read at (exact: the answer is what a read of Redis would give). Never past an erasure.
   */
  readonly maxStaleMs: number;
}

interface Entry<T> {
  readonly value: T;
  readonly version: string;
  readonly erasures: string;
  readonly atMs: number;
}

/**
 * An in-process cache of index reads validated by the writer's version (ADR 0100): an entry read
 * at version v serves while the index is still at v, or, when `maxStaleMs` > 0, for that long after
 * it was read; an erasure invalidates everything. What it holds is per item (the item's
 * neighbourhood) and per popular row, never the request's own session, which is read every time.
 */
export class VersionCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly options: VersionCacheOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value of `key` if still good at `current`; counts a hit or a miss. */
  get(key: string, current: IndexVersion): T | undefined {
    const e = this.entries.get(key);
    if (e && e.erasures === current.erasures && (e.version === current.version || (this.options.maxStaleMs > 0 && this.now() - e.atMs <= this.options.maxStaleMs))) {
      this.hits++;
      return e.value;
    }
    this.misses++;
    return undefined;
  }

  set(key: string, value: T, at: IndexVersion): void {
    if (this.options.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, version: at.version, erasures: at.erasures, atMs: this.now() });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
