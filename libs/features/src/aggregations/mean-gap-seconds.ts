import type { Aggregator } from '../aggregator.js';
import { compileSpan, spanSeconds } from './span-seconds.js';

/** span / (count − 1) in seconds; 0 with fewer than 2 events. */
export interface MeanGapSecondsAggregation {
  readonly kind: 'mean_gap_seconds';
}

export const meanGapSeconds: Aggregator<MeanGapSecondsAggregation> = {
  kind: 'mean_gap_seconds',
  value: 'number',
  examples: [{ kind: 'mean_gap_seconds' }],
  compile: (_a, plan) => compileSpan(plan, true),
  naive(_a, inside, at) {
    if (inside.length < 2) return 0;
    return (spanSeconds.naive({ kind: 'span_seconds' }, inside, at) as number) / (inside.length - 1);
  },
};
