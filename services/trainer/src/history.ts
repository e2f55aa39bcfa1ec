import type { EventSchema } from '@clickwise/contracts';
import type { ConsumedRecord, KafkaPlatform, PartitionRange } from '@clickwise/kafka';
import type { EventHistory, HistoryRange } from './job.js';

/** Where the events topic's log is now: its ranges and where a history from `sinceMs` would start. */
export async function captureHistory(kafka: KafkaPlatform, options: { sinceMs?: number; timeoutMs: number }): Promise<KafkaEventHistory> {
  const topic = kafka.topics.events;
  const offsets: PartitionRange[] = await kafka.admin.offsets(topic);
  const starts = new Map(offsets.map((o) => [o.partition, o.low]));
  if (options.sinceMs !== undefined) {
    for (const [partition, offset] of await kafka.admin.offsetsAt(topic, options.sinceMs)) {
      const range = offsets.find((o) => o.partition === partition);
      if (!range) continue;
      // -1 or the end: no record at or after the time.
      const start = offset < 0n || offset > range.high ? range.high : offset;
      starts.set(partition, start > range.low ? start : range.low);
    }
  }
  const ranges = offsets.map((o) => ({ partition: o.partition, from: starts.get(o.partition) ?? o.low, until: o.high }));
  return new KafkaEventHistory(kafka, ranges, options);
}

/**
 * clickstream.events.v1 between captured offsets, read once (lazily) with KafkaAdmin.readTopic
 * from the captured starts until the captured ends, so records appended after the run started are
 * neither read nor trained on.
 */
export class KafkaEventHistory implements EventHistory {
  readonly topic: string;
  readonly size: number;
  private loaded: Promise<ConsumedRecord<typeof EventSchema>[]> | undefined;

  constructor(
    private readonly kafka: KafkaPlatform,
    readonly ranges: readonly HistoryRange[],
    private readonly options: { sinceMs?: number; timeoutMs: number },
  ) {
    this.topic = kafka.topics.events.name;
    this.size = ranges.reduce((sum, r) => sum + Number(r.until > r.from ? r.until - r.from : 0n), 0);
  }

  /** End offset per partition. */
  get ends(): Map<number, bigint> {
    return new Map(this.ranges.map((r) => [r.partition, r.until]));
  }

  records(): Promise<readonly ConsumedRecord<typeof EventSchema>[]> {
    this.loaded ??= this.read();
    return this.loaded;
  }

  private async read(): Promise<ConsumedRecord<typeof EventSchema>[]> {
    if (this.size === 0) return [];
    const bounds = new Map(this.ranges.map((r) => [r.partition, r]));
    const all = await this.kafka.admin.readTopic(this.kafka.topics.events, {
      timeoutMs: this.options.timeoutMs,
      fromOffsets: new Map(this.ranges.map((r) => [r.partition, r.from])),
      untilOffsets: this.ends,
    });
    // readTopic keeps to the bounds; this states the contract where the jobs rely on it.
    return all.filter((r) => {
      const range = bounds.get(r.partition);
      const offset = BigInt(r.offset);
      return range !== undefined && offset >= range.from && offset < range.until;
    });
  }
}
