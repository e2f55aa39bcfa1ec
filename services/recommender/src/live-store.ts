import { MemoryRecsStore, type RecsStore } from '@clickwise/recs';
import type { RedisClient } from '@clickwise/redis';
import type { RecommenderConfig } from './config.js';

/**
 * The live index the service keeps. STAND-IN: libs/recs' Redis store (its redis.store.ts) is not on
 * the recs-core branch yet, so this is libs/recs' in-memory store, which mirrors it step for step —
 * correct for one replica, lost on restart. The Redis store replaces it here, in one line.
 */
export function liveStore(redis: RedisClient, config: Pick<RecommenderConfig, 'redisKeyPrefix'>): RecsStore {
  void redis;
  void config;
  return new MemoryRecsStore();
}
