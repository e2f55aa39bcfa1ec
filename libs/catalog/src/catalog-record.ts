import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { CatalogItemSchema, type CatalogItem as CatalogItemRecord } from '@clickwise/contracts';
import type { CatalogItem } from './catalog-view.js';

/**
 * The codec between a CatalogItem and its record on catalog.items.v1 (proto clickwise.v1.CatalogItem).
 * proto3 has no "unset" for strings: an empty category, currency or title is absent, and
 * `updated_at_ms` 0 is absent.
 */

/** The protobuf record of an item. */
export function toCatalogRecord(item: CatalogItem): CatalogItemRecord {
  return create(CatalogItemSchema, {
    itemId: item.itemId,
    available: item.available,
    price: item.price,
    currency: item.currency ?? '',
    categoryId: item.categoryId ?? '',
    title: item.title ?? '',
    updatedAtMs: BigInt(item.updatedAtMs ?? 0),
  });
}

/** The item a record holds; `key` (the record key) stands in for an empty item id. */
export function fromCatalogRecord(record: CatalogItemRecord, key?: string | null): CatalogItem {
  const item: { -readonly [K in keyof CatalogItem]: CatalogItem[K] } = { itemId: record.itemId || (key ?? ''), available: record.available };
  if (record.price !== undefined) item.price = record.price;
  if (record.currency !== '') item.currency = record.currency;
  if (record.categoryId !== '') item.categoryId = record.categoryId;
  if (record.title !== '') item.title = record.title;
  if (record.updatedAtMs !== 0n) item.updatedAtMs = Number(record.updatedAtMs);
  return item;
}

export function encodeCatalogItem(item: CatalogItem): Uint8Array {
  return toBinary(CatalogItemSchema, toCatalogRecord(item));
}

export function decodeCatalogItem(bytes: Uint8Array, key?: string | null): CatalogItem {
  return fromCatalogRecord(fromBinary(CatalogItemSchema, bytes), key);
}
