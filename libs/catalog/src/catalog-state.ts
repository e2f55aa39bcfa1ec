import type { CatalogItem, CatalogView } from './catalog-view.js';

/** Called after records changed the state, with the items as they are now (in record order). */
export type CatalogListener = (changed: readonly CatalogItem[]) => void;

/**
 * The in-memory catalogue of one replica: the latest record per item id, in the order the records
 * were applied (the topic's log order, which is also what compaction keeps: ADR 0099). Pure: a
 * CatalogFollower feeds it from catalog.items.v1; tests and offline tools feed it directly.
 */
export class CatalogState implements CatalogView {
  private readonly items = new Map<string, CatalogItem>();
  private readonly listeners = new Set<CatalogListener>();
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;
  private isReady = false;

  constructor() {
    this.readyPromise = new Promise((resolve) => (this.markReady = resolve));
  }

  /** A state holding `items` (later entries win), ready at once: for tests and offline tools. */
  static of(items: Iterable<CatalogItem>): CatalogState {
    const state = new CatalogState();
    state.apply([...items]);
    state.setReady();
    return state;
  }

  get(itemId: string): CatalogItem | undefined {
    return this.items.get(itemId);
  }

  /** Unknown items are available; the latest record decides for known ones. */
  isAvailable(itemId: string): boolean {
    return this.items.get(itemId)?.available ?? true;
  }

  categoryOf(itemId: string): string | undefined {
    return this.items.get(itemId)?.categoryId;
  }

  priceOf(itemId: string): { price: number; currency?: string } | undefined {
    const item = this.items.get(itemId);
    if (item?.price === undefined) return undefined;
    return item.currency === undefined ? { price: item.price } : { price: item.price, currency: item.currency };
  }

  /** Items with a record (available or not). */
  get size(): number {
    return this.items.size;
  }

  /** Items whose latest record says unavailable. */
  unavailableCount(): number {
    let n = 0;
    for (const item of this.items.values()) if (!item.available) n++;
    return n;
  }

  /** Every item with a record, in first-seen order. */
  values(): IterableIterator<CatalogItem> {
    return this.items.values();
  }

  /** Replaces each item's record with the given one (a record is the item's whole state); later entries win. */
  apply(records: readonly CatalogItem[]): void {
    if (records.length === 0) return;
    for (const record of records) this.items.set(record.itemId, record);
    for (const listener of this.listeners) listener(records);
  }

  /** Resolves once the state holds every record the topic had when following started. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  get caughtUp(): boolean {
    return this.isReady;
  }

  /** Marks the state caught up (the follower calls it once caught up). */
  setReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    this.markReady();
  }

  /** Calls `listener` after every applied batch; returns the function that removes it. */
  onChange(listener: CatalogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
