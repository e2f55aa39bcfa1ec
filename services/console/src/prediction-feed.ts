import { Ring } from './windows.js';

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
  private readonly recent: { atMs: number; modelVersion: string; probability: number }[] = [];
  private readonly seen = new Map<string, number>();
  private all = 0;

  constructor(
    size: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.rows = new Ring(size);
  }

  add(row: FeedRow): void {
    this.all++;
    this.rows.push(row);
    const atMs = this.now();
    this.recent.push({ atMs, modelVersion: row.modelVersion, probability: row.probability });
    this.seen.set(row.modelVersion, (this.seen.get(row.modelVersion) ?? 0) + 1);
    this.trim(atMs);
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
    const atMs = this.now();
    this.trim(atMs);
    const sums = new Map<string, { n: number; p: number }>();
    for (const r of this.recent) {
      const s = sums.get(r.modelVersion) ?? { n: 0, p: 0 };
      s.n++;
      s.p += r.probability;
      sums.set(r.modelVersion, s);
    }
    return [...this.seen]
      .map(([modelVersion, seen]) => {
        const s = sums.get(modelVersion);
        return { modelVersion, perSecond: s ? s.n / (this.windowMs / 1000) : 0, meanProbability: s ? s.p / s.n : 0, seen };
      })
      .sort((a, b) => a.modelVersion.localeCompare(b.modelVersion));
  }

  private trim(atMs: number): void {
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop]!.atMs < atMs - this.windowMs) drop++;
    if (drop > 0) this.recent.splice(0, drop);
  }
}
