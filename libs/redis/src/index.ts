export { createRedis, type RedisClient, type RedisOptions } from './client.js';
export { RedisKeys } from './keys.js';
