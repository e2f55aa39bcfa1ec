import { repoRoot } from '@clickwise/local-infra';
import { join } from 'node:path';

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw new Error(`${name} must be a port number, got "${raw}"`);
  }
  return value;
}

/** Where things are and which ports the local platform uses (env overrides). */
export const settings = {
  root: repoRoot(),
  /** State folder (Kafka and Redis data, pids, logs, the replay key): CLICKWISE_STATE_DIR moves it. */
  get state() {
    return process.env.CLICKWISE_STATE_DIR || join(this.root, '.clickwise');
  },
  /** Ports of the platform `up` runs. */
  kafkaPort: int('KAFKA_PORT', 9092),
  redisPort: int('REDIS_PORT', 6379),
  /** Ports of the test suite's own Kafka and Redis, apart from `up`'s so both can run. */
  testKafkaPort: int('TEST_KAFKA_PORT', 19092),
  testRedisPort: int('TEST_REDIS_PORT', 16379),
};
