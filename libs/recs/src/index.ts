export {
  DEFAULT_INDEX_CONFIG,
  DEFAULT_RANK_CONFIG,
  DEFAULT_RECS_CONFIG,
  type CatalogItemLike,
  type CatalogView,
  type IndexConfig,
  type RankConfig,
  type Reason,
  type ReasonKind,
  type RecommendRequest,
  type Recommendation,
  type RecsConfig,
  type RecsEvent,
  type RecsEventKind,
  type RecsFilters,
  type ScoredItem,
  type SequenceModel,
} from './types.js';
export type {
  AppliedBatch,
  BatchSource,
  ErasureResult,
  IndexQuery,
  IndexSlice,
  IndexStats,
  NeighbourSession,
  PlannedBatch,
  PlannedEvent,
  RecsStore,
  StoredEvent,
  WeightedItem,
} from './store.js';
export { checkEvent, forwardFactor, planBatch } from './plan.js';
export { currentItems, rank, sessionNeighbourScores, type RankInput, type SourceName } from './rank.js';
export { Recommender, type RecommenderOptions } from './recommender.js';
export { MemoryRecsStore } from './memory.store.js';
export {
  buildRecommender,
  casesOf,
  catalogueOf,
  evaluateCases,
  evaluateRecs,
  metricsOf,
  parseCases,
  parseSessions,
  sessionEvents,
  SESSION_SPACING_MS,
  type EvaluateOptions,
  type EvaluateResult,
  type RecsMetrics,
  type RecentEpochOptions,
  type SequenceHook,
  type SequenceTrainRequest,
  type TestCase,
  type TuningStep,
} from './evaluate.js';
export { RedisRecsStore } from './redis.store.js';
