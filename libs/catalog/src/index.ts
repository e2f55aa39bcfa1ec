// The public API of libs/catalog (docs/specs/recommender.md): the CatalogView seam, its in-memory
// state, the record codec, item validation and the per-replica follower of catalog.items.v1.
export type { CatalogItem, CatalogView } from './catalog-view.js';
export { CatalogState, type CatalogListener } from './catalog-state.js';
export { decodeCatalogItem, encodeCatalogItem, fromCatalogRecord, toCatalogRecord } from './catalog-record.js';
export {
  CATALOG_ITEM_FIELDS,
  catalogItemFromJson,
  catalogItemFromProto,
  isCatalogRejection,
  MAX_CATALOG_ITEMS,
  MAX_CATEGORY_ID_CHARS,
  MAX_ITEM_ID_CHARS,
  MAX_TITLE_CHARS,
  type CatalogCheckContext,
  type CatalogRejection,
  type CatalogRejectionCode,
} from './catalog-validation.js';
export { itemsSeenIn, type ItemSighting } from './catalog-seed.js';
export { CatalogFollower, type CatalogFollowerOptions } from './catalog.follower.js';
