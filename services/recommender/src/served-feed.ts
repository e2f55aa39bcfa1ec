import type { Recommendation } from '@clickwise/contracts';
import type { KafkaPlatform, KafkaProducer } from '@clickwise/kafka';
import { Counter, type Registry } from '@clickwise/telemetry';

/** Lists waiting for Kafka's acknowledgement before new ones are dropped (counted), not queued. */
const MAX_PENDING = 10_000;

/**
 * Publishes each recommendation list the recommender served to recommendations.served.v1 (ADR
 * 0124): the status page's live feed follows it, and what was served can be looked at afterwards.
 * Off the call's path: Recommend answers without waiting for Kafka; a list Kafka refuses or that
 * finds MAX_PENDING lists already waiting is dropped and counted, never retried into the call.
 */
export class ServedFeed {
  private pending = 0;
  readonly published: Counter<'outcome'>;

  constructor(
    private readonly kafka: KafkaPlatform,
    private readonly producer: KafkaProducer,
    registry: Registry,
    private readonly onFailure: (error: unknown) => void = () => undefined,
  ) {
    this.published = new Counter({
      name: 'clickwise_recommender_served_published_total',
      help: 'Served recommendation lists for recommendations.served.v1 by outcome (written, dropped: too many waiting, failed: Kafka refused)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  /** Queues one served list (`encoded`: its bytes, when the caller has them); returns at once. */
  publish(recommendation: Recommendation, encoded?: Uint8Array): void {
    if (this.pending >= MAX_PENDING) {
      this.published.inc({ outcome: 'dropped' });
      return;
    }
    this.pending++;
    const topic = this.kafka.topics.recommendationsServed;
    this.producer.send(topic, [topic.record(recommendation, encoded ? { encoded } : {})]).then(
      () => {
        this.pending--;
        this.published.inc({ outcome: 'written' });
      },
      (error: unknown) => {
        this.pending--;
        this.published.inc({ outcome: 'failed' });
        this.onFailure(error);
      },
    );
  }
}
