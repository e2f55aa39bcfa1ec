import { EventType } from '@clickwise/contracts';
import type { Aggregator } from '../aggregator.js';

/** count(numerator types) / count(denominator types); 0 when the denominator is 0. */
export interface RatioAggregation {
  readonly kind: 'ratio';
  readonly numerator: readonly EventType[];
  readonly denominator: readonly EventType[];
}

export const ratio: Aggregator<RatioAggregation> = {
  kind: 'ratio',
  value: 'number',
  examples: [
    { kind: 'ratio', numerator: [EventType.ADD_TO_CART], denominator: [EventType.PRODUCT_VIEW] },
    { kind: 'ratio', numerator: [EventType.PURCHASE, EventType.CHECKOUT], denominator: [EventType.ADD_TO_CART, EventType.PRODUCT_VIEW] },
  ],
  compile(a, plan) {
    const s = plan.slot('types', 'all');
    // Only events that pass the filter count (the catalogue's filters list both sides anyway).
    const numerator = a.numerator.filter((t) => plan.types.includes(t));
    const denominator = a.denominator.filter((t) => plan.types.includes(t));
    return (state, refMs) => {
      const kRef = s.kRef(refMs);
      const d = s.count(state, kRef, denominator);
      return d === 0 ? 0 : s.count(state, kRef, numerator) / d;
    };
  },
  naive(a, inside) {
    const num = inside.filter((e) => a.numerator.includes(e.type)).length;
    const den = inside.filter((e) => a.denominator.includes(e.type)).length;
    return den === 0 ? 0 : num / den;
  },
};
