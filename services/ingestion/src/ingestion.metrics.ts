import { grpcServerDuration } from '@clickwise/grpc';
import { Counter, createMetricsRegistry, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@clickwise/telemetry';

export type Route = 'http' | 'grpc';

/** Prometheus metrics of ingestion, served on GET /metrics. */
export class IngestionMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'status'>;
  /** gRPC calls by method and status code, as the other gRPC services report them (libs/grpc). */
  readonly grpc: Histogram<'method' | 'code'>;
  readonly accepted: Counter<'route'>;
  readonly rejected: Counter<'route' | 'reason'>;
  readonly duplicates: Counter<'route'>;
  readonly unauthenticated: Counter<'route' | 'reason'>;
  readonly forbidden: Counter<'route'>;
  readonly rateLimited: Counter<'route'>;
  readonly backPressure: Counter<'route' | 'kind'>;
  readonly deadLetterFailures: Counter;
  readonly catalogAccepted: Counter<'route'>;
  readonly catalogRejected: Counter<'route' | 'reason'>;
  readonly dedupeCommitFailures: Counter;
  readonly latency: Histogram<'route'>;
  readonly batchSize: Histogram<'route'>;
  readonly inflightBytes: Gauge;
  readonly kafkaBufferedBytes: Gauge;
  private kafkaBuffered: () => number = () => 0;

  constructor(registry: Registry = createMetricsRegistry('ingestion')) {
    this.registry = registry;
    const registers = [registry];
    this.grpc = grpcServerDuration(registry);
    this.requests = new Counter({ name: 'clickwise_ingest_requests_total', help: 'Ingest requests by route and outcome status', labelNames: ['route', 'status'], registers });
    this.accepted = new Counter({ name: 'clickwise_ingest_events_accepted_total', help: 'Events written to clickstream.events.v1', labelNames: ['route'], registers });
    this.rejected = new Counter({ name: 'clickwise_ingest_events_rejected_total', help: 'Events (or whole bodies) refused, by reason code', labelNames: ['route', 'reason'], registers });
    this.duplicates = new Counter({ name: 'clickwise_ingest_events_duplicate_total', help: 'Events dropped because their id was seen in the dedupe window', labelNames: ['route'], registers });
    this.unauthenticated = new Counter({ name: 'clickwise_ingest_unauthenticated_total', help: 'Requests refused without a valid API key (missing, unknown, revoked)', labelNames: ['route', 'reason'], registers });
    this.forbidden = new Counter({ name: 'clickwise_ingest_forbidden_total', help: 'Requests refused for a key without the ingest or backfill scope', labelNames: ['route'], registers });
    this.rateLimited = new Counter({ name: 'clickwise_ingest_rate_limited_total', help: 'Requests refused by the per-key rate limit', labelNames: ['route'], registers });
    this.backPressure = new Counter({ name: 'clickwise_ingest_backpressure_total', help: 'Requests refused because Kafka or Redis is slow (overloaded) or down (unavailable)', labelNames: ['route', 'kind'], registers });
    this.deadLetterFailures = new Counter({ name: 'clickwise_ingest_dlq_write_failures_total', help: 'Dead letters that could not be written to clickstream.dlq.v1', registers });
    this.catalogAccepted = new Counter({ name: 'clickwise_ingest_catalog_items_accepted_total', help: 'Catalogue items written to catalog.items.v1', labelNames: ['route'], registers });
    this.catalogRejected = new Counter({ name: 'clickwise_ingest_catalog_items_rejected_total', help: 'Catalogue items refused (sent to clickstream.dlq.v1), by reason code', labelNames: ['route', 'reason'], registers });
    this.dedupeCommitFailures = new Counter({ name: 'clickwise_ingest_dedupe_commit_failures_total', help: 'Written events whose ids could not be marked as seen (a retry may duplicate them)', registers });
    this.latency = new Histogram({ name: 'clickwise_ingest_request_duration_seconds', help: 'Time from request to answer (after Kafka acknowledged)', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers });
    this.batchSize = new Histogram({ name: 'clickwise_ingest_batch_events', help: 'Events per request', labelNames: ['route'], buckets: [1, 10, 100, 500, 1000], registers });
    this.inflightBytes = new Gauge({ name: 'clickwise_ingest_inflight_bytes', help: 'Request bytes being worked on', registers });
    const buffered = () => this.kafkaBuffered();
    this.kafkaBufferedBytes = new Gauge({
      name: 'clickwise_ingest_kafka_buffered_bytes',
      help: 'Bytes of records waiting in the Kafka producer for an acknowledgement (KAFKA_MAX_BUFFERED_BYTES bounds it)',
      registers,
      collect() {
        this.set(buffered());
      },
    });
  }

  /** Where the Kafka buffer gauge reads from at scrape time (the producer's buffered bytes). */
  watchKafkaBuffer(source: () => number): void {
    this.kafkaBuffered = source;
  }
}
