import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { create } from '@bufbuild/protobuf';
import { PredictionUpdateSchema, SegmentSchema, FeatureContributionSchema, type FeatureUpdateSchema, type PredictionUpdate, type PredictionUpdateSchema as PredictionUpdateDesc } from '@clickwise/contracts';
import { UnavailableError } from '@clickwise/errors';
import type { ConsumedRecord, ConsumerLoop } from '@clickwise/kafka';
import { ModelRejectedError, type Champion, type ServingConnection, type Unwatch } from '@clickwise/model-registry';
import { log } from '@clickwise/service';
import { coalesce, type CoalescedClicks } from './coalesce.js';
import type { PredictionConfig } from './config.js';
import type { PredictionMetrics } from './prediction.metrics.js';
import type { PredictionResult, Predictor } from './predictor.js';
import type { ChallengerModels, ServingModels } from './serving-models.js';
import type { ServingSegments } from './segments.js';
import type { WatchHub } from './watch-hub.js';
import { LiveQuality, PURCHASE_COUNT_FEATURE } from './live-quality.js';
import { trace } from '@clickwise/telemetry';
import { ClickTracing } from './tracing.js';

/**
 * How long an idle fetch waits at the broker (ms). Kafka answers a fetch as soon as one byte is
 * there (minBytes 1), so this adds no latency when records arrive; it only sets how often an idle
 * consumer asks again. At 5-10 ms the service's three idle readers made ~300 fetches a second,
 * CPU taken from the calls (ADR 0076).
 */
export const FETCH_MAX_WAIT_MS = 200;

/** The PredictionUpdate of a per-click prediction (predictions.updated.v1, WatchPredictions). */
export function predictionUpdate(result: PredictionResult, clicks: CoalescedClicks): PredictionUpdate {
  return create(PredictionUpdateSchema, {
    shopperKey: result.shopperKey,
    sessionId: result.sessionId,
    purchaseProbability: result.score.probability,
    logit: result.score.logit,
    ...(result.segment ? { segment: create(SegmentSchema, result.segment) } : {}),
    modelVersion: `${result.model.model}/${result.model.version}`,
    eventIds: clicks.eventIds,
    traceIds: clicks.traceIds,
    topFeatures: result.top.map((c) => create(FeatureContributionSchema, c)),
    eventTimeMs: BigInt(clicks.newestEventTimeMs),
    predictedAtMs: BigInt(result.predictedAtMs),
    snapshotVersion: BigInt(result.snapshotVersion),
    firstNoticeTimeMs: BigInt(clicks.firstNoticeMs),
  });
}

/**
 * What runs beside the gRPC server: the registry (caught up at start, the champion loaded and
 * then followed: ADR 0070), the per-click scorer (features.updated.v1 in the service's group →
 * predictions.updated.v1) and the per-replica reader of predictions.updated.v1 that feeds this
 * replica's watchers (ADR 0072).
 */
/** Shoppers scored per step when the clicks kept before the first model are scored. */
const WAITING_CHUNK = 50;

export class PredictionRuntime {
  private clicks: ConsumerLoop<typeof FeatureUpdateSchema> | undefined;
  private watch: ConsumerLoop<typeof PredictionUpdateDesc> | undefined;
  private unwatch: Unwatch | undefined;
  private registryStarted = false;
  /** Clicks seen before any model was loaded, by shopper (oldest first), scored when one loads. */
  private readonly waiting = new Map<string, CoalescedClicks>();
  private stopping = false;
  /** Per-click predictions joined with the purchases that follow (ADR 0079). */
  readonly quality: LiveQuality;
  private qualityExpiredAtMs = 0;
  /** Spans per click and the click → prediction latency (ADR 0123). */
  private readonly tracing: ClickTracing;
  watchAssigned = false;
  clicksRunning = false;

  constructor(
    private readonly config: PredictionConfig,
    private readonly connection: ServingConnection,
    private readonly models: ServingModels,
    private readonly segments: ServingSegments,
    private readonly challengers: ChallengerModels,
    private readonly predictor: Predictor,
    private readonly hub: WatchHub,
    private readonly metrics: PredictionMetrics,
  ) {
    this.quality = new LiveQuality({ window: config.liveQualityWindow, sessionGapMs: config.liveQualitySessionGapMs, maxShoppers: 100_000 });
    metrics.followQuality(() => this.quality.figures());
    this.tracing = new ClickTracing(config.otlpEndpoint ? trace.getTracer('prediction') : undefined, metrics.registry, connection.kafka.topics.featuresUpdated.name);
  }

  get registryReady(): boolean {
    return this.registryStarted;
  }

  /** Registry caught up and the champion (if any) tried, before the server takes calls. */
  async startModels(): Promise<void> {
    await this.connection.startRegistry();
    this.registryStarted = true;
    const first = this.connection.registry.champion(this.config.model);
    if (first) await this.tryChampion(first);
    else log('warn', 'no champion in the registry yet: Predict answers UNAVAILABLE until one is published', { model: this.config.model });
    await this.tryChallenger();
    const firstSegments = this.connection.registry.champion(this.config.segmentsModel);
    if (firstSegments) await this.trySegments(firstSegments);
    const unwatchModel = this.connection.registry.watchChampion(this.config.model, async (champion) => {
      await this.tryChampion(champion);
      await this.tryChallenger();
    });
    const unwatchSegments = this.connection.registry.watchChampion(this.config.segmentsModel, (champion) => this.trySegments(champion));
    this.unwatch = () => {
      unwatchModel();
      unwatchSegments();
    };
  }

  /** The configured challenger version, once it is in the registry (tried at start and on each champion change). */
  private async tryChallenger(): Promise<void> {
    const version = this.config.challengerVersion;
    if (!version || this.challengers.current?.version === version) return;
    const record = this.connection.registry.get(this.config.model, version);
    if (!record) {
      log('warn', 'the challenger version is not in the registry (yet)', { model: this.config.model, version });
      return;
    }
    try {
      await this.challengers.accept(record);
      log('info', 'serving challenger', { model: record.model, version, mode: this.config.challengerMode, share: this.config.challengerShare });
    } catch (error) {
      if (error instanceof ModelRejectedError) this.metrics.rejected.inc({ stage: error.stage });
      log('error', 'challenger refused', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async trySegments(champion: Champion): Promise<void> {
    try {
      const served = await this.segments.accept(champion);
      log('info', 'serving segments', { model: champion.model, version: served.modelVersion });
    } catch (error) {
      if (error instanceof ModelRejectedError) this.metrics.rejected.inc({ stage: error.stage });
      log('error', 'segments refused; the served segmentation stays', { error: error instanceof Error ? error.message : String(error), served: this.segments.current?.modelVersion ?? null });
    }
  }

  private async tryChampion(champion: Champion): Promise<void> {
    try {
      const first = this.models.current === undefined;
      const model = await this.models.accept(champion);
      log('info', 'serving model', { model: model.model, version: model.version, format: model.format });
      if (first && this.waiting.size > 0) void this.scoreWaiting();
    } catch (error) {
      if (error instanceof ModelRejectedError) this.metrics.rejected.inc({ stage: error.stage });
      const served = this.models.current;
      log('error', 'model refused; the served model stays', { error: error instanceof Error ? error.message : String(error), served: served ? `${served.model}/${served.version}` : null });
    }
  }

  async startConsumers(): Promise<void> {
    const kafka = this.connection.kafka;
    this.watch = kafka.consumerLoop({
      groupId: `${this.config.groupId}-watch-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
      topic: kafka.topics.predictionsUpdated,
      stage: 'prediction-watch',
      deadLetters: this.connection.producer,
      fromBeginning: false,
      maxWaitTimeMs: FETCH_MAX_WAIT_MS,
      handle: (records) => {
        for (const r of records) this.tracing.fanOut(r.headers, r.value, () => this.hub.publish(r.value));
        return Promise.resolve();
      },
      onAssigned: (partitions) => {
        this.watchAssigned = partitions.length > 0;
        this.metrics.watchPartitions.set(partitions.length);
      },
    });
    await this.watch.start();
    if (!this.config.perClick) return;
    this.clicks = kafka.consumerLoop({
      groupId: this.config.groupId,
      topic: kafka.topics.featuresUpdated,
      stage: 'prediction',
      deadLetters: this.connection.producer,
      fromBeginning: false,
      maxWaitTimeMs: FETCH_MAX_WAIT_MS,
      // Every partition of a fetch at once: one at a time, each batch's read, produce and commit
      // queued behind the others' and the click waited for all of them (ADR 0076).
      partitionsConcurrently: 16,
      handle: (records) => this.scoreClicks(records),
      onAssigned: (partitions) => this.metrics.clickPartitions.set(partitions.length),
      onError: (error, where) => log('warn', where.commit ? 'committing per-click offsets failed; trying again' : 'per-click scoring failed; retrying', { ...where, error: error instanceof Error ? error.message : String(error) }),
    });
    await this.clicks.start();
    this.clicksRunning = true;
  }

  /** One batch of one partition: each shopper scored once for all its notices (ADR 0071). */
  private async scoreClicks(records: ConsumedRecord<typeof FeatureUpdateSchema>[]): Promise<void> {
    if (!this.models.current) {
      this.keepWaiting(coalesce(records));
      return;
    }
    await this.scoreAndWrite(coalesce(records));
  }

  /**
   * Clicks that came before any model: kept (per shopper, up to PREDICTION_WAITING_SHOPPERS) and
   * scored when the first champion loads, so a fresh platform's first clicks (a replay that runs
   * before the trainer published anything) get their predictions (ADR 0077). Past the bound, the
   * shoppers seen longest ago are dropped and counted as skipped.
   */
  private keepWaiting(groups: CoalescedClicks[]): void {
    for (const g of groups) {
      const kept = this.waiting.get(g.shopperKey);
      if (kept) {
        this.waiting.delete(g.shopperKey);
        kept.eventIds.push(...g.eventIds);
        kept.traceIds.push(...g.traceIds);
        kept.traceparents.push(...g.traceparents);
        kept.acceptedAtMs.push(...g.acceptedAtMs);
        kept.sessionId = g.sessionId || kept.sessionId;
        kept.itemId = g.itemId;
        kept.snapshotVersion = Math.max(kept.snapshotVersion, g.snapshotVersion);
        kept.newestEventTimeMs = Math.max(kept.newestEventTimeMs, g.newestEventTimeMs);
        kept.firstNoticeMs = Math.min(kept.firstNoticeMs, g.firstNoticeMs);
        this.waiting.set(g.shopperKey, kept);
      } else this.waiting.set(g.shopperKey, { ...g, eventIds: [...g.eventIds], traceIds: [...g.traceIds], traceparents: [...g.traceparents], acceptedAtMs: [...g.acceptedAtMs] });
    }
    while (this.waiting.size > this.config.waitingShoppers) {
      const oldest = this.waiting.entries().next();
      if (oldest.done) break;
      this.waiting.delete(oldest.value[0]);
      this.metrics.clicksSkipped.inc({ reason: 'no_model' }, oldest.value[1].eventIds.length);
    }
    this.metrics.clicksWaiting.set(this.waiting.size);
  }

  /** Scores the clicks kept while no model was loaded, in batches, once the first champion loaded. */
  private async scoreWaiting(): Promise<void> {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    this.metrics.clicksWaiting.set(0);
    // Small chunks with a turn of the event loop between them: the week's ~11,000 shoppers took
    // ~50 s of scoring, and in 500-shopper chunks /health/ready and calls could not be answered in time.
    for (let i = 0; i < all.length; i += WAITING_CHUNK) {
      if (this.stopping) break;
      const chunk = all.slice(i, i + WAITING_CHUNK);
      await new Promise((resolve) => setImmediate(resolve));
      for (let attempt = 1; ; attempt++) {
        try {
          await this.scoreAndWrite(chunk);
          break;
        } catch (error) {
          log('warn', 'scoring the clicks that came before the first model failed', { attempt, shoppers: chunk.length, error: error instanceof Error ? error.message : String(error) });
          if (attempt >= 5 || this.stopping) {
            this.metrics.clicksSkipped.inc({ reason: 'no_model' }, chunk.reduce((n, g) => n + g.eventIds.length, 0));
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        }
      }
    }
    log('info', 'scored the clicks that came before the first model', { shoppers: all.length, events: all.reduce((n, g) => n + g.eventIds.length, 0) });
  }

  /** One read of every group's features, one score each, one produce of the predictions. */
  private async scoreAndWrite(groups: CoalescedClicks[]): Promise<void> {
    const updates: PredictionUpdate[] = [];
    const written: CoalescedClicks[] = [];
    const startedMs = Date.now();
    let scored;
    try {
      scored = await this.predictor.readAndScoreMany(
        groups.map((clicks) => ({ shopperKey: clicks.shopperKey, ...(clicks.sessionId ? { sessionId: clicks.sessionId } : {}), ...(clicks.itemId ? { itemId: clicks.itemId } : {}) })),
        this.config.defaultTopContributions,
      );
    } catch (error) {
      throw new UnavailableError(`Redis (live features) did not answer: ${error instanceof Error ? error.message : String(error)}`, 1000);
    }
    groups.forEach((clicks, i) => {
      const one = scored[i];
      if (!one) {
        this.metrics.clicksSkipped.inc({ reason: 'no_state' }, clicks.eventIds.length);
        return;
      }
      if (one.snapshot.snapshotVersion < clicks.snapshotVersion) this.metrics.staleReads.inc();
      updates.push(predictionUpdate(one.result, clicks));
      written.push(clicks);
      const purchases = one.snapshot.features.find((f) => f.name === PURCHASE_COUNT_FEATURE)?.value;
      const r = one.result;
      this.quality.observe(clicks.shopperKey, r.sessionId, clicks.newestEventTimeMs, typeof purchases === 'number' ? purchases : 0, { modelVersion: `${r.model.model}/${r.model.version}`, probability: r.score.probability });
    });
    const newest = Math.max(...groups.map((g) => g.newestEventTimeMs));
    // Sessions idle past the gap (in event time) end with no purchase; looked at every 10 s of events.
    if (newest - this.qualityExpiredAtMs > 10_000) {
      this.qualityExpiredAtMs = newest;
      this.quality.expire(newest);
    }
    if (updates.length === 0) return;
    const topic = this.connection.kafka.topics.predictionsUpdated;
    const spans = this.tracing.scoring(written, updates, startedMs);
    try {
      await this.connection.producer.send(topic, updates.map((u, i) => topic.record(u, { headers: spans.headers[i] ?? {} })));
    } catch (error) {
      spans.failed(error);
      throw error;
    }
    const now = Date.now();
    spans.written(now);
    for (const u of updates) {
      this.metrics.coalesced.observe(u.eventIds.length);
      this.metrics.clicksScored.inc(u.eventIds.length);
      this.metrics.noticeToPrediction.observe(Math.max(0, now - Number(u.firstNoticeTimeMs)) / 1000);
    }
    this.metrics.predictionsWritten.inc(updates.length);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unwatch?.();
    await this.clicks?.stop();
    await this.watch?.stop();
    this.clicksRunning = false;
    if (this.registryStarted) await this.connection.registry.stop();
  }
}
