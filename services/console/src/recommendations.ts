import type { Recommendation, RecommendationSchema } from '@clickwise/contracts';
import type { ConsumedRecord } from '@clickwise/kafka';
import { Ring, VersionWindow } from './windows.js';

/** One recommendation as the feed panel shows it. */
export interface RecommendationRow {
  recommendationId: string;
  shopperKey: string;
  sessionId: string;
  items: { itemId: string; score: number; reason: string }[];
  modelVersion: string;
  atMs: number;
}

/** The recommendations panel: rows when a source feeds it, else why it is empty. */
export type RecommendationsPanel = { available: true; total: number; rows: RecommendationRow[] } | { available: false; note: string };

/** Served lists of one model version in the live window. */
export interface RecommendationVersionLive {
  modelVersion: string;
  perSecond: number;
  seen: number;
}

/** Where the live recommendations come from (handed to the board in app.module.ts). */
export interface RecommendationSource {
  panel(): RecommendationsPanel;
  /** Lists per second by model version over the live window (for the model-version chart). */
  byVersion?(): RecommendationVersionLive[];
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** No source: an empty, labelled panel (nothing is invented). */
export const noRecommendations: RecommendationSource = {
  panel: () => ({ available: false, note: 'No recommendation feed: CONSOLE_RECOMMENDATIONS is off. Nothing is shown rather than invented.' }),
};

/** How one served list reads in the feed: each item with its strongest reason's text (or kind). */
export function recommendationRow(r: Recommendation, timestampMs: number): RecommendationRow {
  return {
    recommendationId: r.recommendationId,
    shopperKey: r.shopperKey,
    sessionId: r.sessionId,
    modelVersion: r.modelVersion,
    atMs: Number(r.createdAtMs) || timestampMs,
    items: r.items.map((i) => ({ itemId: i.itemId, score: i.score, reason: i.reason?.text || i.reasons[0]?.text || '' })),
  };
}

/**
 * The recommendations the recommender served, as it publishes them to recommendations.served.v1
 * (ADR 0124), followed from the topic's end in a group of this replica's own: the newest `size`
 * rows, and per model version how many lists a second in the last `windowMs`.
 */
export class ServedRecommendations implements RecommendationSource {
  private readonly rows: Ring<RecommendationRow>;
  private readonly versions: VersionWindow;
  private all = 0;

  constructor(
    size: number,
    private readonly follow: (handle: (records: ConsumedRecord<typeof RecommendationSchema>[]) => void) => Promise<void>,
    windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.rows = new Ring(size);
    this.versions = new VersionWindow(windowMs);
  }

  start(): Promise<void> {
    return this.follow((records) => {
      for (const r of records) this.add(recommendationRow(r.value, r.timestampMs));
    });
  }

  add(row: RecommendationRow): void {
    this.all++;
    this.rows.push(row);
    this.versions.add(this.now(), row.modelVersion);
  }

  panel(): RecommendationsPanel {
    return { available: true, total: this.all, rows: this.rows.toArray().reverse() };
  }

  byVersion(): RecommendationVersionLive[] {
    const seconds = this.versions.windowMs / 1000;
    return this.versions.counts(this.now()).map((c) => ({ modelVersion: c.modelVersion, perSecond: c.inWindow / seconds, seen: c.seen }));
  }
}
