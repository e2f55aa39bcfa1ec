import { EventType, shopperKey, type Event } from '@clickwise/contracts';
import type { RecsEvent, RecsEventKind } from '@clickwise/recs';

/** Why an event teaches the index nothing (a label of clickwise_recommender_events_skipped_total). */
export type SkipReason = 'type' | 'no_item' | 'no_session' | 'no_shopper';

/** The clickstream event types the live index learns from, as libs/recs' kinds. */
const KINDS: ReadonlyMap<EventType, RecsEventKind> = new Map([
  [EventType.PRODUCT_VIEW, 'view'],
  [EventType.ADD_TO_CART, 'cart'],
  [EventType.PURCHASE, 'purchase'],
]);

/**
 * A clickstream event as the index's events (ADR 0095): a product view, cart add or purchase of an
 * item in a session. A purchase counts for its item and for each of `item_ids` (a multi-line
 * purchase). Everything else (page views, searches, cart removals, reviews, recommendation shown /
 * clicked — the product view a click leads to is indexed) is skipped with its reason.
 */
export function indexEventsOf(event: Event): RecsEvent[] | SkipReason {
  const kind = KINDS.get(event.type);
  if (kind === undefined) return 'type';
  const shopper = shopperKey(event);
  if (shopper === '') return 'no_shopper';
  if (event.sessionId === '') return 'no_session';
  const items = kind === 'purchase' ? [...new Set([event.itemId, ...event.itemIds].filter((id) => id !== ''))] : event.itemId === '' ? [] : [event.itemId];
  if (items.length === 0) return 'no_item';
  const timeMs = Number(event.eventTimeMs);
  return items.map((itemId) => ({
    shopperKey: shopper,
    sessionId: event.sessionId,
    itemId,
    kind,
    timeMs,
    ...(event.categoryId !== '' && itemId === event.itemId ? { categoryId: event.categoryId } : {}),
  }));
}
