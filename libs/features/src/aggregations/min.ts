import type { Aggregator } from '../aggregator.js';
import type { Measure } from '../inputs.js';
import { measured } from './reference.js';

/** Smallest value of a measure; 0 without data. */
export interface MinAggregation {
  readonly kind: 'min';
  readonly measure: Measure;
}

export const min: Aggregator<MinAggregation> = {
  kind: 'min',
  value: 'number',
  examples: [
    { kind: 'min', measure: 'price' },
    { kind: 'min', measure: 'signed_value' },
  ],
  compile(a, plan) {
    const s = plan.slot<number>('min', plan.types, { measure: a.measure });
    return (state, refMs) => {
      const v = s.merged(state, s.kRef(refMs));
      return Number.isFinite(v) ? v : 0;
    };
  },
  naive(a, inside) {
    const xs = measured(inside, a.measure);
    return xs.length === 0 ? 0 : Math.min(...xs);
  },
};
