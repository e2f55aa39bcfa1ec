import type { FeatureUpdateSchema } from '@clickwise/contracts';
import type { ExternalOffsetsConsumer, KafkaPlatform, KafkaProducer } from '@clickwise/kafka';
import { log } from '@clickwise/service';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FeatureCache } from './feature-cache.js';
import { FETCH_MAX_WAIT_MS } from './prediction.runtime.js';

/**
 * Follows all of features.updated.v1 in a group of this replica's own (STYLE.md: readers every
 * replica needs) and drops the cached snapshots each notice may have changed (ADR 0075). It takes
 * the topic's end offsets first, then enables the cache, then reads from exactly those offsets
 * (positions kept in memory, so a rebalance or a reconnect resumes where it stood): every notice
 * produced after the cache started serving reaches the cache, in order per partition.
 */
export class NoticeFollower {
  private consumer: ExternalOffsetsConsumer<typeof FeatureUpdateSchema> | undefined;
  private readonly positions = new Map<number, string>();
  running = false;

  constructor(
    private readonly kafka: KafkaPlatform,
    private readonly deadLetters: KafkaProducer,
    private readonly cache: FeatureCache,
    private readonly groupPrefix: string,
  ) {}

  async start(): Promise<void> {
    const topic = this.kafka.topics.featuresUpdated;
    const ends = await this.kafka.admin.endOffsets(topic);
    for (const [partition, end] of ends) this.positions.set(partition, end.toString());
    // Reads from here on see at least the state of every notice below `ends` (ADR 0037), and every
    // notice from `ends` on will be handed to invalidate(): the cache may serve.
    this.cache.enable();
    this.consumer = this.kafka.externalOffsetsConsumer({
      groupId: `${this.groupPrefix}-notices-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      topic,
      stage: 'prediction-cache',
      deadLetters: this.deadLetters,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      handler: {
        // A partition not known at start (added later) is read from its beginning.
        open: (partition) => Promise.resolve(this.positions.get(partition) ?? null),
        handle: (batch) => {
          for (const r of batch.records) this.cache.invalidate(r.value.shopperKey, r.value.itemId);
          this.positions.set(batch.partition, batch.next);
          return Promise.resolve('ok' as const);
        },
      },
      onError: (error, where) => log('warn', 'feature cache: reading notices failed; retrying', { ...where, error: error instanceof Error ? error.message : String(error) }),
    });
    await this.consumer.start();
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cache.disable();
    await this.consumer?.stop();
  }
}
