import { InvalidInputError } from '@clickwise/errors';
import { Weighting, type BinaryMetric } from './metric.js';
import { checkProbabilities, prepareBinary, requireBothClasses, type PreparedBinary } from './prepared.js';

/** Log loss clips probabilities to [EPS, 1 − EPS] (as scikit-learn did before 1.5). */
export const LOG_LOSS_EPS = 1e-15;

/**
 * ROC-AUC as the Mann–Whitney statistic: the share of (positive, negative) pairs in which the
 * positive scores higher, a tie counting one half. Any finite scores (not only probabilities).
 */
export const rocAucMetric: BinaryMetric = {
  name: 'roc_auc',
  needsBothClasses: true,
  needsProbabilities: false,
  bind: () => (v) => {
    const { positives, totals } = v.blocks();
    let posAbove = 0;
    let pairs = 0;
    let negatives = 0;
    for (let b = 0; b < positives.length; b++) {
      const wp = positives[b]!;
      const wn = totals[b]! - wp;
      pairs += wn * (posAbove + 0.5 * wp);
      posAbove += wp;
      negatives += wn;
    }
    return posAbove > 0 && negatives > 0 ? pairs / (posAbove * negatives) : Number.NaN;
  },
};

/**
 * PR-AUC as average precision with ties grouped: rows with the same score enter the curve
 * together, at one threshold. AP = Σ over distinct thresholds k (R_k − R_{k−1})·P_k, with recall
 * R_k and precision P_k of "score ≥ threshold k" (scikit-learn's average_precision_score).
 */
export const prAucMetric: BinaryMetric = {
  name: 'pr_auc',
  needsBothClasses: true,
  needsProbabilities: false,
  bind: () => (v) => {
    const { positives, totals, total } = v.blocks();
    let tp = 0;
    let selected = 0;
    let sum = 0;
    for (let b = 0; b < positives.length; b++) {
      const wp = positives[b]!;
      tp += wp;
      selected += totals[b]!;
      if (wp > 0) sum += (wp * tp) / selected;
    }
    return tp > 0 && tp < total ? sum / tp : Number.NaN;
  },
};

/** Mean over rows of a per-row value computed once at bind time; NaN when the weights are all 0. */
function weightedMean(name: string, perRow: (score: number, label: number) => number): BinaryMetric {
  return {
    name,
    needsBothClasses: false,
    needsProbabilities: true,
    bind: (d) => {
      checkProbabilities(name, d.scores, d.order);
      const values = new Float64Array(d.rows);
      for (let i = 0; i < d.rows; i++) values[i] = perRow(d.scores[i]!, d.labels[i]!);
      return (v) => {
        const w = v.rowWeights;
        let sum = 0;
        let total = 0;
        if (w === null) {
          for (let i = 0; i < values.length; i++) sum += values[i]!;
          total = values.length;
        } else {
          for (let i = 0; i < values.length; i++) {
            sum += w[i]! * values[i]!;
            total += w[i]!;
          }
        }
        return total > 0 ? sum / total : Number.NaN;
      };
    },
  };
}

/** Mean negative log-likelihood (natural log), probabilities clipped to [1e-15, 1 − 1e-15]. */
export const logLossMetric: BinaryMetric = weightedMean('log_loss', (s, y) => {
  const p = Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, s));
  return y === 1 ? -Math.log(p) : -Math.log(1 - p);
});

/** Mean squared difference between probability and label. */
export const brierMetric: BinaryMetric = weightedMean('brier', (s, y) => (s - y) * (s - y));

/**
 * Precision among the top ⌈fraction·n⌉ rows by score (at least one row). Ties at the cut are
 * broken by expectation, not by position: when the cut falls inside a run of equal scores, the
 * rows of that run that are needed count with the run's positive share. This is the mean
 * precision over every ordering of the tied rows, so it does not depend on input order (a rule
 * with a handful of distinct scores, e.g. "added to cart", gets a stable figure), and a bootstrap
 * resample counts exactly like its materialised copy.
 */
export function precisionAtTopMetric(fraction: number): BinaryMetric {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new InvalidInputError(`precisionAtTop: fraction is ${String(fraction)}; it must be in (0, 1]`, 'fraction');
  }
  const pct = Math.round(fraction * 1000) / 10;
  return {
    name: `precision_at_${String(pct).replace('.', '_')}pct`,
    needsBothClasses: false,
    needsProbabilities: false,
    bind: () => (v) => {
      const { positives, totals, total } = v.blocks();
      if (total <= 0) return Number.NaN;
      const k = Math.max(1, Math.ceil(fraction * total - 1e-9));
      let taken = 0;
      let hits = 0;
      for (let b = 0; b < positives.length && taken < k; b++) {
        const wb = totals[b]!;
        if (wb === 0) continue;
        const take = Math.min(wb, k - taken);
        hits += (take * positives[b]!) / wb;
        taken += take;
      }
      return hits / k;
    },
  };
}

function evaluate(what: string, metric: BinaryMetric, scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const d = prepareBinary(what, scores, labels);
  if (metric.needsProbabilities) checkProbabilities(what, scores);
  if (metric.needsBothClasses) requireBothClasses(what, d.positives, d.rows);
  return metric.bind(d)(new Weighting(d));
}

/**
 * ROC-AUC (Mann–Whitney, ties count half). Throws InvalidInputError, naming the problem, on a
 * length mismatch, an empty input, a non-finite score, a label other than 0/1, or labels of one
 * class only (the AUC is undefined then: an error rather than NaN, so it cannot reach a report
 * unnoticed; the bootstrap skips and counts such resamples instead).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return evaluate('rocAuc', rocAucMetric, scores, labels);
}

/** Average precision with ties grouped (see prAucMetric); errors as rocAuc. */
export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return evaluate('prAuc', prAucMetric, scores, labels);
}

/** Mean log loss (natural log, clipped at 1e-15); scores must be probabilities in [0, 1]. */
export function logLoss(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return evaluate('logLoss', logLossMetric, scores, labels);
}

/** Brier score (mean squared error of the probability); scores must be in [0, 1]. */
export function brier(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return evaluate('brier', brierMetric, scores, labels);
}

/** Precision in the top `fraction` of scores (0.01 = top 1%); ties at the cut by expectation (precisionAtTopMetric). */
export function precisionAtTop(scores: ArrayLike<number>, labels: ArrayLike<number>, fraction: number): number {
  return evaluate('precisionAtTop', precisionAtTopMetric(fraction), scores, labels);
}

/** One point of an ROC curve: rates of "score ≥ threshold". */
export interface RocPoint {
  readonly fpr: number;
  readonly tpr: number;
  /** Score threshold; +Infinity for the (0, 0) start. */
  readonly threshold: number;
}

/**
 * ROC curve points, one per distinct score (ties grouped), from (0, 0) to (1, 1). When there are
 * more than `maxPoints` (default 500), keeps both ends and, for each of maxPoints − 1 evenly
 * spaced steps of (fpr + tpr)/2, the first point reaching it: the points dropped between two kept
 * ones span less than one step (1/(maxPoints − 1) of (fpr + tpr)/2), so a plot loses no visible detail.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>, options: { maxPoints?: number } = {}): RocPoint[] {
  const maxPoints = options.maxPoints ?? 500;
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new InvalidInputError(`rocCurve: maxPoints is ${String(maxPoints)}; it must be an integer ≥ 2`, 'maxPoints');
  }
  const d = prepareBinary('rocCurve', scores, labels);
  requireBothClasses('rocCurve', d.positives, d.rows);
  return downsampleRoc(rocPoints(d), maxPoints);
}

function rocPoints(d: PreparedBinary): RocPoint[] {
  const P = d.positives;
  const N = d.rows - d.positives;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Number.POSITIVE_INFINITY }];
  let tp = 0;
  let fp = 0;
  for (let b = 0; b + 1 < d.blockStart.length; b++) {
    for (let i = d.blockStart[b]!; i < d.blockStart[b + 1]!; i++) {
      if (d.labels[i] === 1) tp++;
      else fp++;
    }
    points.push({ fpr: fp / N, tpr: tp / P, threshold: d.scores[d.blockStart[b]!]! });
  }
  return points;
}

function downsampleRoc(points: RocPoint[], maxPoints: number): RocPoint[] {
  if (points.length <= maxPoints) return points;
  const kept: RocPoint[] = [points[0]!];
  const steps = maxPoints - 1;
  let next = 1;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const s = (p.fpr + p.tpr) / 2;
    if (s * steps >= next && kept.length < maxPoints - 1) {
      kept.push(p);
      next = Math.floor(s * steps) + 1;
    }
  }
  kept.push(points[points.length - 1]!);
  return kept;
}
