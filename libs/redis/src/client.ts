import { Redis } from 'ioredis';

export { Redis as RedisClient } from 'ioredis';

export interface RedisOptions {
  /** Shown in CLIENT LIST. */
  connectionName?: string;
  /** Fail a command that got no answer after this long (ms); default 2000. */
  commandTimeoutMs?: number;
  /** Do not connect until the first command. */
  lazyConnect?: boolean;
}

/**
 * The one way the platform opens Redis. Commands issued in the same tick share a round trip
 * (auto-pipelining); a command fails after `commandTimeoutMs` instead of waiting forever while
 * Redis is down, and the client reconnects by itself with capped backoff.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: options.connectionName,
    lazyConnect: options.lazyConnect ?? false,
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
}
