import { EventType, type Event } from '@clickwise/contracts';

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

/** Number of EventType values (0 = unspecified … 10 = recommendation clicked). */
export const EVENT_TYPE_COUNT = 11;

/** The event types a storefront sends, in wire order. */
export const EVENT_TYPES: readonly EventType[] = [
  EventType.PAGE_VIEW,
  EventType.PRODUCT_VIEW,
  EventType.SEARCH,
  EventType.ADD_TO_CART,
  EventType.REMOVE_FROM_CART,
  EventType.CHECKOUT,
  EventType.PURCHASE,
  EventType.REVIEW,
  EventType.RECOMMENDATION_SHOWN,
  EventType.RECOMMENDATION_CLICKED,
];

/** snake_case name of an event type, as used in feature names ("add_to_cart"). */
export function eventTypeName(type: EventType): string {
  switch (type) {
    case EventType.UNSPECIFIED:
      return 'unspecified';
    case EventType.PAGE_VIEW:
      return 'page_view';
    case EventType.PRODUCT_VIEW:
      return 'product_view';
    case EventType.SEARCH:
      return 'search';
    case EventType.ADD_TO_CART:
      return 'add_to_cart';
    case EventType.REMOVE_FROM_CART:
      return 'remove_from_cart';
    case EventType.CHECKOUT:
      return 'checkout';
    case EventType.PURCHASE:
      return 'purchase';
    case EventType.REVIEW:
      return 'review';
    case EventType.RECOMMENDATION_SHOWN:
      return 'recommendation_shown';
    case EventType.RECOMMENDATION_CLICKED:
      return 'recommendation_clicked';
  }
}

/** The shopper key of an event: user id when set, else anonymous id (as ingestion keys records). */
export function shopperKeyOf(event: Pick<Event, 'userId' | 'anonymousId'>): string {
  return event.userId !== '' ? event.userId : event.anonymousId;
}

/** Reduces a protobuf Event to what the definitions read. */
export function toFeatureEvent(event: Event): FeatureEvent {
  return {
    eventId: event.eventId,
    type: event.type,
    shopperKey: shopperKeyOf(event),
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
