export { createRedis, RedisClient, type RedisOptions } from './client.js';
export { RedisKeys } from './keys.js';
