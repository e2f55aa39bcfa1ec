import type { TopicSpec } from '@clickwise/contracts';
import type { Kafka } from 'kafkajs';

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
        if (leaderless.length === 0) break;
        throw Object.assign(new Error(`no leader yet for ${leaderless.map((t) => t.name).join(', ')}`), { retriable: true });
      } catch (error) {
        const retriable = typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
        if (!retriable || Date.now() > deadline) throw error;
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
