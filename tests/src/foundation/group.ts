import type { Kafka } from 'kafkajs';

/** Committed offset per partition of `topic` for `groupId` (-1 where nothing was committed). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** End offset (high watermark) per partition of `topic`. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Whether `groupId` committed every partition of `topic` up to its end (partitions that are empty need no commit). */
export async function fullyCommitted(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const [committed, ends] = await Promise.all([committedOffsets(kafka, groupId, topic), endOffsets(kafka, topic)]);
  for (const [partition, end] of ends) {
    if (end === 0) continue;
    if (committed.get(partition) !== end) return false;
  }
  return true;
}
