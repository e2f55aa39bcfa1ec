import type { RedisClient } from '@clickwise/redis';
import { type KafkaConnection } from './kafka.connection.js';
import { log } from './log.js';

export interface Readiness {
  ready: boolean;
  kafka: boolean;
  redis: boolean;
  draining: boolean;
  /** Dedupe ids whole (not lost with Redis, or rebuilt: ADR 0024). */
  dedupe: boolean;
  /** When the dependencies were last checked (unix ms). */
  checkedAtMs: number;
}

/**
 * Readiness from periodic probes of Kafka (a metadata request) and Redis (PING), so a readiness
 * request never waits on a dead dependency. Draining (shutdown) makes the service unready at once.
 */
export class HealthService {
  private state: Readiness = { ready: false, kafka: false, redis: false, draining: false, dedupe: false, checkedAtMs: 0 };
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((ready: boolean) => void)[] = [];
  private probing = false;

  constructor(
    private readonly kafka: KafkaConnection,
    private readonly redis: RedisClient,
    private readonly dedupe: { readonly intact: boolean } = { intact: true },
    private readonly intervalMs = 1000,
  ) {}

  get readiness(): Readiness {
    return this.state;
  }

  /** Called with the new readiness whenever it changes (gRPC health follows it). */
  onChange(listener: (ready: boolean) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  drain(): void {
    this.update({ ...this.state, draining: true });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const [kafka, redis] = await Promise.all([this.kafka.probe(), this.pingRedis()]);
      this.update({ ...this.state, kafka, redis, dedupe: this.dedupe.intact, checkedAtMs: Date.now() });
    } finally {
      this.probing = false;
    }
  }

  private async pingRedis(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  private update(next: Omit<Readiness, 'ready'>): void {
    const ready = next.kafka && next.redis && next.dedupe && !next.draining;
    const before = this.state;
    this.state = { ...next, ready };
    if (before.kafka !== next.kafka || before.redis !== next.redis || before.dedupe !== next.dedupe || before.ready !== ready) {
      log(ready ? 'info' : 'warn', 'readiness changed', { ready, kafka: next.kafka, redis: next.redis, dedupe: next.dedupe, draining: next.draining });
    }
    if (before.ready !== ready) for (const listener of this.listeners) listener(ready);
  }
}
