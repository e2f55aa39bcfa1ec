import { parseConfig, port, positiveInt, serviceEnv, z } from '@clickwise/config';
import { parseCorsOrigins, type CorsPolicy } from './cors.js';

const HOUR_MS = 3_600_000;

const schema = z.object({
  ...serviceEnv,
  HTTP_PORT: port(8080),
  GRPC_PORT: port(50051),
  /** Most events in one request (HTTP body or gRPC message). */
  INGEST_MAX_BATCH_EVENTS: positiveInt(1000),
  /** Largest request body / gRPC message, bytes. */
  INGEST_MAX_BATCH_BYTES: positiveInt(1024 * 1024),
  /** Largest single event (its protobuf encoding), bytes. */
  INGEST_MAX_EVENT_BYTES: positiveInt(32 * 1024),
  /** How far back an `ingest`-scoped key may date events (ms). */
  INGEST_MAX_PAST_MS: positiveInt(24 * HOUR_MS),
  /** How far ahead of arrival any event may be dated (ms). */
  INGEST_MAX_FUTURE_MS: positiveInt(5 * 60_000),
  /** How long an event id is remembered for dedupe (ms, by arrival). */
  DEDUPE_TTL_MS: positiveInt(24 * HOUR_MS),
  /** How long an id stays claimed by a request whose Kafka write has not finished (ms). */
  DEDUPE_CLAIM_TTL_MS: positiveInt(120_000),
  /** How long a request waits for Kafka's acknowledgement before it is answered 503 (ms). */
  KAFKA_ACK_TIMEOUT_MS: positiveInt(10_000),
  /** Bytes of request bodies being worked on at once before new requests get 429. */
  INGEST_MAX_INFLIGHT_BYTES: positiveInt(64 * 1024 * 1024),
  /** Bytes waiting for Kafka before new writes get 429. */
  KAFKA_MAX_BUFFERED_BYTES: positiveInt(64 * 1024 * 1024),
  /** How long the producer lets records wait for others to share a produce request (ms). */
  KAFKA_LINGER_MS: z.coerce.number().int().min(0).default(2),
  /**
   * Most records in one produce request. Larger requests measured no cheaper once kafkajs's
   * quadratic grouping was patched (ADR 0018), and requests are bounded by records, not bytes.
   */
  KAFKA_MAX_BATCH_RECORDS: positiveInt(1000),
  /** Origins whose pages may post to /v1/events from a browser: `*` (any) or a comma-separated list. */
  CORS_ORIGINS: z.string().default('*'),
  /** How long a browser may cache a CORS preflight answer (s). */
  CORS_MAX_AGE_S: positiveInt(600),
  /** How long an authenticated (or refused) API key lookup is reused before Redis is asked again (ms; 0 = no cache). */
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
});

export type IngestionSettings = z.output<typeof schema>;

/** The ingestion service's configuration, parsed once from the environment in main.ts. */
export class IngestionConfig {
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  readonly host: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly topicPrefix: string;
  readonly limits: IngestLimits;
  readonly dedupeTtlMs: number;
  readonly dedupeClaimTtlMs: number;
  readonly maxInflightBytes: number;
  readonly kafkaMaxBufferedBytes: number;
  readonly kafkaLingerMs: number;
  readonly kafkaAckTimeoutMs: number;
  readonly kafkaMaxBatchRecords: number;
  readonly dlqMaxPayloadBytes: number;
  readonly shutdownGraceMs: number;
  readonly cors: CorsPolicy;
  readonly apiKeyCacheTtlMs: number;
  readonly otlpEndpoint: string | undefined;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';

  constructor(s: IngestionSettings) {
    this.kafkaBrokers = s.KAFKA_BROKERS;
    this.redisUrl = s.REDIS_URL;
    this.redisKeyPrefix = s.REDIS_KEY_PREFIX;
    this.host = s.HOST;
    this.httpPort = s.HTTP_PORT;
    this.grpcPort = s.GRPC_PORT;
    this.topicPrefix = s.KAFKA_TOPIC_PREFIX;
    this.limits = {
      maxBatchEvents: s.INGEST_MAX_BATCH_EVENTS,
      maxBatchBytes: s.INGEST_MAX_BATCH_BYTES,
      maxEventBytes: s.INGEST_MAX_EVENT_BYTES,
      maxPastMs: s.INGEST_MAX_PAST_MS,
      maxFutureMs: s.INGEST_MAX_FUTURE_MS,
    };
    this.dedupeTtlMs = s.DEDUPE_TTL_MS;
    this.dedupeClaimTtlMs = s.DEDUPE_CLAIM_TTL_MS;
    this.maxInflightBytes = s.INGEST_MAX_INFLIGHT_BYTES;
    this.kafkaMaxBufferedBytes = s.KAFKA_MAX_BUFFERED_BYTES;
    this.kafkaLingerMs = s.KAFKA_LINGER_MS;
    this.kafkaAckTimeoutMs = s.KAFKA_ACK_TIMEOUT_MS;
    this.kafkaMaxBatchRecords = s.KAFKA_MAX_BATCH_RECORDS;
    this.dlqMaxPayloadBytes = s.DLQ_MAX_PAYLOAD_BYTES;
    this.shutdownGraceMs = s.SHUTDOWN_GRACE_MS;
    this.cors = { origins: parseCorsOrigins(s.CORS_ORIGINS), maxAgeSeconds: s.CORS_MAX_AGE_S };
    this.apiKeyCacheTtlMs = s.API_KEY_CACHE_TTL_MS;
    this.otlpEndpoint = s.OTEL_EXPORTER_OTLP_ENDPOINT;
    this.logLevel = s.LOG_LEVEL;
  }

  /** Parses `env`; throws ConfigError listing every bad key. */
  static load(env: NodeJS.ProcessEnv = process.env): IngestionConfig {
    return new IngestionConfig(parseConfig('ingestion', schema, env));
  }
}

/** Size and time limits of what ingestion accepts. */
export interface IngestLimits {
  maxBatchEvents: number;
  maxBatchBytes: number;
  maxEventBytes: number;
  maxPastMs: number;
  maxFutureMs: number;
}
