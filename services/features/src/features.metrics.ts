import { Counter, createMetricsRegistry, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@clickwise/telemetry';

/** Prometheus metrics of the features service, served on GET /metrics. */
export class FeaturesMetrics {
  readonly registry: Registry;
  readonly events: Counter<'status'>;
  readonly batches: Counter<'result'>;
  readonly batchDuration: Histogram;
  readonly batchSize: Histogram;
  readonly notices: Counter<'topic'>;
  readonly stateLost: Counter;
  readonly erasures: Counter;
  readonly clickToFeatures: Histogram;
  readonly streamClock: Gauge<'partition'>;

  constructor(registry: Registry = createMetricsRegistry('features')) {
    this.registry = registry;
    const registers = [registry];
    this.events = new Counter({ name: 'clickwise_features_events_total', help: 'Events by outcome (applied, too_late, erased)', labelNames: ['status'], registers });
    this.batches = new Counter({ name: 'clickwise_features_batches_total', help: 'Batch writes by result (ok, fenced, lost, error)', labelNames: ['result'], registers });
    this.batchDuration = new Histogram({ name: 'clickwise_features_batch_duration_seconds', help: 'Time to apply one batch (compute, notices, Redis script)', buckets: LATENCY_BUCKETS, registers });
    this.batchSize = new Histogram({ name: 'clickwise_features_batch_events', help: 'Events per applied batch', buckets: [1, 10, 100, 500, 1000, 5000], registers });
    this.notices = new Counter({ name: 'clickwise_features_notices_total', help: 'Records written to features.updated.v1 and the DLQ', labelNames: ['topic'], registers });
    this.stateLost = new Counter({ name: 'clickwise_features_state_lost_total', help: 'Times the Redis state was found lost (rebuild from Kafka started)', registers });
    this.erasures = new Counter({ name: 'clickwise_features_erasures_total', help: 'Erasures applied', registers });
    this.clickToFeatures = new Histogram({ name: 'clickwise_features_ingest_to_notice_seconds', help: 'From ingestion (Kafka append time) to the features.updated.v1 write', buckets: LATENCY_BUCKETS, registers });
    this.streamClock = new Gauge({ name: 'clickwise_features_stream_clock_ms', help: 'Highest event time seen per partition (ms)', labelNames: ['partition'], registers });
  }
}
