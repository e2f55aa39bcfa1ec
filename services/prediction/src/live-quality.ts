import { expectedCalibrationError, rocAuc } from '@clickwise/evaluation';

/** The feature whose rise between two of a shopper's snapshots says a purchase happened between them. */
export const PURCHASE_COUNT_FEATURE = 'shopper_purchase_count_7d';

export interface LiveQualityOptions {
  /** Joined predictions kept per model version (the newest; the figures are over these). */
  window: number;
  /** A session with no click for this long has ended: its open predictions are labelled 0 (ms). */
  sessionGapMs: number;
  /** Shoppers followed at once (the least recently seen are resolved as 0 and dropped). */
  maxShoppers: number;
}

/** One model version's live figures. */
export interface LiveFigures {
  modelVersion: string;
  joined: number;
  positives: number;
  /** Over the newest `window` joined predictions; null until both labels are there. */
  rocAuc: number | null;
  ece: number | null;
  meanProbability: number;
  positiveRate: number;
}

interface Open {
  modelVersion: string;
  probability: number;
}

interface Shopper {
  sessionId: string;
  lastClickMs: number;
  purchases: number;
  open: Open[];
}

/** The newest `size` joined predictions of one version (a ring), and counts over all of them. */
class Window {
  private readonly scores: Float64Array;
  private readonly labels: Float64Array;
  private next = 0;
  private filled = 0;
  joined = 0;
  positives = 0;
  constructor(size: number) {
    this.scores = new Float64Array(size);
    this.labels = new Float64Array(size);
  }
  add(score: number, label: number): void {
    this.joined++;
    this.positives += label;
    this.scores[this.next] = score;
    this.labels[this.next] = label;
    this.next = (this.next + 1) % this.scores.length;
    this.filled = Math.min(this.filled + 1, this.scores.length);
  }
  get kept(): { scores: Float64Array; labels: Float64Array } {
    return { scores: this.scores.subarray(0, this.filled), labels: this.labels.subarray(0, this.filled) };
  }
}

/**
 * Live quality (issue 9): per-click predictions joined with the purchases that follow, with the
 * trainer's label (ADR 0052: an example is positive when its session has a purchase later). Each
 * scored click leaves an open prediction for its shopper's session; a later snapshot of the shopper
 * whose purchase count rose labels the session's open predictions 1 (the purchase came after them);
 * a new session, or no click for `sessionGapMs`, labels them 0. Figures per model version over the
 * newest `window` joined predictions: ROC-AUC and expected calibration error (10 bins), the
 * trainer's hold-out measures (ADR 0055), so live and hold-out figures compare (ADR 0079).
 */
export class LiveQuality {
  private readonly shoppers = new Map<string, Shopper>();
  private readonly windows = new Map<string, Window>();

  constructor(private readonly options: LiveQualityOptions) {}

  /** A per-click prediction for a shopper's session, made from a snapshot with `purchases` in it. */
  observe(shopperKey: string, sessionId: string, atMs: number, purchases: number, prediction: Open): void {
    let s = this.shoppers.get(shopperKey);
    if (s) {
      this.shoppers.delete(shopperKey);
      // A new session first: a purchase seen with its first click is that session's, not the old one's.
      if (sessionId !== s.sessionId || atMs - s.lastClickMs > this.options.sessionGapMs) this.resolve(s, 0);
      else if (purchases > s.purchases) this.resolve(s, 1);
      s.sessionId = sessionId;
      s.lastClickMs = Math.max(s.lastClickMs, atMs);
      s.purchases = purchases;
    } else {
      s = { sessionId, lastClickMs: atMs, purchases, open: [] };
    }
    s.open.push(prediction);
    this.shoppers.set(shopperKey, s);
    while (this.shoppers.size > this.options.maxShoppers) {
      const oldest = this.shoppers.entries().next();
      if (oldest.done) break;
      this.resolve(oldest.value[1], 0);
      this.shoppers.delete(oldest.value[0]);
    }
  }

  /** Sessions with no click for sessionGapMs before `nowMs` (event time) end: their open predictions are 0. */
  expire(nowMs: number): void {
    for (const [key, s] of this.shoppers) {
      if (nowMs - s.lastClickMs <= this.options.sessionGapMs) continue;
      this.resolve(s, 0);
      this.shoppers.delete(key);
    }
  }

  private resolve(s: Shopper, label: number): void {
    for (const p of s.open) {
      let w = this.windows.get(p.modelVersion);
      if (!w) this.windows.set(p.modelVersion, (w = new Window(this.options.window)));
      w.add(p.probability, label);
    }
    s.open = [];
  }

  figures(): LiveFigures[] {
    return [...this.windows].map(([modelVersion, w]) => {
      const { scores, labels } = w.kept;
      const n = scores.length;
      const positives = labels.reduce((a, b) => a + b, 0);
      const both = positives > 0 && positives < n;
      return {
        modelVersion,
        joined: w.joined,
        positives: w.positives,
        rocAuc: both ? rocAuc(scores, labels) : null,
        ece: n > 0 ? expectedCalibrationError(scores, labels) : null,
        meanProbability: n > 0 ? scores.reduce((a, b) => a + b, 0) / n : 0,
        positiveRate: n > 0 ? positives / n : 0,
      };
    });
  }
}
