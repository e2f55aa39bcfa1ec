import type { PreparedBinary } from './prepared.js';

/**
 * A binary metric the bootstrap can evaluate on a resample without re-sorting: `bind` does the
 * per-data-set work once (per-row losses, bin indices) and returns a function of per-row weights
 * in the prepared (sorted) order. Integer weights w give exactly the metric of the data set in
 * which row i appears w[i] times (the specs check this against materialised resamples).
 */
export interface BinaryMetric {
  /** snake_case name, as in reports and JSON (`roc_auc`). */
  readonly name: string;
  /** True when the metric is undefined without both classes (the AUCs); such resamples are skipped. */
  readonly needsBothClasses: boolean;
  /** True when scores must be probabilities in [0, 1] (log loss, Brier, ECE). */
  readonly needsProbabilities: boolean;
  /** `weights` null means every row once. Returns NaN when the weighted data lacks a needed class. */
  bind(data: PreparedBinary): (weights: Float64Array | null) => number;
}
