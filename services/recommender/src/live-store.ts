import type { RecsStore } from '@clickwise/recs';
import type { RedisClient } from '@clickwise/redis';
import type { RecommenderConfig } from './config.js';

/** The live index the service keeps: libs/recs' Redis store under the service's key prefix. */
export function liveStore(redis: RedisClient, config: Pick<RecommenderConfig, 'redisKeyPrefix'>): RecsStore {
  void redis;
  void config;
  throw new Error('libs/recs has no Redis store yet');
}
