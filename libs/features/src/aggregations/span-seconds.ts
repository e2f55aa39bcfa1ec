import type { Aggregator, FeaturePlan, Finalizer } from '../aggregator.js';

/** (latest − earliest event time) in seconds. */
export interface SpanSecondsAggregation {
  readonly kind: 'span_seconds';
}

/**
 * The span of the window's event times; with `perGap`, divided by the gaps between its events
 * (span / (count − 1), 0 with fewer than 2). Both declare the same three slots, in this order
 * (the state layout depends on it): the latest time, the earliest time, the types count.
 */
export function compileSpan(plan: FeaturePlan, perGap: boolean): Finalizer {
  const hi = plan.slot<number>('max', plan.types, { measure: 'time' });
  const lo = plan.slot<number>('min', plan.types, { measure: 'time' });
  const c = plan.slot('types', 'all');
  const types = plan.types;
  return (state, refMs) => {
    const kRef = hi.kRef(refMs);
    const latest = hi.merged(state, kRef);
    if (!Number.isFinite(latest)) return 0;
    const span = (latest - lo.merged(state, kRef)) / 1000;
    if (!perGap) return span;
    const events = c.count(state, kRef, types);
    return events < 2 ? 0 : span / (events - 1);
  };
}

export const spanSeconds: Aggregator<SpanSecondsAggregation> = {
  kind: 'span_seconds',
  value: 'number',
  examples: [{ kind: 'span_seconds' }],
  compile: (_a, plan) => compileSpan(plan, false),
  naive(_a, inside) {
    if (inside.length === 0) return 0;
    const times = inside.map((e) => e.timeMs);
    return (Math.max(...times) - Math.min(...times)) / 1000;
  },
};
