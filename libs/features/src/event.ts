import { EventType, shopperKey, type Event } from '@clickwise/contracts';
import { queryTerms } from '@clickwise/text';

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
  /** Review text (none: '' or undefined). */
  reviewText?: string;
  /**
   * The review text's sentiment (probability positive) from the engine's sentiment model: set by
   * `FeatureEngine.prepare` (undefined without a model, a text, or for other event types).
   */
  reviewSentiment?: number | undefined;
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
    reviewText: event.reviewText,
    timeMs: Number(event.eventTimeMs),
  };
}

/**
 * The terms of a search query: @clickwise/text's normaliser (NFKC, lower case, diacritics folded,
 * stopwords and 1-character words dropped, distinct, at most 8 of at most 32 characters).
 */
export { queryTerms };

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
