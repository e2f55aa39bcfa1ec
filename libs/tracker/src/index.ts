export { MAX_BATCH_EVENTS, MAX_BODY_BYTES, MAX_EVENT_BYTES } from './event.js';
export type { EventContext, EventSourceName, EventTypeName, HttpEvent, IngestResponse, Rejection } from './event.js';
export { BatchSender, eventTimeMs, type BatchSenderOptions, type BatchTotals } from './batch-sender.js';
export { randomId } from './ids.js';
export {
  batchBody,
  eventsUrl,
  IngestClient,
  keyedUrl,
  type AttemptOutcome,
  type FetchLike,
  type IngestClientOptions,
  type RequestInitLike,
  type ResponseLike,
  type RetryInfo,
  type SendResult,
} from './ingest-client.js';
export { backoffDelay, defaultRetryPolicy, isRetriableStatus, parseRetryAfter, type RetryPolicy } from './retry.js';
export {
  chunkEvents,
  createTracker,
  Tracker,
  utf8Length,
  type BeaconFn,
  type PageLike,
  type Scheduler,
  type TrackerError,
  type TrackerOptions,
  type TrackerStats,
  type TrackInput,
} from './tracker.js';
