import type { TopicSpec } from '@clickwise/contracts';
import type { Kafka } from 'kafkajs';

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

/**
 * Creates the catalogue topics that are missing, with their partitions and configs. Existing
 * topics are left as they are (their data is kept).
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: readonly TopicSpec[],
  options: { replicationFactor?: number; prefix?: string } = {},
): Promise<EnsureTopicsResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const prefix = options.prefix ?? '';
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !present.has(prefix + spec.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: prefix + spec.name,
          numPartitions: spec.partitions,
          replicationFactor: options.replicationFactor ?? 1,
          configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    return {
      created: missing.map((spec) => prefix + spec.name),
      existing: specs.filter((spec) => present.has(prefix + spec.name)).map((spec) => prefix + spec.name),
    };
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
