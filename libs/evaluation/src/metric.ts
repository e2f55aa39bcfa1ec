import type { PreparedBinary } from './prepared.js';

/**
 * Per-row weights over prepared data (null: every row once), with the per-block sums the
 * ranking metrics read computed once per weighting and shared by every metric that asks.
 */
export class Weighting {
  private weights: Float64Array | null = null;
  private sums: { positives: Float64Array; totals: Float64Array; total: number } | null = null;
  private readonly positives: Float64Array;
  private readonly totals: Float64Array;

  constructor(readonly data: PreparedBinary) {
    this.positives = new Float64Array(data.blockStart.length - 1);
    this.totals = new Float64Array(data.blockStart.length - 1);
  }

  /** Sets the weights (sorted order; the array is read, not copied, until the next set). */
  set(weights: Float64Array | null): this {
    this.weights = weights;
    this.sums = null;
    return this;
  }

  get rowWeights(): Float64Array | null {
    return this.weights;
  }

  /** Weighted positives and rows per block of equal scores, and the total weight (arrays reused by the next set). */
  blocks(): { readonly positives: Float64Array; readonly totals: Float64Array; readonly total: number } {
    if (this.sums !== null) return this.sums;
    const { blockStart, labels } = this.data;
    const blocks = blockStart.length - 1;
    const { positives, totals } = this;
    const w = this.weights;
    let total = 0;
    for (let b = 0; b < blocks; b++) {
      let wp = 0;
      let wb = 0;
      const end = blockStart[b + 1]!;
      if (w === null) {
        for (let i = blockStart[b]!; i < end; i++) wp += labels[i]!;
        wb = end - blockStart[b]!;
      } else {
        for (let i = blockStart[b]!; i < end; i++) {
          const wi = w[i]!;
          wp += wi * labels[i]!;
          wb += wi;
        }
      }
      positives[b] = wp;
      totals[b] = wb;
      total += wb;
    }
    this.sums = { positives, totals, total };
    return this.sums;
  }
}

/**
 * A binary metric the bootstrap can evaluate on a resample without re-sorting: `bind` does the
 * per-data-set work once (per-row losses, bin indices) and returns a function of a Weighting
 * (per-row weights in the prepared, sorted order). Integer weights w give exactly the metric of
 * the data set in which row i appears w[i] times (the specs check this against materialised
 * resamples).
 */
export interface BinaryMetric {
  /** snake_case name, as in reports and JSON (`roc_auc`). */
  readonly name: string;
  /** True when the metric is undefined without both classes (the AUCs); such resamples are skipped. */
  readonly needsBothClasses: boolean;
  /** True when scores must be probabilities in [0, 1] (log loss, Brier, ECE). */
  readonly needsProbabilities: boolean;
  /** Returns NaN when the weighted data lacks a needed class or has no weight. */
  bind(data: PreparedBinary): (weighting: Weighting) => number;
}
