import { evaluateBinary, type BinaryEvaluation, type Interval } from '@clickwise/evaluation';

/** A figure with its 95% interval from a bootstrap over sessions (libs/evaluation). */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

export interface BinaryMetrics {
  roc_auc: Estimate;
  pr_auc: Estimate;
  log_loss: Estimate;
  ece: Estimate;
  /** Share of positives among the top 1% / 5% of scores. */
  precision_at_1pct: Estimate;
  precision_at_5pct: Estimate;
  examples: number;
  positives: number;
  sessions: number;
  positiveSessions: number;
  /** The evaluation as libs/evaluation gave it (for the report). */
  evaluation: BinaryEvaluation;
}

const NONE: Estimate = { value: NaN, low: NaN, high: NaN };
const estimate = (i: Interval): Estimate => ({ value: i.estimate, low: i.low, high: i.high });

/**
 * Every metric of libs/evaluation's evaluateBinary with its 95% interval from `reps` bootstrap
 * samples of whole sessions. `probabilities` false (a 0/1 rule): log loss and ECE are not reported.
 */
export function binaryMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: readonly string[],
  options: { reps?: number; seed?: number; probabilities?: boolean } = {},
): BinaryMetrics {
  const evaluation = evaluateBinary(scores, labels, groups, { iterations: Math.max(1, options.reps ?? 200), seed: options.seed ?? 7 });
  const probabilities = options.probabilities ?? true;
  const sessions = new Set<string>();
  const positiveSessions = new Set<string>();
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    sessions.add(groups[i]!);
    if (labels[i] === 1) {
      positives++;
      positiveSessions.add(groups[i]!);
    }
  }
  return {
    roc_auc: estimate(evaluation.roc_auc),
    pr_auc: estimate(evaluation.pr_auc),
    log_loss: probabilities ? estimate(evaluation.log_loss) : NONE,
    ece: probabilities ? estimate(evaluation.ece) : NONE,
    precision_at_1pct: estimate(evaluation.precision_at_1pct),
    precision_at_5pct: estimate(evaluation.precision_at_5pct),
    examples: labels.length,
    positives,
    sessions: sessions.size,
    positiveSessions: positiveSessions.size,
    evaluation,
  };
}
