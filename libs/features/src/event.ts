import { EventType, shopperKey, type Event } from '@clickwise/contracts';

/**
 * What the feature definitions read from an event: the protobuf Event reduced to plain values
 * (event time as a number, optional numbers as `undefined`). Both executors build it with
 * `toFeatureEvent`, so they see the same thing.
 */
export interface FeatureEvent {
  eventId: string;
  type: EventType;
  /** user id, else anonymous id (the Kafka record key). */
  shopperKey: string;
  sessionId: string;
  itemId: string;
  /** Items shown (recommendation shown) or bought (multi-line purchase). */
  itemIds: readonly string[];
  categoryId: string;
  price: number | undefined;
  quantity: number | undefined;
  searchQuery: string;
  reviewRating: number | undefined;
  /** Event time, unix ms. */
  timeMs: number;
}

// The event vocabulary is libs/contracts' (names derived from the proto enum); re-exported for
// the definitions and engine, which read it from here.
export { EVENT_TYPE_COUNT, EVENT_TYPES, eventTypeName, shopperKey as shopperKeyOf } from '@clickwise/contracts';

/** Reduces a protobuf Event to what the definitions read. */
export function toFeatureEvent(event: Event): FeatureEvent {
  return {
    eventId: event.eventId,
    type: event.type,
    shopperKey: shopperKey(event),
    sessionId: event.sessionId,
    itemId: event.itemId,
    itemIds: event.itemIds,
    categoryId: event.categoryId,
    price: event.price,
    quantity: event.quantity,
    searchQuery: event.searchQuery,
    reviewRating: event.reviewRating,
    timeMs: Number(event.eventTimeMs),
  };
}

const TERM_SPLIT = /[^\p{L}\p{N}]+/u;
/** Most terms taken from one query, and the longest term kept. */
export const MAX_TERMS_PER_QUERY = 8;
export const MAX_TERM_LENGTH = 32;

/**
 * The terms of a search query: lower-cased runs of letters and digits of at least 2 characters,
 * cut to 32 characters, distinct, at most 8, in query order.
 */
export function queryTerms(query: string): string[] {
  const terms: string[] = [];
  if (query === '') return terms;
  for (const raw of query.toLowerCase().split(TERM_SPLIT)) {
    if (raw.length < 2) continue;
    const term = raw.length > MAX_TERM_LENGTH ? raw.slice(0, MAX_TERM_LENGTH) : raw;
    if (terms.includes(term)) continue;
    terms.push(term);
    if (terms.length === MAX_TERMS_PER_QUERY) break;
  }
  return terms;
}

/**
 * The items an event counts for: its item id, and for recommendation shown and purchase events
 * also the items listed in item_ids (distinct).
 */
export function itemKeysOf(event: FeatureEvent): string[] {
  const keys: string[] = [];
  if (event.itemId !== '') keys.push(event.itemId);
  if (event.itemIds.length > 0 && (event.type === EventType.RECOMMENDATION_SHOWN || event.type === EventType.PURCHASE)) {
    for (const id of event.itemIds) if (id !== '' && !keys.includes(id)) keys.push(id);
  }
  return keys;
}
