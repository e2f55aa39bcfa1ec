import { Counter, createMetricsRegistry, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from '@clickwise/telemetry';
import type { ClickThroughSink } from './click-through.js';

/** Prometheus metrics of the recommender, served on GET /metrics. */
export class RecommenderMetrics implements ClickThroughSink {
  readonly registry: Registry;
  readonly eventsIndexed: Counter;
  readonly eventsSkipped: Counter<'reason'>;
  /** From an event's Kafka timestamp (ingestion's acceptance) to its batch applied to the index. */
  readonly acceptToIndexed: Histogram;
  readonly erasures: Counter;
  readonly swaps: Counter;
  readonly rejected: Counter<'stage'>;
  readonly eventPartitions: Gauge;
  readonly catalogItems: Gauge;
  readonly catalogUnavailable: Gauge;
  readonly listsShown: Counter<'model_version'>;
  readonly itemsShown: Counter<'model_version'>;
  readonly clicks: Counter<'model_version'>;
  readonly clickThrough: Gauge<'model_version'>;
  private readonly shownBy = new Map<string, number>();
  private readonly clickedBy = new Map<string, number>();

  constructor(registry: Registry = createMetricsRegistry('recommender')) {
    this.registry = registry;
    const registers = [registry];
    this.eventsIndexed = new Counter({ name: 'clickwise_recommender_events_indexed_total', help: 'clickstream.events.v1 events applied to the live index', registers });
    this.eventsSkipped = new Counter({ name: 'clickwise_recommender_events_skipped_total', help: 'Events the index does not learn from, by reason (no_item, type, erased; already_indexed: read again after a rebalance, ADR 0048)', labelNames: ['reason'], registers });
    this.acceptToIndexed = new Histogram({ name: 'clickwise_recommender_accept_to_indexed_seconds', help: "From an event's acceptance (Kafka timestamp) to its batch applied to the live index", buckets: LATENCY_BUCKETS, registers });
    this.erasures = new Counter({ name: 'clickwise_recommender_erasures_applied_total', help: 'Erasures applied to the live index', registers });
    this.swaps = new Counter({ name: 'clickwise_recommender_model_swaps_total', help: 'Sequence models accepted into serving', registers });
    this.rejected = new Counter({ name: 'clickwise_recommender_models_rejected_total', help: 'Sequence model versions refused, by stage (read, load, smoke)', labelNames: ['stage'], registers });
    this.eventPartitions = new Gauge({ name: 'clickwise_recommender_event_partitions', help: 'Partitions of clickstream.events.v1 this replica indexes (its share of the group)', registers });
    this.catalogItems = new Gauge({ name: 'clickwise_recommender_catalog_items', help: 'Items with a catalogue record (catalog.items.v1)', registers });
    this.catalogUnavailable = new Gauge({ name: 'clickwise_recommender_catalog_unavailable_items', help: 'Items whose latest catalogue record says unavailable (never recommended)', registers });
    this.listsShown = new Counter({ name: 'clickwise_recommender_recommendations_shown_total', help: 'recommendation shown events, by the model version their recommendation id names', labelNames: ['model_version'], registers });
    this.itemsShown = new Counter({ name: 'clickwise_recommender_items_shown_total', help: 'Items in recommendation shown events, by model version', labelNames: ['model_version'], registers });
    this.clicks = new Counter({ name: 'clickwise_recommender_recommendation_clicks_total', help: 'recommendation clicked events, by the model version their recommendation id names', labelNames: ['model_version'], registers });
    this.clickThrough = new Gauge({
      name: 'clickwise_recommender_click_through_rate',
      help: "Clicks per recommendation shown, by model version, over this replica's share of clickstream.events.v1 since it started (fleet-wide: sum of clicks / sum of shown)",
      labelNames: ['model_version'],
      registers,
    });
  }

  shown(modelVersion: string, items: number): void {
    this.listsShown.inc({ model_version: modelVersion });
    if (items > 0) this.itemsShown.inc({ model_version: modelVersion }, items);
    this.shownBy.set(modelVersion, (this.shownBy.get(modelVersion) ?? 0) + 1);
    this.updateRate(modelVersion);
  }

  clicked(modelVersion: string): void {
    this.clicks.inc({ model_version: modelVersion });
    this.clickedBy.set(modelVersion, (this.clickedBy.get(modelVersion) ?? 0) + 1);
    this.updateRate(modelVersion);
  }

  private updateRate(modelVersion: string): void {
    const shown = this.shownBy.get(modelVersion) ?? 0;
    if (shown > 0) this.clickThrough.set({ model_version: modelVersion }, (this.clickedBy.get(modelVersion) ?? 0) / shown);
  }
}
