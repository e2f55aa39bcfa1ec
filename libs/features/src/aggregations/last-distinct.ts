import type { Aggregator } from '../aggregator.js';
import { keysOf, type KeyOf } from '../inputs.js';

/** The n most recent distinct keys, most recent first (ties: larger key first). A list. */
export interface LastDistinctAggregation {
  readonly kind: 'last_distinct';
  readonly key: KeyOf;
  readonly n: number;
}

export const lastDistinct: Aggregator<LastDistinctAggregation> = {
  kind: 'last_distinct',
  value: 'list',
  examples: [
    { kind: 'last_distinct', key: 'item', n: 3 },
    { kind: 'last_distinct', key: 'category', n: 1 },
    { kind: 'last_distinct', key: 'query_terms', n: 10 },
  ],
  compile(a, plan) {
    const s = plan.slot('latest', plan.types, { key: a.key, n: a.n });
    const n = a.n;
    return (state, refMs) => s.latest(state, s.kRef(refMs), n);
  },
  naive(a, inside) {
    const latest = new Map<string, number>();
    for (const e of inside) for (const k of keysOf(a.key, e)) latest.set(k, Math.max(latest.get(k) ?? -Infinity, e.timeMs));
    return [...latest]
      .sort((x, y) => y[1] - x[1] || (y[0] > x[0] ? 1 : y[0] < x[0] ? -1 : 0))
      .slice(0, a.n)
      .map(([k]) => k);
  },
};
