import type { CatalogItem } from './catalog-view.js';

/** What a clickstream row says about an item (the shape of a mapped export row). */
export interface ItemSighting {
  itemId?: string;
  categoryId?: string;
  timeMs: number;
}

/**
 * The catalogue a clickstream implies when it has none of its own (`up` publishes the RetailRocket
 * week this way): every item id seen, available, with the category of its latest row that names
 * one. In order of first sighting; pure.
 */
export function itemsSeenIn(rows: Iterable<ItemSighting>): CatalogItem[] {
  const seen = new Map<string, { categoryId?: string; atMs: number }>();
  for (const row of rows) {
    if (!row.itemId) continue;
    const entry = seen.get(row.itemId);
    if (!entry) seen.set(row.itemId, row.categoryId ? { categoryId: row.categoryId, atMs: row.timeMs } : { atMs: Number.NEGATIVE_INFINITY });
    else if (row.categoryId && row.timeMs >= entry.atMs) {
      entry.categoryId = row.categoryId;
      entry.atMs = row.timeMs;
    }
  }
  return [...seen].map(([itemId, { categoryId }]) => (categoryId ? { itemId, available: true, categoryId } : { itemId, available: true }));
}
