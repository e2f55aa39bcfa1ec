import type { Aggregator } from '../aggregator.js';
import type { Measure } from '../inputs.js';
import { measured } from './reference.js';

/** Population standard deviation of a measure; 0 without data. */
export interface StddevAggregation {
  readonly kind: 'stddev';
  readonly measure: Measure;
}

export const stddev: Aggregator<StddevAggregation> = {
  kind: 'stddev',
  value: 'number',
  examples: [
    { kind: 'stddev', measure: 'price' },
    { kind: 'stddev', measure: 'quantity' },
  ],
  compile(a, plan) {
    const s = plan.slot<number[]>('variance', plan.types, { measure: a.measure });
    return (state, refMs) => {
      const [n, , m2] = s.merged(state, s.kRef(refMs)) as [number, number, number];
      return n === 0 ? 0 : Math.sqrt(Math.max(0, m2 / n));
    };
  },
  naive(a, inside) {
    const xs = measured(inside, a.measure);
    if (xs.length === 0) return 0;
    const m = xs.reduce((acc, x) => acc + x, 0) / xs.length;
    return Math.sqrt(xs.reduce((acc, x) => acc + (x - m) ** 2, 0) / xs.length);
  },
};
