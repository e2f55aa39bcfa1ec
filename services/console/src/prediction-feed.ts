import { Ring, VersionWindow } from './windows.js';

/** What the console shows of one prediction (predictions.updated.v1's PredictionUpdate). */
export interface FeedRow {
  shopperKey: string;
  sessionId: string;
  probability: number;
  segment: string;
  modelVersion: string;
  events: number;
  /** The largest |contribution| feature and its contribution (log-odds), when the prediction has any. */
  topFeature: string;
  topContribution: number;
  predictedAtMs: number;
  /** From the oldest covered notice's Kafka time to the prediction (ms); null when the record has no notice time. */
  noticeToPredictionMs: number | null;
}

/** Predictions seen from one model version within the live window. */
export interface VersionLive {
  modelVersion: string;
  /** Predictions in the window, per second. */
  perSecond: number;
  meanProbability: number;
  /** Seen since the console started. */
  seen: number;
}

/**
 * The live feed: the newest predictions, and per model version what the console saw in the last
 * `windowMs` (how many per second, their mean probability) — the live side of the model table.
 */
export class PredictionFeed {
  private readonly rows: Ring<FeedRow>;
  private readonly versions: VersionWindow;
  private all = 0;

  constructor(
    size: number,
    windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.rows = new Ring(size);
    this.versions = new VersionWindow(windowMs);
  }

  add(row: FeedRow): void {
    this.all++;
    this.rows.push(row);
    this.versions.add(this.now(), row.modelVersion, row.probability);
  }

  get total(): number {
    return this.all;
  }

  /** Newest first. */
  newest(): FeedRow[] {
    return this.rows.toArray().reverse();
  }

  /** Per model version seen since start: its predictions in the window. */
  byVersion(): VersionLive[] {
    const seconds = this.versions.windowMs / 1000;
    return this.versions.counts(this.now()).map((c) => ({ modelVersion: c.modelVersion, perSecond: c.inWindow / seconds, meanProbability: c.inWindow > 0 ? c.sum / c.inWindow : 0, seen: c.seen }));
  }
}
