import type { Aggregator } from '../aggregator.js';
import type { Measure } from '../inputs.js';
import { measured } from './reference.js';

/** Σ measure; with clampAtZero, max(0, Σ). */
export interface SumAggregation {
  readonly kind: 'sum';
  readonly measure: Measure;
  readonly clampAtZero?: boolean;
}

export const sum: Aggregator<SumAggregation> = {
  kind: 'sum',
  value: 'number',
  examples: [
    { kind: 'sum', measure: 'value' },
    { kind: 'sum', measure: 'price' },
    { kind: 'sum', measure: 'signed_quantity', clampAtZero: true },
    { kind: 'sum', measure: 'signed_value', clampAtZero: true },
  ],
  compile(a, plan) {
    const s = plan.slot<number[]>('moments', plan.types, { measure: a.measure });
    const clamp = a.clampAtZero === true;
    return (state, refMs) => {
      const total = s.merged(state, s.kRef(refMs))[1]!;
      return clamp ? Math.max(0, total) : total;
    };
  },
  naive(a, inside) {
    const total = measured(inside, a.measure).reduce((acc, x) => acc + x, 0);
    return a.clampAtZero ? Math.max(0, total) : total;
  },
};
