/**
 * The JSON form of one event on the HTTP ingest API (docs/specs/http-ingest.md). Field names are
 * the proto's JSON names; `eventTime` is unix ms or an RFC 3339 string.
 */
export const eventTypes = [
  'page_view',
  'product_view',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'checkout',
  'purchase',
  'review',
  'recommendation_shown',
  'recommendation_clicked',
] as const;

export type EventTypeName = (typeof eventTypes)[number];

export function isEventTypeName(value: string): value is EventTypeName {
  return (eventTypes as readonly string[]).includes(value);
}

export interface EventContext {
  device?: string;
  referrer?: string;
  page?: string;
  userAgent?: string;
  locale?: string;
}

/** How the event reached Clickwise, when a client says so (ingestion sets `http`/`grpc` otherwise). */
export type EventSourceName = 'http' | 'tracker' | 'replay' | 'simulator';

export interface HttpEvent {
  /** 1..128 chars of [A-Za-z0-9_.:-]; the dedupe key. */
  eventId: string;
  type: EventTypeName;
  userId?: string;
  anonymousId?: string;
  sessionId: string;
  itemId?: string;
  categoryId?: string;
  price?: number;
  currency?: string;
  quantity?: number;
  searchQuery?: string;
  reviewText?: string;
  reviewRating?: number;
  recommendationId?: string;
  itemIds?: string[];
  /** Unix milliseconds, or an RFC 3339 string. */
  eventTime: number | string;
  context?: EventContext;
  source?: EventSourceName;
}

/** One rejected event of a response. */
export interface Rejection {
  index: number;
  eventId?: string;
  field?: string;
  reason: string;
}

/** The 200 response body of POST /v1/events. */
export interface IngestResponse {
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
}

/** Largest batch the API takes (events per request). */
export const MAX_BATCH_EVENTS = 1000;
/** Largest request body the API takes (bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Largest single event the API takes (bytes of JSON). */
export const MAX_EVENT_BYTES = 32 * 1024;
