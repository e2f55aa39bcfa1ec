import type { Aggregator } from '../aggregator.js';

/** (T − time of the latest event) in seconds; the window length when there is none. */
export interface SecondsSinceLastAggregation {
  readonly kind: 'seconds_since_last';
}

export const secondsSinceLast: Aggregator<SecondsSinceLastAggregation> = {
  kind: 'seconds_since_last',
  value: 'number',
  examples: [{ kind: 'seconds_since_last' }],
  compile(_a, plan) {
    const s = plan.slot<number>('max', plan.types, { measure: 'time' });
    const none = plan.window.ms / 1000;
    return (state, refMs) => {
      const last = s.merged(state, s.kRef(refMs));
      return Number.isFinite(last) ? (refMs - last) / 1000 : none;
    };
  },
  naive(_a, inside, { refMs, window }) {
    if (inside.length === 0) return window.ms / 1000;
    return (refMs - Math.max(...inside.map((e) => e.timeMs))) / 1000;
  },
};
