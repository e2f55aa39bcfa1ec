import type { LiveFigures } from './live-quality.js';
import { Counter, createMetricsRegistry, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@clickwise/telemetry';

/** Prometheus metrics of the prediction service, served on GET /metrics. */
export class PredictionMetrics {
  readonly registry: Registry;
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

  /**
   * Live quality per model version (ADR 0079), computed when /metrics is scraped: ROC-AUC and ECE
   * over the newest joined predictions, and how many were joined (and how many positive).
   */
  followQuality(figures: () => LiveFigures[]): void {
    const registers = [this.registry];
    const labelNames = ['model_version'] as const;
    const auc = new Gauge({ name: 'clickwise_prediction_live_roc_auc', help: 'ROC-AUC of per-click predictions joined with the purchases that followed (newest window), by model version', labelNames, registers });
    const ece = new Gauge({ name: 'clickwise_prediction_live_ece', help: 'Expected calibration error (10 bins) of joined per-click predictions (newest window), by model version', labelNames, registers });
    const rate = new Gauge({ name: 'clickwise_prediction_live_positive_rate', help: 'Share of joined per-click predictions whose session had a purchase later (newest window), by model version', labelNames, registers });
    const mean = new Gauge({ name: 'clickwise_prediction_live_mean_probability', help: 'Mean predicted probability of the joined per-click predictions (newest window), by model version', labelNames, registers });
    new Gauge({
      name: 'clickwise_prediction_live_joined',
      help: 'Per-click predictions joined with their outcome so far, by model version and label',
      labelNames: ['model_version', 'label'],
      registers,
      collect() {
        this.reset();
        auc.reset();
        ece.reset();
        rate.reset();
        mean.reset();
        for (const f of figures()) {
          const model_version = f.modelVersion;
          this.set({ model_version, label: '1' }, f.positives);
          this.set({ model_version, label: '0' }, f.joined - f.positives);
          if (f.rocAuc !== null) auc.set({ model_version }, f.rocAuc);
          if (f.ece !== null) ece.set({ model_version }, f.ece);
          rate.set({ model_version }, f.positiveRate);
          mean.set({ model_version }, f.meanProbability);
        }
      },
    });
  }
}
