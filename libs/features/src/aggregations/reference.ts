import type { FeatureEvent } from '../event.js';
import { keysOf, measureOf, type KeyOf, type Measure, type TypeWeights } from '../inputs.js';

// Helpers of the naive references: plain loops over raw events, no partials.

/** The measure of each event that has it. */
export function measured(events: readonly FeatureEvent[], measure: Measure): number[] {
  return events.map((e) => measureOf(measure, e)).filter((x): x is number => x !== undefined);
}

/** Σ weight per key over the events with a positive weight. */
export function weighted(events: readonly FeatureEvent[], key: KeyOf, weights: TypeWeights): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) {
    const w = weights[e.type] ?? 0;
    if (w <= 0) continue;
    for (const k of keysOf(key, e)) out.set(k, (out.get(k) ?? 0) + w);
  }
  return out;
}
