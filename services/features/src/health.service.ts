import type { RedisClient } from '@clickwise/redis';
import type { FeaturesRuntime, KafkaConnection } from './features.runtime.js';

/** Readiness: the consumers run, Redis answers, the producer is healthy. */
export class HealthService {
  draining = false;

  constructor(
    private readonly runtime: FeaturesRuntime,
    private readonly redis: RedisClient,
    private readonly connection: KafkaConnection,
  ) {}

  async readiness(): Promise<{ ready: boolean; consumers: boolean; redis: boolean; kafka: boolean; draining: boolean }> {
    let redis: boolean;
    try {
      redis = (await this.redis.ping()) === 'PONG';
    } catch {
      redis = false;
    }
    const consumers = this.runtime.running;
    const kafka = this.connection.producer.healthy;
    return { ready: consumers && redis && kafka && !this.draining, consumers, redis, kafka, draining: this.draining };
  }
}
