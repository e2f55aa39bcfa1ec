import { InvalidInputError } from '@clickwise/errors';

/** Whether a larger value of a metric is better. */
export type MetricDirection = 'higher' | 'lower';

const HIGHER = [/^roc_auc$/, /^pr_auc$/, /^auc$/, /^accuracy$/, /^f1$/, /^precision(@.+)?$/, /^recall(@.+)?$/, /^hr@\d+$/, /^mrr@\d+$/, /^ndcg@\d+$/];
const LOWER = [/^log_loss$/, /^ece$/, /^brier$/, /^mae$/, /^mse$/, /^rmse$/, /^loss$/];

/** The direction of a known metric name; undefined for a name it does not know. */
export function metricDirection(metric: string): MetricDirection | undefined {
  if (HIGHER.some((p) => p.test(metric))) return 'higher';
  if (LOWER.some((p) => p.test(metric))) return 'lower';
  return undefined;
}

/** A model's metrics on one hold-out window. */
export interface MeasuredModel {
  metrics: Readonly<Record<string, number>>;
  holdoutFromMs: number;
  holdoutToMs: number;
}

export interface ChampionDecisionOptions {
  /** The metric that decides ("roc_auc", "log_loss", "hr@20", ...). */
  metric: string;
  /** Make the candidate champion whatever the comparison says (the operator forces it). */
  force?: boolean;
  /** Needed for a metric name metricDirection does not know. */
  direction?: MetricDirection;
  /** How much better the candidate must be (default 0: strictly better). */
  minImprovement?: number;
}

export interface ChampionDecision {
  /** Whether the candidate becomes the champion. */
  champion: boolean;
  /** The version it was compared against ('' when there was no champion). */
  comparedToVersion: string;
  /** Why, in words (kept in the champion pointer as its promotion reason). */
  reason: string;
}

const show = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));

/**
 * The champion decision of a training run, pure: the candidate becomes the champion when there is
 * none yet, when it beats the current champion on `metric` measured on the same hold-out window
 * (strictly, by more than `minImprovement`), or when `force` is set. `current.metrics` must be the
 * current champion's metrics on the candidate's hold-out (the trainer re-evaluates it there): a
 * different window is refused, as comparing numbers from two windows says nothing.
 */
export function decideChampion(
  current: (MeasuredModel & { version: string }) | undefined,
  candidate: MeasuredModel,
  options: ChampionDecisionOptions,
): ChampionDecision {
  const { metric } = options;
  const direction = options.direction ?? metricDirection(metric);
  if (!direction) throw new InvalidInputError(`metric "${metric}" has no known direction: pass direction 'higher' or 'lower'`, 'metric');
  const minImprovement = options.minImprovement ?? 0;
  if (!Number.isFinite(minImprovement) || minImprovement < 0) throw new InvalidInputError(`minImprovement must be a number >= 0, got ${minImprovement}`, 'minImprovement');
  const mine = candidate.metrics[metric];
  if (mine === undefined || !Number.isFinite(mine)) {
    throw new InvalidInputError(`the candidate has no ${metric} (its metrics: ${Object.keys(candidate.metrics).join(', ') || 'none'})`, 'metrics');
  }
  if (!current) return { champion: true, comparedToVersion: '', reason: `no champion yet (${metric} ${show(mine)})` };
  const theirs = current.metrics[metric];
  if (options.force) {
    const against = theirs === undefined ? `${current.version} has no ${metric}` : `${show(theirs)} of ${current.version}`;
    return { champion: true, comparedToVersion: current.version, reason: `forced by the operator (${metric} ${show(mine)}; ${against})` };
  }
  if (current.holdoutFromMs !== candidate.holdoutFromMs || current.holdoutToMs !== candidate.holdoutToMs) {
    const window = (m: MeasuredModel) => `${new Date(m.holdoutFromMs).toISOString()} – ${new Date(m.holdoutToMs).toISOString()}`;
    throw new InvalidInputError(
      `compare on the same hold-out: champion ${current.version} was measured on ${window(current)}, the candidate on ${window(candidate)}; re-evaluate the champion on the candidate's hold-out (or force)`,
      'holdout',
    );
  }
  if (theirs === undefined || !Number.isFinite(theirs)) {
    throw new InvalidInputError(`champion ${current.version} has no ${metric} on this hold-out: re-evaluate it (or force)`, 'metrics');
  }
  const gain = direction === 'higher' ? mine - theirs : theirs - mine;
  const better = gain > minImprovement;
  const relation = better ? 'beats' : 'does not beat';
  const margin = minImprovement > 0 ? ` by more than ${show(minImprovement)}` : '';
  return {
    champion: better,
    comparedToVersion: current.version,
    reason: `${metric} ${show(mine)} ${relation} ${show(theirs)} of ${current.version}${margin} (${direction} is better)`,
  };
}
