import { RedisRecsStore, type RecsStore } from '@clickwise/recs';
import type { RedisClient } from '@clickwise/redis';
import type { RecommenderConfig } from './config.js';

/**
 * The live index the service keeps: libs/recs' Redis store (one Lua script per event batch, per
 * erasure; per request one O(1) session script, item neighbourhoods from the process's cache,
 * ADR 0100) under the service's key prefix (REDIS_KEY_PREFIX; keys in libs/redis RecsKeys). Every
 * replica reads and writes the same index, so a click indexed by one replica is in the next answer
 * of any replica (its own session is never cached).
 */
export function liveStore(redis: RedisClient, config: Pick<RecommenderConfig, 'redisKeyPrefix' | 'indexCacheStaleMs' | 'indexCacheItems'>): RecsStore {
  return new RedisRecsStore(redis, config.redisKeyPrefix, { maxStaleMs: config.indexCacheStaleMs, maxEntries: config.indexCacheItems });
}
