export { StreamClock, SHOPPER_ERASED, TOO_LATE } from './clock.js';
export {
  ALLOWED_LATENESS_MS,
  ENGINE_REVISION,
  ENTITIES,
  featureDefinitions,
  isSharedEntity,
  valueKind,
  type Aggregation,
  type Entity,
  type EventFilter,
  type FeatureDefinition,
  type KeyOf,
  type Measure,
  type TypeWeights,
} from './definitions.js';
export {
  FeatureEngine,
  keysOf,
  readsSentiment,
  measureOf,
  sameFeatureValue,
  sharedField,
  type CompiledFeature,
  type EngineOptions,
  type EntityPlan,
  type FeatureValue,
  type SentimentScorer,
  type SharedDeltaSink,
  type SlotSpec,
} from './engine.js';
export { aggregatorOf, aggregators } from './aggregations/index.js';
export type { Aggregator, FeaturePlan, Finalizer, NaiveContext, SlotOptions } from './aggregator.js';
export { ErasureList } from './erasure.js';
export { SENTIMENT_MEASURES } from './inputs.js';

export {
  EVENT_TYPE_COUNT,
  EVENT_TYPES,
  eventTypeName,
  itemKeysOf,
  queryTerms,
  shopperKeyOf,
  toFeatureEvent,
  type FeatureEvent,
} from './event.js';
export { OfflineExecutor, sessionEntityKey, type ApplyResult, type ApplyStatus, type FeatureVector } from './offline.js';
export { partialKinds, vectorLength, type Bucket, type LatestEntry, type PartialKind, type Primitive } from './partials.js';
export { SlotWindow } from './slot-window.js';
export { cloneState, decodeState, emptyState, encodeState, type EntityState, type Series } from './state.js';
export { bucketOf, DAY_MS, HOUR_MS, inWindow, LONGEST_WINDOW_MS, MINUTE_MS, SECOND_MS, windows, type Window } from './windows.js';
