import type { EventSourceName, EventTypeName } from './event-vocabulary.js';
import type { Event, EventContext } from './gen/clickwise/v1/event_pb.js';

/**
 * The JSON form of events on the HTTP ingest API (docs/specs/http-ingest.md), derived from the
 * protobuf Event: field names are the proto's JSON names, the type and source are names, and
 * `eventTime` is unix ms or an RFC 3339 string. Ingestion's JSON parser is checked against
 * `HttpEventField` (every field has its case), so the proto, this type and the parser move together.
 * Type-only: the browser tracker takes these without loading any code of this package.
 */

/** Where the event happened on the storefront: every field of the proto's EventContext, optional. */
export type HttpEventContext = Partial<Omit<EventContext, '$typeName' | '$unknown'>>;

/** Event fields sent as they are in the proto (strings, numbers, item id lists), all optional. */
type PlainFields =
  | 'userId'
  | 'anonymousId'
  | 'itemId'
  | 'categoryId'
  | 'price'
  | 'currency'
  | 'quantity'
  | 'searchQuery'
  | 'reviewText'
  | 'reviewRating'
  | 'recommendationId'
  | 'itemIds';

/** One event as a storefront sends it. */
export interface HttpEvent extends Pick<Event, 'eventId' | 'sessionId'>, Partial<Pick<Event, PlainFields>> {
  type: EventTypeName;
  /** Unix milliseconds, or an RFC 3339 string (the proto's `eventTimeMs`, which is accepted too). */
  eventTime: number | string;
  context?: HttpEventContext;
  /** Defaults to `http`. */
  source?: EventSourceName;
}

/** Fields of the proto Event that ingestion sets; a client that sends one is refused. */
export type ServerSetEventField = 'ingestedAtMs' | 'apiKeyId';

/** Every top-level key ingestion knows in a JSON event (`eventTimeMs` is the alias of `eventTime`). */
export type HttpEventField = keyof HttpEvent | 'eventTimeMs' | ServerSetEventField;

/** Compiles only while every field of the proto Event is an HTTP field or set by ingestion. */
type Unmapped<T extends never> = T;
type _EveryEventFieldMapped = Unmapped<Exclude<keyof Event, HttpEventField | '$typeName' | '$unknown'>>;

/** One refused event of an ingest response. */
export interface HttpRejection {
  index: number;
  eventId?: string;
  field?: string;
  reason: string;
}

/** The 200 response body of POST /v1/events. */
export interface HttpIngestResponse {
  accepted: number;
  duplicates: number;
  rejected: HttpRejection[];
}
