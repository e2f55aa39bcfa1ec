import { allTopics, type TopicSpec } from '@clickwise/contracts';
import { randomUUID } from 'node:crypto';
import type { DescMessage } from '@bufbuild/protobuf';
import type { AdapterAdmin, ClientAdapter } from './adapter.js';
import { decodeRecord, type ConsumedRecord } from './consumer.js';
import type { Topic } from './topic.js';

const isRetriableKafkaError = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));

/** Calls `fn` until it succeeds, retrying errors Kafka marks retriable (a settling broker) until `deadline`. */
async function retrying<T>(fn: () => Promise<T>, deadline: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isRetriableKafkaError(error) || Date.now() > deadline) throw error;
      await pause(attempt);
    }
  }
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

export interface PartitionRange {
  partition: number;
  /** First offset in the log. */
  low: bigint;
  /** End offset (high watermark): the offset the next record gets. */
  high: bigint;
}

export interface PartitionLag {
  partition: number;
  /** The group's committed offset (null: none committed). */
  committed: bigint | null;
  end: bigint;
  /** Records after the committed offset (after the log's start when none is committed). */
  lag: bigint;
}

export interface TopicSummary {
  name: string;
  partitions: number;
  messages: number;
}

/**
 * Admin helpers under one platform's topic prefix. Each call opens and closes its own admin
 * connection, except `probe`, which keeps one for readiness checks (closed by `close`).
 */
export class KafkaAdmin {
  private probeAdmin: AdapterAdmin | undefined;

  /** Built by KafkaPlatform. */
  constructor(
    private readonly adapter: ClientAdapter,
    private readonly prefix: string,
  ) {}

  private async with<T>(fn: (admin: AdapterAdmin) => Promise<T>): Promise<T> {
    const admin = this.adapter.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Creates the catalogue topics that are missing (all of them by default), with their partitions
   * and configs, and waits until every partition has a leader that answers. Existing topics are
   * left as they are (their data is kept). A broker that is still settling (metadata not yet
   * propagated, leaders being elected) is retried for up to `timeoutMs`.
   */
  ensureTopics(specs: readonly TopicSpec[] = allTopics, options: { replicationFactor?: number; timeoutMs?: number } = {}): Promise<EnsureTopicsResult> {
    const names = specs.map((spec) => this.prefix + spec.name);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const created = new Set<string>();
    let existing: string[] | undefined;
    return this.with(async (admin) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const present = new Set(await admin.listTopics());
          existing ??= names.filter((name) => present.has(name));
          const missing = specs.filter((spec) => !present.has(this.prefix + spec.name));
          if (missing.length > 0) {
            await admin.createTopics(
              missing.map((spec) => ({
                topic: this.prefix + spec.name,
                numPartitions: spec.partitions,
                replicationFactor: options.replicationFactor ?? 1,
                configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
              })),
            );
            for (const spec of missing) created.add(this.prefix + spec.name);
          }
          const leaders = await admin.leaders(names);
          const leaderless = leaders.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
          if (leaderless.length === 0) {
            // A leader in the metadata may not serve its partitions yet: wait until offsets answer.
            for (const name of names) await retrying(() => admin.topicOffsets(name), deadline);
            return { created: [...created], existing };
          }
          throw Object.assign(new Error(`no leader yet for ${leaderless.map((t) => t.name).join(', ')}`), { retriable: true });
        } catch (error) {
          if (!isRetriableKafkaError(error) || Date.now() > deadline) throw error;
          await pause(attempt);
        }
      }
    });
  }

  /** Partition count and records (end minus start, summed) of the catalogue topics that exist. */
  describeTopics(specs: readonly TopicSpec[] = allTopics): Promise<TopicSummary[]> {
    return this.with(async (admin) => {
      const present = new Set(await admin.listTopics());
      const out: TopicSummary[] = [];
      for (const spec of specs) {
        const name = this.prefix + spec.name;
        if (!present.has(name)) continue;
        const offsets = await admin.topicOffsets(name);
        out.push({ name, partitions: offsets.length, messages: offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0) });
      }
      return out;
    });
  }

  /** First and end offset per partition, in partition order (a settling broker is retried up to `timeoutMs`). */
  offsets(topic: Topic, options: { timeoutMs?: number } = {}): Promise<PartitionRange[]> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    return this.with(async (admin) =>
      (await retrying(() => admin.topicOffsets(topic.name), deadline))
        .map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }))
        .sort((a, b) => a.partition - b.partition),
    );
  }

  /** End offset (high watermark) per partition. */
  async endOffsets(topic: Topic): Promise<Map<number, bigint>> {
    return new Map((await this.offsets(topic)).map((o) => [o.partition, o.high]));
  }

  /** Records in the topic now (end minus start, summed over partitions). */
  async recordCount(topic: Topic): Promise<number> {
    return (await this.offsets(topic)).reduce((sum, o) => sum + Number(o.high - o.low), 0);
  }

  /** The first offset at or after `timestampMs` per partition (the end offset where none is). */
  offsetsAt(topic: Topic, timestampMs: number): Promise<Map<number, bigint>> {
    return this.with(async (admin) => new Map((await admin.offsetsAt(topic.name, timestampMs)).map((o) => [o.partition, BigInt(o.offset)])));
  }

  /** A group's committed offset per partition of `topic` (null where none was committed). */
  committedOffsets(groupId: string, topic: Topic): Promise<Map<number, bigint | null>> {
    return this.with(async (admin) => {
      const offsets = await admin.groupOffsets(groupId, topic.name);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.offset) < 0n ? null : BigInt(o.offset)]));
    });
  }

  /** A group's lag per partition of `topic` and in total (0: it committed up to the end of every partition). */
  async groupLag(groupId: string, topic: Topic): Promise<{ total: bigint; partitions: PartitionLag[] }> {
    const [ranges, committed] = await Promise.all([this.offsets(topic), this.committedOffsets(groupId, topic)]);
    const partitions = ranges.map((r) => {
      const c = committed.get(r.partition) ?? null;
      const from = c ?? r.low;
      return { partition: r.partition, committed: c, end: r.high, lag: r.high > from ? r.high - from : 0n };
    });
    return { total: partitions.reduce((sum, p) => sum + p.lag, 0n), partitions };
  }

  /**
   * Every record of `topic` from the beginning to the end it had when the call started, decoded,
   * each partition in offset order (the partitions one after another). For replays that rebuild
   * state or training sets from the log. Uses a throw-away consumer group. With `sinceMs`, each
   * partition starts at its first record whose timestamp is at or after it (found by timestamp).
   * With `fromOffsets` / `untilOffsets`, the partitions named start at that offset and stop before
   * that one (capped at the end); partitions `untilOffsets` leaves out are not read at all when it
   * is given (model artifacts are read back by their offset range this way).
   */
  async readTopic<S extends DescMessage>(
    topic: Topic<S>,
    options: { timeoutMs?: number; sinceMs?: number; fromOffsets?: ReadonlyMap<number, bigint>; untilOffsets?: ReadonlyMap<number, bigint> } = {},
  ): Promise<ConsumedRecord<S>[]> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const ends = new Map((await this.offsets(topic, { timeoutMs })).map((o) => [o.partition, o.high] as const));
    if (options.untilOffsets) {
      const until = options.untilOffsets;
      for (const [partition, end] of ends) {
        const stop = until.get(partition) ?? 0n;
        ends.set(partition, stop < end ? stop : end);
      }
    }
    const starts = new Map<number, bigint>();
    if (options.sinceMs !== undefined) {
      for (const [partition, offset] of await this.offsetsAt(topic, options.sinceMs)) {
        const end = ends.get(partition) ?? 0n;
        // -1: no record at or after the time: nothing to read in that partition.
        starts.set(partition, offset < 0n || offset > end ? end : offset);
      }
    }
    for (const [partition, offset] of options.fromOffsets ?? []) {
      const start = starts.get(partition) ?? 0n;
      if (offset > start) starts.set(partition, offset);
    }
    const out: ConsumedRecord<S>[] = [];
    if ([...ends].every(([p, end]) => end <= (starts.get(p) ?? 0n))) return out;
    const consumer = this.adapter.consumer({
      groupId: `read-${topic.name}-${randomUUID()}`,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 20_000,
      maxWaitTimeMs: 50,
    });
    const next = new Map<number, bigint>(starts);
    const complete = () => [...ends].every(([p, end]) => (next.get(p) ?? 0n) >= end);
    await consumer.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.subscribe(topic.name, true);
      const done = new Promise<void>((resolve, reject) => {
        consumer
          .run({
            partitionsConsumedConcurrently: 1,
            eachBatch: (context) => {
              const { batch } = context;
              const end = ends.get(batch.partition) ?? 0n;
              // Below the start, or read already (a fetch from before the seek landed covers the same offsets).
              const start = next.get(batch.partition) ?? 0n;
              for (const m of batch.messages) {
                if (BigInt(m.offset) < start) continue;
                if (BigInt(m.offset) >= end) break;
                out.push(decodeRecord(topic.spec.value, m, batch.topic, batch.partition));
                next.set(batch.partition, BigInt(m.offset) + 1n);
              }
              const last = batch.messages.at(-1);
              if (last) context.resolveOffset(last.offset);
              // Compacted or deleted ranges: the batch's last offset still says how far the log went.
              if (BigInt(batch.lastOffset()) + 1n >= end) next.set(batch.partition, end);
              if (complete()) resolve();
              return Promise.resolve();
            },
          })
          .catch(reject);
        // Fetches before the seek lands are skipped above (offsets below the start).
        for (const [partition, offset] of starts) if (offset > 0n) consumer.seek(topic.name, partition, String(offset));
      });
      await Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${topic.name} took over ${timeoutMs} ms`)), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
      await consumer.disconnect();
    }
    return out.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  }

  /** Deletes every topic whose name starts with this platform's prefix (tests and benchmarks; refuses an empty prefix). */
  deletePrefixedTopics(): Promise<string[]> {
    if (this.prefix === '') return Promise.reject(new Error('refusing to delete topics without a prefix'));
    return this.with(async (admin) => {
      const mine = (await admin.listTopics()).filter((name) => name.startsWith(this.prefix));
      if (mine.length > 0) await admin.deleteTopics(mine);
      return mine;
    });
  }

  /** Whether a broker answers a metadata request within `timeoutMs` (keeps one connection for the next probe). */
  async probe(timeoutMs = 2000): Promise<boolean> {
    try {
      if (!this.probeAdmin) {
        this.probeAdmin = this.adapter.admin();
        await withTimeout(this.probeAdmin.connect(), timeoutMs);
      }
      await withTimeout(this.probeAdmin.describeCluster(), timeoutMs);
      return true;
    } catch {
      const admin = this.probeAdmin;
      this.probeAdmin = undefined;
      await admin?.disconnect().catch(() => undefined);
      return false;
    }
  }

  async close(): Promise<void> {
    const admin = this.probeAdmin;
    this.probeAdmin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
