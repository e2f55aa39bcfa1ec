import type { Aggregator } from '../aggregator.js';

/** Number of events. */
export interface CountAggregation {
  readonly kind: 'count';
}

export const count: Aggregator<CountAggregation> = {
  kind: 'count',
  value: 'number',
  examples: [{ kind: 'count' }],
  compile(_a, plan) {
    // One `types` slot per hop counts every type; the filter is applied when reading.
    const s = plan.slot('types', 'all');
    const types = plan.types;
    return (state, refMs) => s.count(state, s.kRef(refMs), types);
  },
  naive: (_a, inside) => inside.length,
};
