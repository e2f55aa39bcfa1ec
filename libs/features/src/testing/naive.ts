import { aggregatorOf } from '../aggregations/index.js';
import type { FeatureValue } from '../aggregator.js';
import type { FeatureDefinition } from '../definitions.js';
import type { FeatureEvent } from '../event.js';
import { inWindow } from '../windows.js';

/**
 * The reference: a feature computed straight from the raw events of its entity, with no state,
 * no buckets and no merging (as Chronon's NaiveAggregator checks its SawtoothAggregator): the
 * events that pass the filter and lie inside the window, given to the kind's `naive`. Tests
 * compare the engine against it on random streams.
 */
export function naiveValue(def: FeatureDefinition, events: readonly FeatureEvent[], refMs: number): FeatureValue {
  const inside = events.filter((e) => def.filter.types.includes(e.type) && inWindow(e.timeMs, refMs, def.window));
  return aggregatorOf(def.aggregation).naive(def.aggregation, inside, { refMs, window: def.window });
}
