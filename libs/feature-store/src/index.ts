export {
  eraseShopperState,
  RedisFeatureExecutor,
  SharedBatch,
  type CommitResult,
  type EventOutcome,
  type ExecutorOptions,
  type NamedValue,
  type OpenedPartition,
  type PendingOutbox,
  type PreparedBatch,
  type StoredPosition,
} from './executor.js';
export { featureTtlSeconds } from './ttl.js';
export { FeatureReader, type FeatureRequest, type FeatureSnapshot, type ReadFeature } from './reader.js';
export { APPLY_BATCH_LUA, CLEAR_OUTBOX_LUA } from './scripts.js';
