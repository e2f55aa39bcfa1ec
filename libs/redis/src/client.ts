import { Redis } from 'ioredis';

export { Redis as RedisClient } from 'ioredis';

export interface RedisOptions {
  /** Shown in CLIENT LIST. */
  connectionName?: string;
  /** Fail a command that got no answer after this long (ms); default 2000. */
  commandTimeoutMs?: number;
  /** Do not connect until the first command. */
  lazyConnect?: boolean;
  /**
   * Commands issued in one tick share a write (ioredis' auto-pipelining); default true. Off, each
   * command is written as it is issued: cheaper for a client whose commands are few and large
   * (one script per call) than building a pipeline per tick.
   */
  autoPipelining?: boolean;
}

/**
 * The one way the platform opens Redis. Commands issued in the same tick share a round trip
 * (auto-pipelining, unless turned off); a command fails after `commandTimeoutMs` instead of waiting forever while
 * Redis is down, and the client reconnects by itself with capped backoff.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: options.connectionName,
    lazyConnect: options.lazyConnect ?? false,
    enableAutoPipelining: options.autoPipelining ?? true,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
  });
}
