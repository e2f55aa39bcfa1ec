import { EventType, type Event } from '@clickwise/contracts';
import type { RecommendationIds } from './recommendation-id.js';

/** Where the counts go (RecommenderMetrics in the service, a plain recorder in tests). */
export interface ClickThroughSink {
  shown(modelVersion: string, items: number): void;
  clicked(modelVersion: string): void;
}

/** The label of ids that are not ours (another recommender, a hand-made id) or whose version is unknown. */
export const UNATTRIBUTED = 'unattributed';
/** The label of versions beyond the first `maxVersions` (the metric's label set stays bounded). */
export const OTHER_VERSIONS = 'other';

/**
 * Click-through per model version (ADR 0096): `recommendation shown` and `recommendation clicked`
 * events (the one event vocabulary, libs/contracts) carry the recommendation id the service handed
 * out; the id names the model version, so each event counts for that version. Other event types
 * are ignored. The first `maxVersions` versions seen get a label of their own, later ones `other`.
 */
export class ClickThrough {
  private readonly labels = new Set<string>();

  constructor(
    private readonly ids: RecommendationIds,
    private readonly sink: ClickThroughSink,
    private readonly maxVersions: number,
  ) {}

  /** The label an event's recommendation id counts under. */
  labelOf(recommendationId: string): string {
    const version = this.ids.versionOf(recommendationId);
    if (version === undefined) return UNATTRIBUTED;
    if (this.labels.has(version)) return version;
    if (this.labels.size >= this.maxVersions) return OTHER_VERSIONS;
    this.labels.add(version);
    return version;
  }

  /** Counts the event when it is a recommendation shown / clicked one; returns whether it was. */
  observe(event: Pick<Event, 'type' | 'recommendationId' | 'itemIds'>): boolean {
    if (event.type === EventType.RECOMMENDATION_SHOWN) {
      this.sink.shown(this.labelOf(event.recommendationId), event.itemIds.length);
      return true;
    }
    if (event.type === EventType.RECOMMENDATION_CLICKED) {
      this.sink.clicked(this.labelOf(event.recommendationId));
      return true;
    }
    return false;
  }
}
