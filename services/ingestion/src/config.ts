import { defineConfig, env, port, positiveInt, serviceConfig, z } from '@clickwise/config';
import { workersSetting } from '@clickwise/service';
import { parseCorsOrigins } from './cors.js';

const HOUR_MS = 3_600_000;

/** The ingestion service's configuration, parsed once from the environment by the kit's runService. */
export class IngestionConfig extends defineConfig('ingestion', {
  ...serviceConfig,
  httpPort: env('HTTP_PORT', port(8080)),
  /**
   * Processes serving the ports (node:cluster; ADR 0026): a count, or `auto` (the default) for one
   * per core the process may use (its CPU affinity, capped by its cgroup's CPU quota, so a pod with
   * a limit of 2 runs 2), at most 4. One Node process is bound to one core for parsing and
   * encoding; on two cores two processes take ~20 % more events/s (ADR 0026).
   */
  workers: env('INGESTION_WORKERS', workersSetting('auto')),
  grpcPort: env('GRPC_PORT', port(50051)),
  /** Size and time limits of what ingestion accepts. */
  limits: {
    /** Most events in one request (HTTP body or gRPC message). */
    maxBatchEvents: env('INGEST_MAX_BATCH_EVENTS', positiveInt(1000)),
    /** Largest request body / gRPC message, bytes. */
    maxBatchBytes: env('INGEST_MAX_BATCH_BYTES', positiveInt(1024 * 1024)),
    /** Largest single event (its protobuf encoding), bytes. */
    maxEventBytes: env('INGEST_MAX_EVENT_BYTES', positiveInt(32 * 1024)),
    /** How far back an `ingest`-scoped key may date events (ms). */
    maxPastMs: env('INGEST_MAX_PAST_MS', positiveInt(24 * HOUR_MS)),
    /** How far ahead of arrival any event may be dated (ms). */
    maxFutureMs: env('INGEST_MAX_FUTURE_MS', positiveInt(5 * 60_000)),
  },
  /** How long an event id is remembered for dedupe (ms, by arrival). */
  dedupeTtlMs: env('DEDUPE_TTL_MS', positiveInt(24 * HOUR_MS)),
  /** How long an id stays claimed by a request whose Kafka write has not finished (ms). */
  dedupeClaimTtlMs: env('DEDUPE_CLAIM_TTL_MS', positiveInt(120_000)),
  /** How long a request waits for Kafka's acknowledgement before it is answered 503 (ms). */
  kafkaAckTimeoutMs: env('KAFKA_ACK_TIMEOUT_MS', positiveInt(10_000)),
  /** Bytes of request bodies being worked on at once before new requests get 429. */
  maxInflightBytes: env('INGEST_MAX_INFLIGHT_BYTES', positiveInt(64 * 1024 * 1024)),
  /** Bytes waiting for Kafka before new writes get 429. */
  kafkaMaxBufferedBytes: env('KAFKA_MAX_BUFFERED_BYTES', positiveInt(64 * 1024 * 1024)),
  /** How long the producer lets records wait for others to share a produce request (ms). */
  kafkaLingerMs: env('KAFKA_LINGER_MS', z.coerce.number().int().min(0).default(2)),
  /**
   * Most records in one produce request. Larger requests measured no cheaper once kafkajs's
   * quadratic grouping was patched (ADR 0018), and requests are bounded by records, not bytes.
   */
  kafkaMaxBatchRecords: env('KAFKA_MAX_BATCH_RECORDS', positiveInt(1000)),
  /** Most bytes in one produce request (keeps every partition's batch under the broker's 1 MB `message.max.bytes`). */
  kafkaMaxBatchBytes: env('KAFKA_MAX_BATCH_BYTES', positiveInt(1024 * 1024)),
  cors: {
    /** Origins whose pages may post to /v1/events from a browser: `*` (any) or a comma-separated list. */
    origins: env('CORS_ORIGINS', z.string().default('*').transform(parseCorsOrigins)),
    /** How long a browser may cache a CORS preflight answer (s). */
    maxAgeSeconds: env('CORS_MAX_AGE_S', positiveInt(600)),
  },
  /** How long an authenticated (or refused) API key lookup is reused before Redis is asked again (ms; 0 = no cache). */
  apiKeyCacheTtlMs: env('API_KEY_CACHE_TTL_MS', z.coerce.number().int().min(0).max(60_000).default(1000)),
}) {}

/** Size and time limits of what ingestion accepts. */
export type IngestLimits = IngestionConfig['limits'];
