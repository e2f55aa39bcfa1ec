/**
 * The HTTP ingest API's wire types (docs/specs/http-ingest.md) are libs/contracts', derived from
 * the proto; the tracker re-exports them as its public types. Type-only (ADR 0025): the tracker's
 * built modules import nothing at run time, so a page loads them without a bundler.
 */
export type {
  EventSourceName,
  EventTypeName,
  HttpEvent,
  HttpEventContext as EventContext,
  HttpIngestResponse as IngestResponse,
  HttpRejection as Rejection,
} from '@clickwise/contracts';

/** Largest batch the API takes (events per request). */
export const MAX_BATCH_EVENTS = 1000;
/** Largest request body the API takes (bytes). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Largest single event the API takes (bytes of JSON). */
export const MAX_EVENT_BYTES = 32 * 1024;
