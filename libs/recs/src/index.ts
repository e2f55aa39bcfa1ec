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
