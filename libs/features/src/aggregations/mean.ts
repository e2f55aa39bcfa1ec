import type { Aggregator } from '../aggregator.js';
import type { Measure } from '../inputs.js';
import { measured } from './reference.js';

/** Mean of a measure; 0 without data. */
export interface MeanAggregation {
  readonly kind: 'mean';
  readonly measure: Measure;
}

export const mean: Aggregator<MeanAggregation> = {
  kind: 'mean',
  value: 'number',
  examples: [
    { kind: 'mean', measure: 'price' },
    { kind: 'mean', measure: 'rating' },
    { kind: 'mean', measure: 'quantity' },
  ],
  compile(a, plan) {
    const s = plan.slot<number[]>('moments', plan.types, { measure: a.measure });
    return (state, refMs) => {
      const [n, total] = s.merged(state, s.kRef(refMs)) as [number, number];
      return n === 0 ? 0 : total / n;
    };
  },
  naive(a, inside) {
    const xs = measured(inside, a.measure);
    return xs.length === 0 ? 0 : xs.reduce((acc, x) => acc + x, 0) / xs.length;
  },
};
