import type { CatalogItem as CatalogItemRecord } from '@clickwise/contracts';
import type { CatalogItem } from './catalog-view.js';

/**
 * Pure validation of catalogue updates (PUT /v1/catalog/items and gRPC PutCatalogItems): JSON
 * objects or protobuf records in, CatalogItems or a rejection naming the field out. One item's
 * problem never refuses the others of its request.
 */

/** Why one item was refused. */
export type CatalogRejectionCode = 'not_an_object' | 'unknown_field' | 'missing_field' | 'invalid_field';

export interface CatalogRejection {
  index: number;
  /** The item id, when one could be read (cut to MAX_ITEM_ID_CHARS). */
  itemId: string;
  /** Path from the request body, e.g. `items[3].price`. */
  field: string;
  reason: string;
  code: CatalogRejectionCode;
}

/** What the rules need to know about the request. */
export interface CatalogCheckContext {
  /** Arrival time: the `updatedAt` of items that carry none, and the reference for `updatedAt` checks. */
  nowMs: number;
  /** How far ahead of arrival `updatedAt` may be (ms). */
  maxFutureMs: number;
}

export const MAX_ITEM_ID_CHARS = 128;
export const MAX_CATEGORY_ID_CHARS = 128;
export const MAX_TITLE_CHARS = 512;
/** Most items in one request. */
export const MAX_CATALOG_ITEMS = 1000;
/** Earliest `updatedAt` accepted (2000-01-01): earlier is a unit mistake (seconds for milliseconds). */
export const MIN_UPDATED_AT_MS = 946_684_800_000;

/** Every field of a JSON catalogue item (the proto's JSON names; `updatedAt` stands for `updatedAtMs`). */
export const CATALOG_ITEM_FIELDS = ['itemId', 'available', 'price', 'currency', 'categoryId', 'title', 'updatedAt', 'updatedAtMs'] as const;
type JsonField = (typeof CATALOG_ITEM_FIELDS)[number];

/** Compiles only while every field of the proto CatalogItem is a JSON field (so proto and parser move together). */
type Unmapped<T extends never> = T;
type _EveryFieldMapped = Unmapped<Exclude<keyof CatalogItemRecord, JsonField | '$typeName' | '$unknown'>>;

const CURRENCY = /^[A-Z]{3}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const DIGITS = /^\d{1,16}$/;
// Control characters (C0, DEL, C1) have no place in an id.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

class ItemProblem extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
    readonly code: CatalogRejectionCode,
  ) {
    super(reason);
  }
}

function bad(field: string, reason: string, code: CatalogRejectionCode = 'invalid_field'): never {
  throw new ItemProblem(field, reason, code);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${value}`;
  return typeof value;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') bad(field, `must be a string, got ${describe(value)}`);
  if (value.length > max) bad(field, `is ${value.length} characters; at most ${max} are allowed`);
  if (!value.isWellFormed()) bad(field, 'contains an unpaired UTF-16 surrogate (not valid Unicode)');
  return value;
}

function identifier(value: string, field: string, max: number): void {
  if (value.length > max) bad(field, `is ${value.length} characters; at most ${max} are allowed`);
  if (value.trim() !== value) bad(field, 'must not start or end with white space');
  if (CONTROL.test(value)) bad(field, 'must not contain control characters');
}

function parseUpdatedAt(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) bad(field, `must be whole unix milliseconds, got ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    if (DIGITS.test(value)) return Number(value);
    if (!RFC3339.test(value)) bad(field, `must be unix milliseconds or an RFC 3339 time like 2026-12-02T10:00:00Z, got ${describe(value)}`);
    const ms = Date.parse(value.replace(' ', 'T'));
    if (Number.isNaN(ms)) bad(field, `is not a real time: ${describe(value)}`);
    return ms;
  }
  bad(field, `must be unix milliseconds (number) or an RFC 3339 string, got ${describe(value)}`);
}

/** The rules every item meets, whatever its wire format; fills `updatedAtMs` with the arrival time when absent. */
function checkItem(item: CatalogItem, path: string, ctx: CatalogCheckContext, timeField: 'updatedAt' | 'updatedAtMs' = 'updatedAt'): CatalogItem {
  const at = (field: string) => `${path}.${field}`;
  if (item.itemId === '') bad(at('itemId'), `is required (1..${MAX_ITEM_ID_CHARS} characters)`, 'missing_field');
  identifier(item.itemId, at('itemId'), MAX_ITEM_ID_CHARS);
  if (item.categoryId !== undefined) identifier(item.categoryId, at('categoryId'), MAX_CATEGORY_ID_CHARS);
  if (item.title !== undefined && item.title.length > MAX_TITLE_CHARS) bad(at('title'), `is ${item.title.length} characters; at most ${MAX_TITLE_CHARS} are allowed`);
  if (item.price !== undefined) {
    if (!Number.isFinite(item.price)) bad(at('price'), `must be a finite number, got ${item.price}`);
    if (item.price < 0) bad(at('price'), `must be >= 0, got ${item.price}`);
  }
  if (item.currency !== undefined) {
    if (!CURRENCY.test(item.currency)) bad(at('currency'), `must be an ISO 4217 code like EUR, got ${JSON.stringify(item.currency)}`);
    if (item.price === undefined) bad(at('currency'), 'is given without a price');
  }
  if (item.updatedAtMs === undefined) return { ...item, updatedAtMs: ctx.nowMs };
  if (item.updatedAtMs < MIN_UPDATED_AT_MS) {
    bad(at(timeField), `${new Date(Math.max(item.updatedAtMs, -8.64e15)).toISOString()} is before 2000-01-01 (updatedAt is unix milliseconds; seconds?)`);
  }
  if (item.updatedAtMs > ctx.nowMs + ctx.maxFutureMs) {
    bad(at(timeField), `${new Date(Math.min(item.updatedAtMs, 8.64e15)).toISOString()} is after arrival; at most ${Math.round(ctx.maxFutureMs / 1000)} s ahead is allowed`);
  }
  return item;
}

function rejection(error: unknown, index: number, itemId: unknown): CatalogRejection {
  if (!(error instanceof ItemProblem)) throw error;
  const id = typeof itemId === 'string' ? itemId.slice(0, MAX_ITEM_ID_CHARS) : '';
  return { index, itemId: id, field: error.field, reason: error.reason, code: error.code };
}

/**
 * One JSON item of `{"items": [...]}` (at `items[index]`). `null` means "not set", as in proto3
 * JSON. `available` is required, so an update never removes or restores an item by omission. The
 * item's record replaces the one before it: fields not given are absent afterwards.
 */
export function catalogItemFromJson(raw: unknown, index: number, ctx: CatalogCheckContext): CatalogItem | CatalogRejection {
  const path = `items[${index}]`;
  const obj = raw as Record<string, unknown> | null;
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(path, `an item must be a JSON object, got ${describe(raw)}`, 'not_an_object');
    const item: { -readonly [K in keyof CatalogItem]: CatalogItem[K] } = { itemId: '', available: true };
    let available: boolean | undefined;
    for (const key in obj) {
      const value = obj[key];
      const field = `${path}.${key}`;
      if (value === null || value === undefined) continue;
      switch (key as JsonField) {
        case 'itemId':
          item.itemId = text(value, field, 100_000);
          break;
        case 'available':
          if (typeof value !== 'boolean') bad(field, `must be true or false, got ${describe(value)}`);
          available = value;
          break;
        case 'price':
          if (typeof value !== 'number') bad(field, `must be a number, got ${describe(value)}`);
          item.price = value;
          break;
        case 'currency':
          item.currency = text(value, field, 12);
          break;
        case 'categoryId': {
          const category = text(value, field, 100_000);
          if (category !== '') item.categoryId = category;
          break;
        }
        case 'title': {
          const title = text(value, field, 100_000);
          if (title !== '') item.title = title;
          break;
        }
        case 'updatedAt':
        case 'updatedAtMs':
          if (item.updatedAtMs !== undefined) bad(field, 'give updatedAt or updatedAtMs, not both');
          item.updatedAtMs = parseUpdatedAt(value, field);
          break;
        default:
          bad(field, `unknown field; an item has ${CATALOG_ITEM_FIELDS.filter((f) => f !== 'updatedAtMs').join(', ')}`, 'unknown_field');
      }
    }
    if (available === undefined) bad(`${path}.available`, 'is required (true, or false to remove the item)', 'missing_field');
    item.available = available;
    return checkItem(item, path, ctx);
  } catch (error) {
    return rejection(error, index, obj && typeof obj === 'object' ? obj.itemId : undefined);
  }
}

/** One protobuf item of PutCatalogItems (empty strings and `updatedAtMs` 0 are absent). */
export function catalogItemFromProto(record: CatalogItemRecord, index: number, ctx: CatalogCheckContext): CatalogItem | CatalogRejection {
  const path = `items[${index}]`;
  try {
    const item: { -readonly [K in keyof CatalogItem]: CatalogItem[K] } = { itemId: record.itemId, available: record.available };
    if (!record.itemId.isWellFormed()) bad(`${path}.itemId`, 'contains an unpaired UTF-16 surrogate (not valid Unicode)');
    if (record.price !== undefined) item.price = record.price;
    if (record.currency !== '') item.currency = record.currency;
    if (record.categoryId !== '') item.categoryId = record.categoryId;
    if (record.title !== '') item.title = record.title;
    if (record.updatedAtMs !== 0n) {
      if (record.updatedAtMs < 0n || record.updatedAtMs > BigInt(Number.MAX_SAFE_INTEGER)) bad(`${path}.updatedAtMs`, `is out of range: ${record.updatedAtMs}`);
      item.updatedAtMs = Number(record.updatedAtMs);
    }
    return checkItem(item, path, ctx, 'updatedAtMs');
  } catch (error) {
    return rejection(error, index, record.itemId);
  }
}

export function isCatalogRejection(value: CatalogItem | CatalogRejection): value is CatalogRejection {
  return 'reason' in value && 'code' in value;
}
