import type { KafkaPlatform, Topic } from '@clickwise/kafka';

/** Committed offset per partition of `topic` for `groupId` (-1 where nothing was committed). */
export async function committedOffsets(kafka: KafkaPlatform, groupId: string, topic: Topic): Promise<Map<number, number>> {
  return new Map([...(await kafka.admin.committedOffsets(groupId, topic))].map(([p, offset]) => [p, offset === null ? -1 : Number(offset)]));
}

/** End offset (high watermark) per partition of `topic`. */
export async function endOffsets(kafka: KafkaPlatform, topic: Topic): Promise<Map<number, number>> {
  return new Map([...(await kafka.admin.endOffsets(topic))].map(([p, end]) => [p, Number(end)]));
}

/** Whether `groupId` committed every partition of `topic` up to its end (partitions that are empty need no commit). */
export async function fullyCommitted(kafka: KafkaPlatform, groupId: string, topic: Topic): Promise<boolean> {
  return (await kafka.admin.groupLag(groupId, topic)).total === 0n;
}
