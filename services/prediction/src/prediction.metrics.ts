import { Counter, createMetricsRegistry, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@clickwise/telemetry';

/** Prometheus metrics of the prediction service, served on GET /metrics. */
export class PredictionMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'status'>;
  readonly latency: Histogram<'method'>;
  readonly clicksScored: Counter;
  readonly predictionsWritten: Counter;
  readonly clicksSkipped: Counter<'reason'>;
  readonly coalesced: Histogram;
  readonly noticeToPrediction: Histogram;
  readonly swaps: Counter;
  readonly rejected: Counter<'stage'>;
  readonly watchers: Gauge;
  readonly staleReads: Counter;
  readonly clickPartitions: Gauge;
  readonly watchPartitions: Gauge;
  readonly featureCache: Counter<'outcome'>;
  readonly clicksWaiting: Gauge;
  readonly featureCacheEntries: Gauge;

  constructor(registry: Registry = createMetricsRegistry('prediction')) {
    this.registry = registry;
    const registers = [registry];
    this.requests = new Counter({ name: 'clickwise_prediction_grpc_requests_total', help: 'gRPC calls by method and status', labelNames: ['method', 'status'], registers });
    this.latency = new Histogram({ name: 'clickwise_prediction_grpc_duration_seconds', help: 'gRPC call duration by method', labelNames: ['method'], buckets: LATENCY_BUCKETS, registers });
    this.clicksScored = new Counter({ name: 'clickwise_prediction_clicks_scored_total', help: 'features.updated.v1 notices covered by a per-click prediction', registers });
    this.predictionsWritten = new Counter({ name: 'clickwise_prediction_predictions_written_total', help: 'Records written to predictions.updated.v1', registers });
    this.clicksSkipped = new Counter({ name: 'clickwise_prediction_clicks_skipped_total', help: 'Notices not scored, by reason (no_model, no_state)', labelNames: ['reason'], registers });
    this.coalesced = new Histogram({ name: 'clickwise_prediction_coalesced_notices', help: 'Notices covered by one per-click prediction', buckets: [1, 2, 5, 10, 50, 100], registers });
    this.noticeToPrediction = new Histogram({ name: 'clickwise_prediction_notice_to_prediction_seconds', help: 'From the oldest covered notice (Kafka time) to its prediction written', buckets: LATENCY_BUCKETS, registers });
    this.swaps = new Counter({ name: 'clickwise_prediction_model_swaps_total', help: 'Models accepted into serving', registers });
    this.rejected = new Counter({ name: 'clickwise_prediction_models_rejected_total', help: 'Model versions refused, by stage (compatibility, read, load, smoke)', labelNames: ['stage'], registers });
    this.watchers = new Gauge({ name: 'clickwise_prediction_watchers', help: 'Open WatchPredictions streams', registers });
    this.staleReads = new Counter({ name: 'clickwise_prediction_stale_reads_total', help: 'Per-click reads that saw an older snapshot than the notice announced (should stay 0: ADR 0037)', registers });
    this.clickPartitions = new Gauge({ name: 'clickwise_prediction_click_partitions', help: 'Partitions of features.updated.v1 this replica scores (its share of the group)', registers });
    this.clicksWaiting = new Gauge({ name: 'clickwise_prediction_clicks_waiting_shoppers', help: 'Shoppers whose clicks came before any model, kept to be scored when the first one loads', registers });
    this.featureCache = new Counter({ name: 'clickwise_prediction_feature_cache_lookups_total', help: 'Predict feature reads by outcome: hit (served from memory), miss (read from Redis), bypass (cache off or not cacheable)', labelNames: ['outcome'], registers });
    this.featureCacheEntries = new Gauge({ name: 'clickwise_prediction_feature_cache_entries', help: 'Feature snapshots in the cache (ADR 0075)', registers });
    this.watchPartitions = new Gauge({ name: 'clickwise_prediction_watch_partitions', help: 'Partitions of predictions.updated.v1 this replica reads for its watchers (all of them)', registers });
  }
}
