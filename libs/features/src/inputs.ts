import { EventType } from '@clickwise/contracts';
import { queryTerms, type FeatureEvent } from './event.js';

/**
 * A number read from an event. Events where it is undefined do not contribute.
 * - one: 1
 * - price: unit price (undefined when absent)
 * - quantity: units (1 when absent)
 * - value: price × quantity (undefined without a price)
 * - signed_quantity / signed_value: + for add to cart, − for remove from cart (value counts a
 *   missing price as 0)
 * - rating: review rating (undefined when absent)
 * - time: event time (ms)
 * - sentiment: the review text's sentiment score (probability positive) from the engine's
 *   sentiment model (undefined without a text)
 * - sentiment_scored: 1 for a review whose text has a sentiment score
 * The last two need a sentiment model: without one, every feature reading them is absent (null).
 */
export type Measure =
  | 'one'
  | 'price'
  | 'quantity'
  | 'value'
  | 'signed_quantity'
  | 'signed_value'
  | 'rating'
  | 'time'
  | 'sentiment'
  | 'sentiment_scored';

/** Measures read from a model's output (the engine's sentiment scorer). */
export const SENTIMENT_MEASURES: readonly Measure[] = ['sentiment', 'sentiment_scored'];

/** A string read from an event: item id, category id, session id, or the terms of a search query. */
export type KeyOf = 'item' | 'category' | 'session' | 'query_terms';

/** Weight of each event type (missing types weigh 0). */
export type TypeWeights = Partial<Record<EventType, number>>;

/** The number a measure reads from an event, or undefined when the event lacks it. */
export function measureOf(measure: Measure, e: FeatureEvent): number | undefined {
  switch (measure) {
    case 'one':
      return 1;
    case 'price':
      return e.price;
    case 'quantity':
      return e.quantity ?? 1;
    case 'value':
      return e.price === undefined ? undefined : e.price * (e.quantity ?? 1);
    case 'signed_quantity':
      return cartSign(e.type) * (e.quantity ?? 1);
    case 'signed_value':
      return cartSign(e.type) * (e.price ?? 0) * (e.quantity ?? 1);
    case 'rating':
      return e.reviewRating;
    case 'time':
      return e.timeMs;
    case 'sentiment':
      return e.reviewSentiment;
    case 'sentiment_scored':
      return e.reviewSentiment === undefined ? undefined : 1;
  }
}

function cartSign(type: EventType): number {
  return type === EventType.ADD_TO_CART ? 1 : type === EventType.REMOVE_FROM_CART ? -1 : 0;
}

export const NO_KEYS: readonly string[] = [];

/** The keys an event gives for a key kind (none when the event lacks it). */
export function keysOf(key: KeyOf, e: FeatureEvent): readonly string[] {
  switch (key) {
    case 'item':
      return e.itemId === '' ? NO_KEYS : [e.itemId];
    case 'category':
      return e.categoryId === '' ? NO_KEYS : [e.categoryId];
    case 'session':
      return e.sessionId === '' ? NO_KEYS : [e.sessionId];
    case 'query_terms':
      return queryTerms(e.searchQuery);
  }
}

/** The event types with a positive weight that the filter lets through. */
export function positiveTypes(weights: TypeWeights, types: readonly EventType[]): EventType[] {
  return types.filter((t) => (weights[t] ?? 0) > 0);
}
