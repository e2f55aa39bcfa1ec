import { UnavailableError } from '@clickwise/errors';
import type { KafkaPlatform } from '@clickwise/kafka';
import { log } from '@clickwise/service';
import { DedupeStore, type ClaimStatus } from './ingestion.ports.js';
import { DedupeStateLostError, type RedisDedupeStore } from './dedupe.store.js';

/** Where the events topic is read back from (libs/kafka's `admin.readTopic`). */
export interface EventsSource {
  /** Each record's event id and Kafka timestamp (the events topic uses LogAppendTime) since `sinceMs`. */
  readSince(sinceMs: number): Promise<{ eventId: string; timestampMs: number }[]>;
}

/** The events topic through libs/kafka. */
export function kafkaEventsSource(kafka: KafkaPlatform): EventsSource {
  return {
    async readSince(sinceMs) {
      const records = await kafka.admin.readTopic(kafka.topics.events, { sinceMs });
      return records.map((r) => ({ eventId: r.value.eventId, timestampMs: r.timestampMs }));
    },
  };
}

export type DedupeState = 'unknown' | 'intact' | 'rebuilding';

/** What the guard needs of the Redis store (RedisDedupeStore; plain fakes in unit tests). */
export type GuardedStore = Pick<RedisDedupeStore, 'ttl' | 'layout' | 'claim' | 'commit' | 'release' | 'restore' | 'readSentinel' | 'writeSentinel' | 'serverRunId'>;

export interface DedupeGuardOptions {
  /** How often the sentinel and the Redis run id are checked (ms). */
  checkIntervalMs?: number;
  /** Most time a rebuild waits for requests still writing (their claims are in the lost state). */
  drainTimeoutMs: number;
  /** Ids restored per Redis call. */
  chunk?: number;
}

/**
 * Keeps the dedupe ids whole across a Redis that lost them (ADR 0024). Redis holds a sentinel
 * beside the ids; the claim script refuses to claim without it, and the sentinel names the Redis
 * run it was written in. When the sentinel is missing (flushed, restarted empty) or from another
 * run (restarted: a persisted file may miss the last second of writes), claims are refused with
 * 503 + Retry-After while the ids are rebuilt from Kafka: every record of the events topic written
 * within the dedupe TTL, found by timestamp, is remembered again for what is left of its TTL; then
 * the sentinel is written and claims resume. Checked at start, every second, on a dropped Redis
 * connection and whenever a claim finds the sentinel gone.
 */
export class DedupeGuard extends DedupeStore {
  private current: DedupeState = 'unknown';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Ids claimed `new` and not yet committed or released (writes that may still land on Kafka). */
  private pending = 0;
  private readonly idle: (() => void)[] = [];
  /** The last rebuild, for logs and tests. */
  lastRebuild: { restored: number; tookMs: number; reason: string } | undefined;

  constructor(
    private readonly store: GuardedStore,
    private readonly events: EventsSource,
    connection: { on(event: 'close', listener: () => void): unknown },
    private readonly options: DedupeGuardOptions,
  ) {
    super();
    // A dropped connection may mean a restarted Redis: stop claiming until the next check says otherwise.
    connection.on('close', () => {
      if (this.current === 'intact') this.current = 'unknown';
    });
  }

  /** Whether claims are taken (readiness follows it). */
  get intact(): boolean {
    return this.current === 'intact';
  }

  get state(): DedupeState {
    return this.current;
  }

  /**
   * Checks (and rebuilds if needed) now and every `checkIntervalMs`, without waiting: the service
   * serves meanwhile, unready, answering claims 503 + Retry-After. Resolves after the first check.
   */
  start(): Promise<void> {
    const first = this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs ?? 1000);
    this.timer.unref();
    return first;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Verifies the sentinel; rebuilds when it is missing or from another Redis run. One at a time. */
  check(): Promise<void> {
    this.running ??= this.verify().finally(() => (this.running = undefined));
    return this.running;
  }

  async claim(eventIds: readonly string[], token: string): Promise<ClaimStatus[]> {
    if (this.current !== 'intact') {
      void this.check();
      throw this.unavailable();
    }
    let statuses: ClaimStatus[];
    try {
      statuses = await this.store.claim(eventIds, token);
    } catch (error) {
      if (error instanceof DedupeStateLostError) {
        this.current = 'unknown';
        void this.check();
        throw this.unavailable();
      }
      throw error;
    }
    for (const s of statuses) if (s === 'new') this.pending++;
    return statuses;
  }

  async commit(eventIds: readonly string[]): Promise<void> {
    try {
      await this.store.commit(eventIds);
    } finally {
      this.settled(eventIds.length);
    }
  }

  async release(eventIds: readonly string[], token: string): Promise<void> {
    try {
      await this.store.release(eventIds, token);
    } finally {
      this.settled(eventIds.length);
    }
  }

  private settled(n: number): void {
    this.pending = Math.max(0, this.pending - n);
    if (this.pending === 0) for (const w of this.idle.splice(0)) w();
  }

  private unavailable(): UnavailableError {
    return new UnavailableError('ingestion is rebuilding its dedupe state from Kafka (Redis lost it); send the same events again after Retry-After', 1000);
  }

  private async verify(): Promise<void> {
    let reason: string | undefined;
    try {
      const [sentinel, runId] = await Promise.all([this.store.readSentinel(), this.store.serverRunId()]);
      if (!sentinel) reason = 'the dedupe sentinel is missing (Redis flushed or started empty)';
      else if (sentinel.redisRunId !== runId) reason = `Redis restarted (run ${runId.slice(0, 8)}, sentinel from run ${sentinel.redisRunId.slice(0, 8)})`;
      // Another TTL (so generation length) or the per-id keys of before ADR 0028: the ids are elsewhere.
      else if (sentinel.layout !== this.store.layout) reason = `the dedupe layout changed (${sentinel.layout ?? 'one key per id'} → ${this.store.layout})`;
      if (!reason) {
        this.current = 'intact';
        return;
      }
      await this.rebuild(reason, runId);
    } catch (error) {
      // Redis or Kafka not answering: stay closed, the next check tries again.
      if (this.current === 'rebuilding') this.current = 'unknown';
      log('warn', 'dedupe state not verified; claims refused until it is', { error: String(error), reason });
    }
  }

  private async rebuild(reason: string, runId: string): Promise<void> {
    this.current = 'rebuilding';
    log('warn', 'rebuilding the dedupe ids from Kafka; claims refused until done', { reason });
    const started = Date.now();
    // Writes that claimed in the lost state may still land on Kafka: read only after they did.
    if (this.pending > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idle.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.drainTimeoutMs))),
      ]).finally(() => clearTimeout(timer));
    }
    const ttlMs = this.store.ttl;
    const records = await this.events.readSince(Date.now() - ttlMs);
    const now = Date.now();
    const chunk = this.options.chunk ?? 5000;
    let restored = 0;
    for (let i = 0; i < records.length; i += chunk) {
      restored += await this.store.restore(records.slice(i, i + chunk).map((r) => ({ eventId: r.eventId, ttlMs: r.timestampMs + ttlMs - now })));
    }
    const tookMs = Date.now() - started;
    await this.store.writeSentinel({ redisRunId: runId, layout: this.store.layout, rebuiltAtMs: Date.now(), restored, tookMs });
    this.lastRebuild = { restored, tookMs, reason };
    this.current = 'intact';
    log('info', 'dedupe ids rebuilt from Kafka', { restored, read: records.length, tookMs, reason });
  }
}
