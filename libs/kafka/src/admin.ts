import type { TopicSpec } from '@clickwise/contracts';
import { randomUUID } from 'node:crypto';
import type { DescMessage } from '@bufbuild/protobuf';
import type { Kafka } from 'kafkajs';
import { decodeRecord, type ConsumedRecord } from './consumer.js';

const isRetriableKafkaError = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;

/** Calls `fn` until it succeeds, retrying errors Kafka marks retriable (a settling broker) until `deadline`. */
async function retrying<T>(fn: () => Promise<T>, deadline: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isRetriableKafkaError(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));
    }
  }
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

/**
 * Creates the catalogue topics that are missing, with their partitions and configs, and waits until
 * every partition has a leader. Existing topics are left as they are (their data is kept). A broker
 * that is still settling (metadata not yet propagated, leaders being elected) is retried for up to
 * `timeoutMs`.
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  options: { replicationFactor?: number; prefix?: string; timeoutMs?: number } = {},
): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  await admin.connect();
  const prefix = options.prefix ?? '';
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const created = new Set<string>();
  let existing: string[] | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const present = new Set(await admin.listTopics());
        existing ??= specs.filter((spec) => present.has(prefix + spec.name)).map((spec) => prefix + spec.name);
        const missing = specs.filter((spec) => !present.has(prefix + spec.name));
        if (missing.length > 0) {
          await admin.createTopics({
            waitForLeaders: false,
            topics: missing.map((spec) => ({
              topic: prefix + spec.name,
              numPartitions: spec.partitions,
              replicationFactor: options.replicationFactor ?? 1,
              configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
            })),
          });
          for (const spec of missing) created.add(prefix + spec.name);
        }
        const metadata = await admin.fetchTopicMetadata({ topics: specs.map((spec) => prefix + spec.name) });
        const leaderless = metadata.topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
        if (leaderless.length === 0) {
          // A leader in the metadata may not serve its partitions yet: wait until offsets answer.
          for (const spec of specs) await retrying(() => admin.fetchTopicOffsets(prefix + spec.name), deadline);
          break;
        }
        throw Object.assign(new Error(`no leader yet for ${leaderless.map((t) => t.name).join(', ')}`), { retriable: true });
      } catch (error) {
        if (!isRetriableKafkaError(error) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));
      }
    }
    return { created: [...created], existing: existing ?? [] };
  } finally {
    await admin.disconnect();
  }
}

/** Topic name → partition count and end offsets summed, for status pages. */
export async function describeTopics(
  kafka: Kafka,
  names: readonly string[],
): Promise<{ name: string; partitions: number; messages: number }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const out: { name: string; partitions: number; messages: number }[] = [];
    for (const name of names) {
      if (!present.has(name)) continue;
      const offsets = await admin.fetchTopicOffsets(name);
      const messages = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      out.push({ name, partitions: offsets.length, messages });
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every record of `topic` from the beginning to the end it had when the call started, decoded with
 * `schema`, each partition in offset order (the partitions one after another). For replays that
 * rebuild state or training sets from the log. Uses a throw-away consumer group. With `sinceMs`,
 * each partition starts at its first record whose timestamp is at or after it (found by timestamp).
 */
export async function readTopic<S extends DescMessage>(
  kafka: Kafka,
  topic: string,
  schema: S,
  options: { timeoutMs?: number; sinceMs?: number } = {},
): Promise<ConsumedRecord<S>[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  const starts = new Map<number, bigint>();
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    const offsets = await retrying(() => admin.fetchTopicOffsets(topic), deadline);
    ends = new Map(offsets.map((p) => [p.partition, BigInt(p.high)] as const));
    if (options.sinceMs !== undefined) {
      const since = options.sinceMs;
      for (const p of await retrying(() => admin.fetchTopicOffsetsByTimestamp(topic, since), deadline)) {
        const end = ends.get(p.partition) ?? 0n;
        const start = BigInt(p.offset);
        starts.set(p.partition, start < 0n || start > end ? end : start);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const out: ConsumedRecord<S>[] = [];
  if ([...ends].every(([p, end]) => end <= (starts.get(p) ?? 0n))) return out;
  const consumer = kafka.consumer({ groupId: `read-${topic}-${randomUUID()}`, maxWaitTimeInMs: 50 });
  const next = new Map<number, bigint>(starts);
  const complete = () => [...ends].every(([p, end]) => (next.get(p) ?? 0n) >= end);
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            const start = starts.get(batch.partition) ?? 0n;
            for (const m of batch.messages) {
              if (BigInt(m.offset) < start) continue;
              if (BigInt(m.offset) >= end) break;
              out.push(decodeRecord(schema, m, batch.topic, batch.partition));
              next.set(batch.partition, BigInt(m.offset) + 1n);
            }
            // Compacted or deleted ranges: the batch's last offset still says how far the log went.
            const last = batch.lastOffset();
            if (BigInt(last) + 1n >= end) next.set(batch.partition, end);
            if (complete()) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
      // Fetches before the seek lands are skipped above (offsets below the start).
      for (const [partition, offset] of starts) if (offset > 0n) consumer.seek({ topic, partition, offset: String(offset) });
    });
    const timeoutMs = options.timeoutMs ?? 120_000;
    await Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${topic} took over ${timeoutMs} ms`)), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
}
