import { ece, logLoss, prAuc, rocAuc } from './metrics.js';

/** A figure with its 95% interval from a bootstrap over sessions. */
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
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function precisionAtTop(scores: ArrayLike<number>, labels: ArrayLike<number>, share: number): number {
  const k = Math.max(1, Math.round(scores.length * share));
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let hits = 0;
  for (let i = 0; i < k; i++) hits += labels[idx[i]!]!;
  return hits / k;
}

type MetricName = 'roc_auc' | 'pr_auc' | 'log_loss' | 'ece' | 'precision_at_1pct' | 'precision_at_5pct';
const METRICS: Record<MetricName, (s: ArrayLike<number>, y: ArrayLike<number>) => number> = {
  roc_auc: rocAuc,
  pr_auc: prAuc,
  log_loss: logLoss,
  ece: (s, y) => ece(s, y),
  precision_at_1pct: (s, y) => precisionAtTop(s, y, 0.01),
  precision_at_5pct: (s, y) => precisionAtTop(s, y, 0.05),
};

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[at]!;
}

/**
 * Every metric with a 95% percentile interval from `reps` bootstrap samples of whole sessions
 * (examples of one session are not independent). `probabilities` false: log loss and ECE are NaN
 * (scores that are not probabilities, e.g. a 0/1 rule, still get ROC-AUC and PR-AUC).
 */
export function binaryMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: readonly string[],
  options: { reps?: number; seed?: number; probabilities?: boolean } = {},
): BinaryMetrics {
  const reps = options.reps ?? 200;
  const probabilities = options.probabilities ?? true;
  const bySession = new Map<string, number[]>();
  for (let i = 0; i < groups.length; i++) {
    let list = bySession.get(groups[i]!);
    if (!list) bySession.set(groups[i]!, (list = []));
    list.push(i);
  }
  const sessions = [...bySession.values()];
  const names = (Object.keys(METRICS) as MetricName[]).filter((m) => probabilities || (m !== 'log_loss' && m !== 'ece'));
  const samples = Object.fromEntries(names.map((m) => [m, [] as number[]])) as Record<MetricName, number[]>;
  const rand = mulberry32(options.seed ?? 7);
  for (let r = 0; r < reps; r++) {
    const s: number[] = [];
    const y: number[] = [];
    for (let k = 0; k < sessions.length; k++) {
      for (const i of sessions[Math.floor(rand() * sessions.length)]!) {
        s.push(scores[i]!);
        y.push(labels[i]!);
      }
    }
    for (const m of names) {
      const v = METRICS[m](s, y);
      if (Number.isFinite(v)) samples[m].push(v);
    }
  }
  const estimate = (m: MetricName): Estimate => {
    if (!names.includes(m)) return { value: NaN, low: NaN, high: NaN };
    const sorted = samples[m].sort((a, b) => a - b);
    return { value: METRICS[m](scores, labels), low: percentile(sorted, 0.025), high: percentile(sorted, 0.975) };
  };
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  return {
    roc_auc: estimate('roc_auc'),
    pr_auc: estimate('pr_auc'),
    log_loss: estimate('log_loss'),
    ece: estimate('ece'),
    precision_at_1pct: estimate('precision_at_1pct'),
    precision_at_5pct: estimate('precision_at_5pct'),
    examples: labels.length,
    positives,
    sessions: sessions.length,
    positiveSessions: sessions.filter((list) => labels[list[0]!] === 1 || list.some((i) => labels[i] === 1)).length,
  };
}
