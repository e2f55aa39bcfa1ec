import type { EventSchema } from '@clickwise/contracts';
import type { CatalogFollower } from '@clickwise/catalog';
import { UnavailableError } from '@clickwise/errors';
import type { ConsumedRecord, ConsumerLoop } from '@clickwise/kafka';
import { ModelRejectedError, type Champion, type ServingConnection, type Unwatch } from '@clickwise/model-registry';
import { ErasureFollower } from '@clickwise/privacy';
import type { AppliedBatch, BatchSource, RecsEvent } from '@clickwise/recs';
import { log } from '@clickwise/service';
import type { ClickThrough } from './click-through.js';
import type { RecommenderConfig } from './config.js';
import { indexEventsOf } from './index-events.js';
import type { RecommendationIds } from './recommendation-id.js';
import type { RecommenderMetrics } from './recommender.metrics.js';
import type { ServingSequence } from './serving-sequence.js';

/** What the runtime writes to: libs/recs' Recommender over the Redis store. */
export interface IndexWriter {
  ingest(events: readonly RecsEvent[], source?: BatchSource): Promise<AppliedBatch>;
  erase(shopperKey: string): Promise<unknown>;
}

/**
 * What runs beside the gRPC server (ADR 0095), started in this order before it takes calls:
 * the registry caught up and the next-item champion tried (then followed: hot swap); every
 * erasure applied (each replica reads all of privacy.erasures.v1); the catalogue read to its end
 * (catalog.items.v1, a follower per replica); then the clickstream.events.v1 consumer in the
 * service's group, applying each batch to the live index as it comes (a click is in its session's
 * next recommendations as soon as its batch is applied) and counting recommendation shown /
 * clicked events per model version.
 */
export class RecommenderRuntime {
  private events: ConsumerLoop<typeof EventSchema> | undefined;
  private erasureFollower: ErasureFollower | undefined;
  private unwatch: Unwatch | undefined;
  private readonly erased = new Map<string, number>();
  registryReady = false;
  erasuresReady = false;
  eventsRunning = false;

  constructor(
    private readonly config: RecommenderConfig,
    private readonly connection: ServingConnection,
    private readonly index: IndexWriter,
    readonly catalog: CatalogFollower,
    private readonly sequences: ServingSequence,
    private readonly ids: RecommendationIds,
    private readonly clickThrough: ClickThrough,
    private readonly metrics: RecommenderMetrics,
  ) {
    this.catalog.state.onChange(() => this.countCatalog());
  }

  get catalogReady(): boolean {
    return this.catalog.state.caughtUp;
  }

  private countCatalog(): void {
    this.metrics.catalogItems.set(this.catalog.state.size);
    this.metrics.catalogUnavailable.set(this.catalog.state.unavailableCount());
  }

  /** Registry caught up and the champion (if any) tried, before the server takes calls. */
  async startModels(): Promise<void> {
    await this.connection.startRegistry();
    this.registryReady = true;
    for (const record of this.connection.registry.list(this.config.model)) this.ids.know(record.version);
    const first = this.connection.registry.champion(this.config.model);
    if (first) await this.tryChampion(first);
    else log('info', 'no sequence model in the registry yet: recommendations come from the live indexes and popularity', { model: this.config.model });
    this.unwatch = this.connection.registry.watchChampion(this.config.model, (champion) => this.tryChampion(champion));
  }

  private async tryChampion(champion: Champion): Promise<void> {
    this.ids.know(champion.version);
    try {
      const served = await this.sequences.accept(champion);
      log('info', 'serving sequence model', { model: served.model, version: served.version, items: served.items });
    } catch (error) {
      if (error instanceof ModelRejectedError) this.metrics.rejected.inc({ stage: error.stage });
      const served = this.sequences.current;
      log('error', 'sequence model refused; the served model stays', { error: error instanceof Error ? error.message : String(error), served: served ? `${served.model}/${served.version}` : null });
    }
  }

  /** Every erasure applied and the catalogue read to its end, before any event is indexed. */
  async startFollowers(): Promise<void> {
    this.erasureFollower = new ErasureFollower(this.connection.kafka, {
      groupPrefix: this.config.groupId,
      stage: 'recommender',
      deadLetters: this.connection.producer,
      catchUpTimeoutMs: this.config.erasureCatchUpMs,
      apply: async ({ shopperKey, requestedAtMs }) => {
        this.erased.set(shopperKey, Math.max(requestedAtMs, this.erased.get(shopperKey) ?? 0));
        await this.index.erase(shopperKey);
        this.metrics.erasures.inc();
        log('info', 'shopper erased from the live index', { shopperKey, requestedAtMs });
      },
      onError: (error) => log('warn', 'erasure handling failed; retrying', { error: error instanceof Error ? error.message : String(error) }),
    });
    const erasures = await this.erasureFollower.start();
    if (!erasures.caughtUp) log('warn', 'erasures not caught up in time; indexing events anyway');
    this.erasuresReady = true;
    const catalog = await this.catalog.start();
    this.countCatalog();
    if (!catalog.caughtUp) log('warn', 'catalogue not read to its end in time; serving anyway', { waitedMs: catalog.waitedMs });
    else log('info', 'catalogue read', { items: this.catalog.state.size, unavailable: this.catalog.state.unavailableCount(), ms: catalog.waitedMs });
  }

  async startConsumers(): Promise<void> {
    const kafka = this.connection.kafka;
    this.events = kafka.consumerLoop({
      groupId: this.config.groupId,
      topic: kafka.topics.events,
      stage: 'recommender',
      deadLetters: this.connection.producer,
      fromBeginning: true,
      maxWaitTimeMs: this.config.fetchWaitMs,
      handle: (records) => this.indexBatch(records),
      onAssigned: (partitions) => this.metrics.eventPartitions.set(partitions.length),
      onError: (error, where) => log('warn', 'indexing a batch failed; retrying', { ...where, error: error instanceof Error ? error.message : String(error) }),
    });
    await this.events.start();
    this.eventsRunning = true;
  }

  /**
   * One batch of one partition, in offset order: one write to the index, then the click-through
   * counts. The write carries each event's offset, so records the index applied before (a re-read
   * after the group rebalanced: the new owner starts from the last commit) are neither indexed
   * nor counted again (ADR 0048).
   */
  private async indexBatch(records: ConsumedRecord<typeof EventSchema>[]): Promise<void> {
    if (records.length === 0) return;
    const batch: RecsEvent[] = [];
    const positions: number[] = [];
    const skipped: [offset: number, reason: string][] = [];
    for (const r of records) {
      const offset = Number(r.offset);
      const mapped = indexEventsOf(r.value);
      if (typeof mapped === 'string') {
        skipped.push([offset, mapped]);
        continue;
      }
      const erasedAt = this.erased.get(mapped[0]!.shopperKey);
      if (erasedAt !== undefined && mapped[0]!.timeMs <= erasedAt) {
        skipped.push([offset, 'erased']);
        continue;
      }
      batch.push(...mapped);
      for (let i = 0; i < mapped.length; i++) positions.push(offset);
    }
    const source = { stream: records[0]!.topic, partition: records[0]!.partition, positions, next: Number(records.at(-1)!.offset) + 1 };
    let from: number;
    try {
      const result = await this.index.ingest(batch, source);
      this.metrics.eventsIndexed.inc(result.applied);
      from = result.from;
    } catch (error) {
      throw new UnavailableError(`Redis (live index) did not take the batch: ${error instanceof Error ? error.message : String(error)}`, 1000);
    }
    for (const [offset, reason] of skipped) if (offset >= from) this.metrics.eventsSkipped.inc({ reason });
    const now = Date.now();
    for (const r of records) {
      if (Number(r.offset) < from) {
        this.metrics.eventsSkipped.inc({ reason: 'already_indexed' }); // counted when it was first applied
        continue;
      }
      this.clickThrough.observe(r.value);
      this.metrics.acceptToIndexed.observe(Math.max(0, now - r.timestampMs) / 1000);
    }
  }

  async stop(): Promise<void> {
    this.unwatch?.();
    await this.events?.stop();
    this.eventsRunning = false;
    await this.erasureFollower?.stop().catch((error: unknown) => log('warn', 'erasures consumer did not stop cleanly', { error: String(error) }));
    await this.catalog.stop().catch((error: unknown) => log('warn', 'catalogue consumer did not stop cleanly', { error: String(error) }));
    if (this.registryReady) await this.connection.registry.stop();
  }
}
