import type { PureSequenceModel } from './model.js';

/** A next-item test case: the items so far (oldest first) and the item that came next. */
export interface NextItemCase {
  prefix: readonly string[];
  label: string;
}

export interface NextItemMetrics {
  /** Percent. */
  hr20: number;
  mrr20: number;
  hr10: number;
  mrr10: number;
  cases: number;
}

function metricsFromRanks(ranks: ArrayLike<number>): NextItemMetrics {
  let h20 = 0;
  let m20 = 0;
  let h10 = 0;
  let m10 = 0;
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i]!;
    if (r < 0) continue;
    if (r < 20) {
      h20++;
      m20 += 1 / (r + 1);
    }
    if (r < 10) {
      h10++;
      m10 += 1 / (r + 1);
    }
  }
  const n = Math.max(1, ranks.length);
  return { hr20: (100 * h20) / n, mrr20: (100 * m20) / n, hr10: (100 * h10) / n, mrr10: (100 * m10) / n, cases: ranks.length };
}

/**
 * HR and MRR at 10 and 20 (%) of a model, ranking over every item it knows (exact scoring); a label
 * it does not know, or a prefix of unknown items, is a miss. `retrieval: true` ranks the IVF top 20 instead.
 */
export function evaluateSequenceModel(model: PureSequenceModel, cases: readonly NextItemCase[], options: { retrieval?: boolean } = {}): NextItemMetrics {
  const ranks = new Int32Array(cases.length).fill(-1);
  const rowOf = new Map(model.itemIds.map((id, r) => [id, r] as const));
  cases.forEach((c, i) => {
    const row = rowOf.get(c.label);
    if (row === undefined) return;
    if (options.retrieval) {
      const at = model.topK(c.prefix, 20).findIndex((x) => x.itemId === c.label);
      ranks[i] = at;
      return;
    }
    const scores = model.scoreAll(c.prefix);
    if (!scores) return;
    const mine = scores[row]!;
    let rank = 0;
    for (let r = 0; r < scores.length; r++) if (scores[r]! > mine) rank++;
    ranks[i] = rank;
  });
  return metricsFromRanks(ranks);
}

/** The popularity baseline: the same top items (most frequent in `sessions`) for every case. */
export function evaluatePopularity(sessions: readonly (readonly string[])[], cases: readonly NextItemCase[]): NextItemMetrics {
  const counts = new Map<string, number>();
  for (const s of sessions) for (const id of s) counts.set(id, (counts.get(id) ?? 0) + 1);
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20).map(([id]) => id);
  const rankOf = new Map(top.map((id, r) => [id, r] as const));
  return metricsFromRanks(cases.map((c) => rankOf.get(c.label) ?? -1));
}
