import type { SentimentScorer } from '@clickwise/text';
import { EventType } from '@clickwise/contracts';
import { aggregatorOf } from '../aggregations/index.js';
import type { FeatureValue } from '../aggregator.js';
import type { FeatureDefinition } from '../definitions.js';
import { readsSentiment } from '../engine.js';
import type { FeatureEvent } from '../event.js';
import { inWindow } from '../windows.js';

/**
 * The reference: a feature computed straight from the raw events of its entity, with no state,
 * no buckets and no merging (as Chronon's NaiveAggregator checks its SawtoothAggregator): the
 * events that pass the filter and lie inside the window, given to the kind's `naive`. Tests
 * compare the engine against it on random streams. A feature reading the sentiment model is
 * absent (null) without `sentiment`; with it, review texts are scored here, independently.
 */
export function naiveValue(def: FeatureDefinition, events: readonly FeatureEvent[], refMs: number, sentiment?: SentimentScorer): FeatureValue {
  if (readsSentiment(def) && sentiment === undefined) return null;
  const inside = events
    .filter((e) => def.filter.types.includes(e.type) && inWindow(e.timeMs, refMs, def.window))
    .map((e) => ({ ...e, reviewSentiment: sentiment && e.type === EventType.REVIEW && e.reviewText ? sentiment.score(e.reviewText) : undefined }));
  return aggregatorOf(def.aggregation).naive(def.aggregation, inside, { refMs, window: def.window });
}
