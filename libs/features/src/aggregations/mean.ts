import type { Aggregator } from '../aggregator.js';
import type { Measure } from '../inputs.js';
import { measured } from './reference.js';

/** Mean of a measure; without data 0, or absent (null) with `empty: 'absent'`. */
export interface MeanAggregation {
  readonly kind: 'mean';
  readonly measure: Measure;
  readonly empty?: 'zero' | 'absent';
}

export const mean: Aggregator<MeanAggregation> = {
  kind: 'mean',
  value: 'number',
  examples: [
    { kind: 'mean', measure: 'price' },
    { kind: 'mean', measure: 'rating' },
    { kind: 'mean', measure: 'quantity' },
    { kind: 'mean', measure: 'rating', empty: 'absent' },
  ],
  compile(a, plan) {
    const s = plan.slot<number[]>('moments', plan.types, { measure: a.measure });
    const none = a.empty === 'absent' ? null : 0;
    return (state, refMs) => {
      const [n, total] = s.merged(state, s.kRef(refMs)) as [number, number];
      return n === 0 ? none : total / n;
    };
  },
  naive(a, inside) {
    const xs = measured(inside, a.measure);
    if (xs.length === 0) return a.empty === 'absent' ? null : 0;
    return xs.reduce((acc, x) => acc + x, 0) / xs.length;
  },
};
