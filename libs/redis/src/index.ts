export { createRedis, RedisClient, type RedisOptions } from './client.js';
export { FeatureKeys } from './feature-keys.js';
export { RecsKeys } from './recs-keys.js';
export { RedisKeys } from './keys.js';
