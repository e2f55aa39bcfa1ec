import { create } from '@bufbuild/protobuf';
import type { ErasureRecordSchema } from '@clickwise/contracts';
import type { CatchUp, ConsumerOptions, Follower, KafkaPlatform, KafkaProducer } from '@clickwise/kafka';

/** A request to forget a shopper. */
export interface ErasureRequest {
  shopperKey: string;
  requestedAtMs: number;
  /** Who asked ("cli:<user>", "api-key:<id>"). */
  requestedBy: string;
}

/**
 * Writes erasure records to the compacted privacy.erasures.v1, keyed by shopper key (kept for
 * good). Writing the record is all a caller does: every stateful service follows the topic and
 * applies it to its own state (ErasureFollower).
 */
export class ErasureLog {
  constructor(
    private readonly kafka: KafkaPlatform,
    private readonly producer: KafkaProducer,
  ) {}

  /** The topic's full name (with the platform's prefix). */
  get topic(): string {
    return this.kafka.topics.erasures.name;
  }

  /** Resolves once Kafka acknowledged the record. */
  publish(request: ErasureRequest): Promise<void> {
    const record = create(this.kafka.topics.erasures.spec.value, {
      shopperKey: request.shopperKey,
      requestedAtMs: BigInt(request.requestedAtMs),
      requestedBy: request.requestedBy,
    });
    return this.producer.produce(this.kafka.topics.erasures, [record]);
  }
}

export interface ErasureFollowerOptions {
  /** The service's group name; each replica reads the whole topic in a group of its own under it. */
  groupPrefix: string;
  /** The service (stage of its dead letters). */
  stage: string;
  /** Forgets the shopper in this service's state; must be idempotent (the topic is read from the beginning on every start). */
  apply: (erasure: ErasureRequest) => Promise<void>;
  deadLetters: KafkaProducer;
  /** How long `start` waits to have applied every erasure already written (ms). */
  catchUpTimeoutMs?: number;
  onError?: ConsumerOptions<typeof ErasureRecordSchema>['onError'];
}

/**
 * The erasure reader of one replica: applies every erasure from the beginning of
 * privacy.erasures.v1, resolves `start` once caught up (so a service can hold its own input back
 * until then), then keeps applying new ones.
 */
export class ErasureFollower {
  private readonly follower: Follower<typeof ErasureRecordSchema>;

  constructor(kafka: KafkaPlatform, options: ErasureFollowerOptions) {
    this.follower = kafka.follower({
      topic: kafka.topics.erasures,
      groupPrefix: `${options.groupPrefix}-erasures`,
      stage: options.stage,
      deadLetters: options.deadLetters,
      catchUpTimeoutMs: options.catchUpTimeoutMs,
      onError: options.onError,
      handle: async (records) => {
        for (const r of records) {
          const shopperKey = r.value.shopperKey || r.key || '';
          if (shopperKey !== '') await options.apply({ shopperKey, requestedAtMs: Number(r.value.requestedAtMs), requestedBy: r.value.requestedBy });
        }
      },
    });
  }

  start(): Promise<CatchUp> {
    return this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }
}
