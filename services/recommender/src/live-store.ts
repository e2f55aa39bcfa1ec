import { RedisRecsStore, type RecsStore } from '@clickwise/recs';
import type { RedisClient } from '@clickwise/redis';
import type { RecommenderConfig } from './config.js';

/**
 * The live index the service keeps: libs/recs' Redis store (one Lua script per event batch, per
 * request, per erasure) under the service's key prefix (REDIS_KEY_PREFIX; keys in libs/redis
 * RecsKeys). Every replica reads and writes the same index, so a click indexed by one replica is in
 * the next answer of any replica.
 */
export function liveStore(redis: RedisClient, config: Pick<RecommenderConfig, 'redisKeyPrefix'>): RecsStore {
  return new RedisRecsStore(redis, config.redisKeyPrefix);
}
