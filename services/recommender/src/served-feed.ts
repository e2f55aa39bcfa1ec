import type { Recommendation } from '@clickwise/contracts';
import type { KafkaPlatform, KafkaProducer, OutgoingRecord } from '@clickwise/kafka';
import { Counter, type Registry } from '@clickwise/telemetry';

/** Lists waiting for Kafka's acknowledgement before new ones are dropped (counted), not queued. */
const MAX_PENDING = 10_000;

/**
 * How long a served list waits for others to share its send (ms). The feed is for the status page
 * and for looking back, not for a click's path: one send per this many ms instead of one per call
 * saves each Recommend call a produce request's share (ADR 0124's addendum).
 */
export const SERVED_FLUSH_MS = 50;

/**
 * Publishes each recommendation list the recommender served to recommendations.served.v1 (ADR
 * 0124): the status page's live feed follows it, and what was served can be looked at afterwards.
 * Off the call's path: Recommend answers without waiting for Kafka; the lists of `flushMs` go in
 * one send; a list Kafka refuses or that finds MAX_PENDING lists already waiting is dropped and
 * counted, never retried into the call. The flush timer is not unref'd, so lists queued when the
 * service begins to stop are still sent before its producer flushes.
 */
export class ServedFeed {
  private pending = 0;
  private waiting: OutgoingRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  readonly published: Counter<'outcome'>;

  constructor(
    private readonly kafka: KafkaPlatform,
    private readonly producer: KafkaProducer,
    registry: Registry,
    private readonly onFailure: (error: unknown) => void = () => undefined,
    private readonly flushMs = SERVED_FLUSH_MS,
  ) {
    this.published = new Counter({
      name: 'clickwise_recommender_served_published_total',
      help: 'Served recommendation lists for recommendations.served.v1 by outcome (written, dropped: too many waiting, failed: Kafka refused)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  /** Queues one served list; returns at once. */
  publish(recommendation: Recommendation): void {
    this.queue(() => this.kafka.topics.recommendationsServed.record(recommendation));
  }

  /**
   * Queues one served list its caller already encoded (a Recommendation's bytes, as the Recommend
   * call answered them), keyed by its shopper as the topic keys it; returns at once.
   */
  publishEncoded(shopperKey: string, encoded: Uint8Array): void {
    this.queue(() => this.kafka.topics.recommendationsServed.encodedRecord(shopperKey, encoded));
  }

  private queue(record: () => OutgoingRecord): void {
    if (this.pending >= MAX_PENDING) {
      this.published.inc({ outcome: 'dropped' });
      return;
    }
    this.pending++;
    this.waiting.push(record());
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Sends the lists waiting now, in one send; resolves when Kafka answered (never rejects). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const records = this.waiting;
    if (records.length === 0) return Promise.resolve();
    this.waiting = [];
    return this.producer.send(this.kafka.topics.recommendationsServed, records).then(
      () => {
        this.pending -= records.length;
        this.published.inc({ outcome: 'written' }, records.length);
      },
      (error: unknown) => {
        this.pending -= records.length;
        this.published.inc({ outcome: 'failed' }, records.length);
        this.onFailure(error);
      },
    );
  }
}
