import type { Aggregator } from '../aggregator.js';
import { keysOf, type KeyOf } from '../inputs.js';

/** Number of distinct keys (exact: a set per bucket). */
export interface DistinctCountAggregation {
  readonly kind: 'distinct_count';
  readonly key: KeyOf;
}

export const distinctCount: Aggregator<DistinctCountAggregation> = {
  kind: 'distinct_count',
  value: 'number',
  examples: [
    { kind: 'distinct_count', key: 'item' },
    { kind: 'distinct_count', key: 'category' },
    { kind: 'distinct_count', key: 'session' },
    { kind: 'distinct_count', key: 'query_terms' },
  ],
  compile(a, plan) {
    const s = plan.slot('set', plan.types, { key: a.key });
    return (state, refMs) => s.distinct(state, s.kRef(refMs));
  },
  naive: (a, inside) => new Set(inside.flatMap((e) => keysOf(a.key, e))).size,
};
