/**
 * The catalogue as the recommender and features read it (docs/specs/recommender.md, "Seams").
 * Pure types: no Kafka, no I/O.
 */

/** One item's latest catalogue record (catalog.items.v1, keyed by item id). */
export interface CatalogItem {
  readonly itemId: string;
  /** false: the item is removed or out of stock and is never recommended. */
  readonly available: boolean;
  readonly price?: number;
  /** ISO 4217 code, upper case (given only with a price). */
  readonly currency?: string;
  readonly categoryId?: string;
  readonly title?: string;
  /** When the storefront changed the item (unix ms; informational: the log order decides, ADR 0099). */
  readonly updatedAtMs?: number;
}

/**
 * A read-only view of the catalogue. An item the catalogue has never heard of is available (the
 * benchmark and the RetailRocket week have no catalogue); an item whose latest record says
 * `available: false` is not.
 */
export interface CatalogView {
  get(itemId: string): CatalogItem | undefined;
  isAvailable(itemId: string): boolean;
  categoryOf(itemId: string): string | undefined;
}
