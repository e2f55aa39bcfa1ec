import type { Aggregator } from '../aggregator.js';

/** Gap between the two latest event times in seconds; 0 with fewer than 2 events. */
export interface LastGapSecondsAggregation {
  readonly kind: 'last_gap_seconds';
}

export const lastGapSeconds: Aggregator<LastGapSecondsAggregation> = {
  kind: 'last_gap_seconds',
  value: 'number',
  examples: [{ kind: 'last_gap_seconds' }],
  compile(_a, plan) {
    const s = plan.slot<number[]>('top2', plan.types, { measure: 'time' });
    return (state, refMs) => {
      const top = s.merged(state, s.kRef(refMs));
      return top.length < 2 ? 0 : (top[0]! - top[1]!) / 1000;
    };
  },
  naive(_a, inside) {
    if (inside.length < 2) return 0;
    const times = inside.map((e) => e.timeMs).sort((x, y) => y - x);
    return (times[0]! - times[1]!) / 1000;
  },
};
