import { EventType } from '@clickwise/contracts';
import type { Aggregator } from '../aggregator.js';
import { positiveTypes, type KeyOf, type TypeWeights } from '../inputs.js';
import { topWeighted as topKeys } from '../partials.js';
import { weighted } from './reference.js';

/** The n keys with the largest Σ weight, largest first (ties: smaller key first). A list. */
export interface TopWeightedAggregation {
  readonly kind: 'top_weighted';
  readonly key: KeyOf;
  readonly n: number;
  readonly weights: TypeWeights;
}

export const topWeighted: Aggregator<TopWeightedAggregation> = {
  kind: 'top_weighted',
  value: 'list',
  examples: [
    { kind: 'top_weighted', key: 'category', n: 3, weights: { [EventType.PRODUCT_VIEW]: 1, [EventType.ADD_TO_CART]: 3, [EventType.PURCHASE]: 5 } },
    { kind: 'top_weighted', key: 'item', n: 2, weights: { [EventType.PRODUCT_VIEW]: 0.5, [EventType.REVIEW]: 2, [EventType.REMOVE_FROM_CART]: -1 } },
  ],
  compile(a, plan) {
    const s = plan.slot('weights', positiveTypes(a.weights, plan.types), { key: a.key, weights: a.weights });
    const n = a.n;
    return (state, refMs) => topKeys(s.weights(state, s.kRef(refMs)), n);
  },
  naive(a, inside) {
    return [...weighted(inside, a.key, a.weights)]
      .filter(([, w]) => w > 0)
      .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      .slice(0, a.n)
      .map(([k]) => k);
  },
};
