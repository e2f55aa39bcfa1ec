import type { CatalogItemSchema } from '@clickwise/contracts';
import type { CatchUp, ConsumerOptions, Follower, KafkaPlatform, KafkaProducer } from '@clickwise/kafka';
import { fromCatalogRecord } from './catalog-record.js';
import { CatalogState } from './catalog-state.js';

export interface CatalogFollowerOptions {
  /** The service's group name; each replica reads the whole topic in a group of its own under it. */
  groupPrefix: string;
  /** The service (stage of its dead letters). */
  stage: string;
  deadLetters: KafkaProducer;
  /** The state to keep (a fresh one by default). */
  state?: CatalogState;
  /** How long `start` waits to have applied every record already written (ms; default 60,000). */
  catchUpTimeoutMs?: number;
  onError?: ConsumerOptions<typeof CatalogItemSchema>['onError'];
}

/**
 * The catalogue of one replica: reads catalog.items.v1 from its beginning in a group of its own
 * (as erasures and model versions are followed), applies every record to a CatalogState in log
 * order, marks it ready once caught up with the end the topic had at start, then keeps applying
 * updates as they come (ADR 0099).
 */
export class CatalogFollower {
  readonly state: CatalogState;
  private readonly follower: Follower<typeof CatalogItemSchema>;

  constructor(kafka: KafkaPlatform, options: CatalogFollowerOptions) {
    this.state = options.state ?? new CatalogState();
    this.follower = kafka.follower({
      topic: kafka.topics.catalogItems,
      groupPrefix: `${options.groupPrefix}-catalog`,
      stage: options.stage,
      deadLetters: options.deadLetters,
      catchUpTimeoutMs: options.catchUpTimeoutMs,
      onError: options.onError,
      handle: (records) => {
        const items = [];
        for (const r of records) {
          const item = fromCatalogRecord(r.value, r.key);
          if (item.itemId !== '') items.push(item);
        }
        this.state.apply(items);
        return Promise.resolve();
      },
    });
  }

  /** The followed state, as the seam the recommender takes. */
  get view(): CatalogState {
    return this.state;
  }

  /**
   * Starts following; resolves once caught up (the state is then ready) or after the catch-up
   * timeout (the state becomes ready anyway, `caughtUp` false says it may miss records).
   */
  async start(): Promise<CatchUp> {
    const result = await this.follower.start();
    this.state.setReady();
    return result;
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }
}
