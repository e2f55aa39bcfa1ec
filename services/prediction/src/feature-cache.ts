import type { FeatureRequest, FeatureSnapshot } from '@clickwise/feature-store';
import type { FeatureSource } from './predictor.js';

export interface FeatureCacheOptions {
  /** Most snapshots kept (least recently used go first); 0 turns the cache off. */
  maxEntries: number;
  /**
   * Longest a snapshot is served from memory (ms), whatever the notices say: bounds what no notice
   * announces (an erasure, a key expiring in Redis).
   */
  maxAgeMs: number;
  /**
   * Whether the store is reachable now (Redis connected). While it is not, nothing is served from
   * memory either: a call answers as the store does (UNAVAILABLE), not with a state no notice can
   * keep fresh meanwhile.
   */
  storeUp?: () => boolean;
  /** Told of every lookup's outcome (metrics). */
  onLookup?: (outcome: 'hit' | 'miss' | 'bypass', entries: number) => void;
  now?: () => number;
}

interface Entry {
  snapshot: FeatureSnapshot;
  shopperKey: string;
  itemId: string;
  storedAtMs: number;
}

/** A read under way, shared by the calls that ask the same while it runs (until a notice spoils it). */
interface Flight {
  promise: Promise<FeatureSnapshot>;
  shopperKey: string;
  itemId: string;
  /** A notice for its shopper or item arrived while it ran: its answer is not kept nor shared on. */
  spoiled: boolean;
}

/**
 * A small bounded cache of feature snapshots in front of the Redis reader, for Predict (ADR 0075).
 *
 * The rule it keeps (ADR 0037's, seen from the reader): a snapshot is never served once a notice
 * that could change it has been seen. Every replica follows all of features.updated.v1 from the end
 * offsets it took *before* it enabled the cache ({@link enable}); each notice drops the entries of
 * its shopper and of its item (an item's state changes with anyone's event on it), and spoils the
 * reads of them under way, so their answers are not kept. Since a notice is never seen before the
 * state it announces is in Redis, and every notice at or after those offsets reaches
 * {@link invalidate}, an entry stored from a read that started after them is at least as new as
 * every notice seen so far. Requests naming a category (whose state changes with events on any of
 * its items, and notices do not say which category) bypass the cache.
 */
export class FeatureCache implements FeatureSource {
  private readonly entries = new Map<string, Entry>();
  private readonly byShopper = new Map<string, Set<string>>();
  private readonly byItem = new Map<string, Set<string>>();
  private readonly flights = new Map<string, Flight>();
  private readonly now: () => number;
  private enabled = false;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: FeatureSource,
    private readonly options: FeatureCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get active(): boolean {
    return this.enabled && this.options.maxEntries > 0 && (this.options.storeUp?.() ?? true);
  }

  /** Starts caching: call once the notices from here on are certain to reach {@link invalidate}. */
  enable(): void {
    this.enabled = true;
  }

  /** Stops caching and forgets everything (the notices are no longer followed). */
  disable(): void {
    this.enabled = false;
    this.clear();
  }

  private static keyOf(request: FeatureRequest): string {
    return `${request.shopperKey}\u0000${request.sessionId ?? ''}\u0000${request.itemId ?? ''}`;
  }

  private static cacheable(request: FeatureRequest): boolean {
    return request.categoryId === undefined && request.atMs === undefined;
  }

  /** The stored snapshot for a request, if one may be served now (no I/O). */
  peek(request: FeatureRequest): FeatureSnapshot | undefined {
    if (!this.active || !FeatureCache.cacheable(request)) return undefined;
    const key = FeatureCache.keyOf(request);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.storedAtMs > this.options.maxAgeMs) {
      this.drop(key);
      return undefined;
    }
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    this.options.onLookup?.('hit', this.entries.size);
    return entry.snapshot;
  }

  read(request: FeatureRequest): Promise<FeatureSnapshot> {
    const cached = this.peek(request);
    if (cached) return Promise.resolve(cached);
    if (!this.active || !FeatureCache.cacheable(request)) {
      this.options.onLookup?.('bypass', this.entries.size);
      return this.inner.read(request);
    }
    this.misses++;
    this.options.onLookup?.('miss', this.entries.size);
    const key = FeatureCache.keyOf(request);
    const running = this.flights.get(key);
    if (running && !running.spoiled) return running.promise;
    const flight: Flight = { promise: this.inner.read(request), shopperKey: request.shopperKey, itemId: request.itemId ?? '', spoiled: false };
    this.flights.set(key, flight);
    const done = () => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    flight.promise.then(
      (snapshot) => {
        done();
        if (!flight.spoiled && this.active) this.store(key, flight, snapshot);
      },
      done,
    );
    return flight.promise;
  }

  /** A features.updated.v1 notice: its shopper's and its item's snapshots are no longer served. */
  invalidate(shopperKey: string, itemId: string): void {
    for (const key of this.byShopper.get(shopperKey) ?? []) this.drop(key);
    if (itemId) for (const key of this.byItem.get(itemId) ?? []) this.drop(key);
    if (this.flights.size > 0) {
      for (const flight of this.flights.values()) {
        if (flight.shopperKey === shopperKey || (itemId !== '' && flight.itemId === itemId)) flight.spoiled = true;
      }
    }
  }

  clear(): void {
    this.entries.clear();
    this.byShopper.clear();
    this.byItem.clear();
    for (const flight of this.flights.values()) flight.spoiled = true;
  }

  private store(key: string, flight: Flight, snapshot: FeatureSnapshot): void {
    if (this.entries.has(key)) this.drop(key);
    this.entries.set(key, { snapshot, shopperKey: flight.shopperKey, itemId: flight.itemId, storedAtMs: this.now() });
    index(this.byShopper, flight.shopperKey, key);
    if (flight.itemId) index(this.byItem, flight.itemId, key);
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.drop(oldest.value);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    unindex(this.byShopper, entry.shopperKey, key);
    if (entry.itemId) unindex(this.byItem, entry.itemId, key);
  }
}

function index(map: Map<string, Set<string>>, id: string, key: string): void {
  let keys = map.get(id);
  if (!keys) map.set(id, (keys = new Set()));
  keys.add(key);
}

function unindex(map: Map<string, Set<string>>, id: string, key: string): void {
  const keys = map.get(id);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) map.delete(id);
}
