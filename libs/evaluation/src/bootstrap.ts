import { InvalidInputError } from '@clickwise/errors';
import { brierMetric, logLossMetric, prAucMetric, precisionAtTopMetric, rocAucMetric } from './binary.js';
import { eceMetric } from './calibration.js';
import { Weighting, type BinaryMetric } from './metric.js';
import { prepareBinary, requireBothClasses, type PreparedBinary } from './prepared.js';
import { mulberry32 } from './random.js';

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  readonly iterations?: number;
  /** PRNG seed (default 1): the same seed gives the same interval. */
  readonly seed?: number;
  /** Interval coverage (default 0.95). */
  readonly confidence?: number;
}

/** A figure and its bootstrap percentile interval. */
export interface Interval {
  /** The metric on the whole data (not the mean of the resamples). */
  readonly estimate: number;
  /** Lower and upper percentile bounds; NaN when no resample was usable. */
  readonly low: number;
  readonly high: number;
  /** Resamples drawn. */
  readonly iterations: number;
  /** Resamples left out: they lacked a class the metric needs (or the metric gave a non-finite value). */
  readonly skipped: number;
}

/** A plain metric over materialised arrays; slower in a bootstrap (each resample is copied and the metric re-sorts). */
export type PlainBinaryMetric = (scores: Float64Array, labels: Uint8Array) => number;

interface Groups {
  readonly count: number;
  /** Group of each row in the prepared (sorted) order. */
  readonly ofSorted: Uint32Array;
  readonly rows: Float64Array;
  readonly positives: Float64Array;
}

function groupsOf(d: PreparedBinary, groupKeys: ArrayLike<string | number>): Groups {
  if (groupKeys.length !== d.rows) {
    throw new InvalidInputError(`bootstrap: groupKeys has ${groupKeys.length} rows but scores has ${d.rows}`, 'groupKeys');
  }
  const index = new Map<string | number, number>();
  const ofSorted = new Uint32Array(d.rows);
  for (let i = 0; i < d.rows; i++) {
    const key = groupKeys[d.order[i]!];
    if (key === undefined || key === null || (typeof key === 'number' && Number.isNaN(key))) {
      throw new InvalidInputError(`bootstrap: groupKeys[${d.order[i]!}] is ${String(key)}; every row needs a group (session) key`, `groupKeys[${d.order[i]!}]`);
    }
    let g = index.get(key);
    if (g === undefined) {
      g = index.size;
      index.set(key, g);
    }
    ofSorted[i] = g;
  }
  const rows = new Float64Array(index.size);
  const positives = new Float64Array(index.size);
  for (let i = 0; i < d.rows; i++) {
    rows[ofSorted[i]!]!++;
    positives[ofSorted[i]!]! += d.labels[i]!;
  }
  return { count: index.size, ofSorted, rows, positives };
}

function checkOptions(options: BootstrapOptions): { iterations: number; seed: number; confidence: number } {
  const iterations = options.iterations ?? 1000;
  const seed = options.seed ?? 1;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new InvalidInputError(`bootstrap: iterations is ${String(iterations)}; it must be a positive integer`, 'iterations');
  }
  if (!Number.isInteger(seed)) throw new InvalidInputError(`bootstrap: seed is ${String(seed)}; it must be an integer`, 'seed');
  if (!(confidence > 0 && confidence < 1)) {
    throw new InvalidInputError(`bootstrap: confidence is ${String(confidence)}; it must be in (0, 1)`, 'confidence');
  }
  return { iterations, seed, confidence };
}

/** Linear-interpolation quantile of sorted values (numpy's default, "type 7"). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function interval(estimate: number, values: number[], iterations: number, confidence: number): Interval {
  const sorted = Float64Array.from(values).sort();
  const alpha = (1 - confidence) / 2;
  return {
    estimate,
    low: quantileSorted(sorted, alpha),
    high: quantileSorted(sorted, 1 - alpha),
    iterations,
    skipped: iterations - values.length,
  };
}

/**
 * Draws the resamples: each is `groups.count` groups drawn with replacement, given as the
 * number of times each group was drawn. Calls `visit` with the per-row weights (sorted order)
 * and the resample's positive and total row counts.
 */
function resample(
  groups: Groups,
  iterations: number,
  seed: number,
  visit: (weights: Float64Array, positives: number, rows: number) => void,
): void {
  const random = mulberry32(seed);
  const drawn = new Float64Array(groups.count);
  const weights = new Float64Array(groups.ofSorted.length);
  for (let it = 0; it < iterations; it++) {
    drawn.fill(0);
    for (let k = 0; k < groups.count; k++) drawn[Math.floor(random() * groups.count)]!++;
    let positives = 0;
    let rows = 0;
    for (let g = 0; g < groups.count; g++) {
      positives += drawn[g]! * groups.positives[g]!;
      rows += drawn[g]! * groups.rows[g]!;
    }
    for (let i = 0; i < weights.length; i++) weights[i] = drawn[groups.ofSorted[i]!]!;
    visit(weights, positives, rows);
  }
}

function isBinaryMetric(metric: BinaryMetric | PlainBinaryMetric): metric is BinaryMetric {
  return typeof metric === 'object';
}

/**
 * Bootstrap over groups (sessions): each resample draws as many groups as there are, with
 * replacement, and keeps all rows of each drawn group, so rows of one session (which are not
 * independent) move together. The interval is the percentile interval of the resampled metric
 * (linear interpolation between order statistics). Resamples lacking a class the metric needs
 * (both classes for the AUCs, and for every plain-function metric) are skipped and counted.
 * Deterministic for a given seed (mulberry32).
 *
 * `metric` is a BinaryMetric (rocAucMetric, prAucMetric, logLossMetric, brierMetric, eceMetric(),
 * precisionAtTopMetric(f)): a resample is then a weight per row, no copy and no re-sort; or any
 * function of (scores, labels), evaluated on materialised copies (the estimate on the input as
 * given; each resample's rows in descending score order).
 */
export function bootstrapBySession(
  metric: BinaryMetric | PlainBinaryMetric,
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groupKeys: ArrayLike<string | number>,
  options: BootstrapOptions = {},
): Interval {
  const { iterations, seed, confidence } = checkOptions(options);
  const d = prepareBinary('bootstrapBySession', scores, labels);
  const groups = groupsOf(d, groupKeys);
  if (isBinaryMetric(metric)) {
    if (metric.needsBothClasses) requireBothClasses(metric.name, d.positives, d.rows);
    const evaluate = metric.bind(d);
    const weighting = new Weighting(d);
    const estimate = evaluate(weighting);
    const values: number[] = [];
    resample(groups, iterations, seed, (w, positives, rows) => {
      if (metric.needsBothClasses && (positives === 0 || positives === rows)) return;
      const v = evaluate(weighting.set(w));
      if (Number.isFinite(v)) values.push(v);
    });
    return interval(estimate, values, iterations, confidence);
  }
  const estimate = metric(Float64Array.from(scores), Uint8Array.from(labels));
  const values: number[] = [];
  resample(groups, iterations, seed, (w, positives, rows) => {
    if (positives === 0 || positives === rows) return;
    const s = new Float64Array(rows);
    const y = new Uint8Array(rows);
    let at = 0;
    for (let i = 0; i < w.length; i++) {
      for (let c = 0; c < w[i]!; c++) {
        s[at] = d.scores[i]!;
        y[at++] = d.labels[i]!;
      }
    }
    const v = metric(s, y);
    if (Number.isFinite(v)) values.push(v);
  });
  return interval(estimate, values, iterations, confidence);
}

/** Every binary figure of a run with its interval, as the report and the trainer's JSON line use them. */
export interface BinaryEvaluation {
  readonly roc_auc: Interval;
  readonly pr_auc: Interval;
  readonly log_loss: Interval;
  /** 10 uniform bins. */
  readonly ece: Interval;
  readonly brier: Interval;
  readonly precision_at_1pct: Interval;
  readonly precision_at_5pct: Interval;
  readonly rows: number;
  readonly positives: number;
  /** Distinct group (session) keys. */
  readonly groups: number;
  /** Groups with at least one positive row. */
  readonly positive_groups: number;
  readonly positive_share: number;
  readonly bootstrap: { readonly iterations: number; readonly seed: number; readonly confidence: number };
}

export const BINARY_METRIC_NAMES = ['roc_auc', 'pr_auc', 'log_loss', 'ece', 'brier', 'precision_at_1pct', 'precision_at_5pct'] as const;
export type BinaryMetricName = (typeof BINARY_METRIC_NAMES)[number];

/**
 * Every metric of BINARY_METRIC_NAMES with its session-bootstrap interval, all metrics computed
 * on the same resamples. Scores must be probabilities in [0, 1]; the labels need both classes.
 * One pass per metric per resample: 40k rows × 1,000 resamples takes about a second.
 */
export function evaluateBinary(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groupKeys: ArrayLike<string | number>,
  options: BootstrapOptions = {},
): BinaryEvaluation {
  const { iterations, seed, confidence } = checkOptions(options);
  const d = prepareBinary('evaluateBinary', scores, labels);
  requireBothClasses('evaluateBinary', d.positives, d.rows);
  const groups = groupsOf(d, groupKeys);
  const metrics: Record<BinaryMetricName, BinaryMetric> = {
    roc_auc: rocAucMetric,
    pr_auc: prAucMetric,
    log_loss: logLossMetric,
    ece: eceMetric(),
    brier: brierMetric,
    precision_at_1pct: precisionAtTopMetric(0.01),
    precision_at_5pct: precisionAtTopMetric(0.05),
  };
  const bound = BINARY_METRIC_NAMES.map((name) => ({ name, metric: metrics[name], evaluate: metrics[name].bind(d), values: [] as number[] }));
  const weighting = new Weighting(d);
  resample(groups, iterations, seed, (w, positives, rows) => {
    const bothClasses = positives > 0 && positives < rows;
    weighting.set(w);
    for (const m of bound) {
      if (m.metric.needsBothClasses && !bothClasses) continue;
      const v = m.evaluate(weighting);
      if (Number.isFinite(v)) m.values.push(v);
    }
  });
  weighting.set(null);
  const out = Object.fromEntries(bound.map((m) => [m.name, interval(m.evaluate(weighting), m.values, iterations, confidence)])) as Record<
    BinaryMetricName,
    Interval
  >;
  let positiveGroups = 0;
  for (let g = 0; g < groups.count; g++) if (groups.positives[g]! > 0) positiveGroups++;
  return {
    ...out,
    rows: d.rows,
    positives: d.positives,
    groups: groups.count,
    positive_groups: positiveGroups,
    positive_share: d.positives / d.rows,
    bootstrap: { iterations, seed, confidence },
  };
}

/**
 * The estimates alone, `{ roc_auc: 0.86, pr_auc: 0.24, … }`: the shape of the trainer's `--json`
 * line.
 */
export function estimates(e: BinaryEvaluation): Record<BinaryMetricName, number> {
  return Object.fromEntries(BINARY_METRIC_NAMES.map((n) => [n, e[n].estimate])) as Record<BinaryMetricName, number>;
}
