import type { Aggregator } from '../aggregator.js';
import type { Measure } from '../inputs.js';
import { measured } from './reference.js';

/** Largest value of a measure; 0 without data. */
export interface MaxAggregation {
  readonly kind: 'max';
  readonly measure: Measure;
}

export const max: Aggregator<MaxAggregation> = {
  kind: 'max',
  value: 'number',
  examples: [
    { kind: 'max', measure: 'price' },
    { kind: 'max', measure: 'quantity' },
  ],
  compile(a, plan) {
    const s = plan.slot<number>('max', plan.types, { measure: a.measure });
    return (state, refMs) => {
      const v = s.merged(state, s.kRef(refMs));
      return Number.isFinite(v) ? v : 0;
    };
  },
  naive(a, inside) {
    const xs = measured(inside, a.measure);
    return xs.length === 0 ? 0 : Math.max(...xs);
  },
};
