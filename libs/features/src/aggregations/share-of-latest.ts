import { EventType } from '@clickwise/contracts';
import type { Aggregator } from '../aggregator.js';
import { keysOf, positiveTypes, type KeyOf, type TypeWeights } from '../inputs.js';
import { weighted } from './reference.js';

/** Share of Σ weight that belongs to the most recent key (with non-zero weight). */
export interface ShareOfLatestAggregation {
  readonly kind: 'share_of_latest';
  readonly key: KeyOf;
  readonly weights: TypeWeights;
}

export const shareOfLatest: Aggregator<ShareOfLatestAggregation> = {
  kind: 'share_of_latest',
  value: 'number',
  examples: [
    { kind: 'share_of_latest', key: 'category', weights: { [EventType.PRODUCT_VIEW]: 1, [EventType.ADD_TO_CART]: 3, [EventType.PURCHASE]: 5 } },
    { kind: 'share_of_latest', key: 'item', weights: { [EventType.PRODUCT_VIEW]: 2, [EventType.PAGE_VIEW]: 0, [EventType.REVIEW]: 1 } },
  ],
  compile(a, plan) {
    const feeding = positiveTypes(a.weights, plan.types);
    // Declared in this order: the weights slot, then the latest key (the state layout depends on it).
    const s = plan.slot('weights', feeding, { key: a.key, weights: a.weights });
    const l = plan.slot('latest', feeding, { key: a.key, n: 1 });
    return (state, refMs) => {
      const kRef = s.kRef(refMs);
      const latest = l.latest(state, kRef, 1)[0];
      if (latest === undefined) return 0;
      const weights = s.weights(state, kRef);
      let total = 0;
      for (const key in weights) total += weights[key]!;
      return total === 0 ? 0 : (weights[latest] ?? 0) / total;
    };
  },
  naive(a, inside) {
    let latestKey: string | undefined;
    let latestTime = -Infinity;
    for (const e of inside) {
      if ((a.weights[e.type] ?? 0) <= 0) continue;
      for (const k of keysOf(a.key, e)) {
        if (e.timeMs > latestTime || (e.timeMs === latestTime && latestKey !== undefined && k > latestKey)) {
          latestTime = e.timeMs;
          latestKey = k;
        }
      }
    }
    if (latestKey === undefined) return 0;
    const weights = weighted(inside, a.key, a.weights);
    let total = 0;
    for (const w of weights.values()) total += w;
    return total === 0 ? 0 : (weights.get(latestKey) ?? 0) / total;
  },
};
