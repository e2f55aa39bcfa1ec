import type { DeadLetterSchema, PredictionUpdateSchema } from '@clickwise/contracts';
import type { ConsumedRecord } from '@clickwise/kafka';
import type { Champion, ModelVersion } from '@clickwise/model-registry';
import { log } from '@clickwise/service';
import type { ConsoleConfig } from './config.js';
import { RATE_TOPICS, type ConsoleKafka, type GroupLagView, type RateTopic } from './console.kafka.js';
import { DeadLetterTally, type ReasonCount } from './dead-letters.js';
import { LATENCIES, LatencyTracker, type LatencyFigures, type Percentiles } from './latency.js';
import { PredictionFeed, type FeedRow, type VersionLive } from './prediction-feed.js';
import type { Sample } from './prometheus-text.js';
import type { RecommendationSource, RecommendationsPanel } from './recommendations.js';
import type { Scraper, TargetState } from './scraper.js';
import { CounterWindow, Ring } from './windows.js';

/** One point of every chart. */
export interface Tick {
  atMs: number;
  /** Records appended per second over the rate window, per charted topic (null: not known yet). */
  rates: Record<RateTopic, number | null>;
  /** Total lag per configured group (null: the group committed nothing, or Kafka did not answer). */
  lag: Record<string, number | null>;
  /** p50/p99 (seconds) over the latency window, per latency id. */
  latency: Record<string, Percentiles>;
  /** Per model version ("<model>/<version>"), what it made per second over the live window: predictions, served lists. */
  versions: { predictions: Record<string, number>; recommendations: Record<string, number> };
}

export interface ModelVersionView {
  version: string;
  createdAtMs: number;
  champion: boolean;
  backend: string;
  /** Hold-out metrics from the registry (offline). */
  metrics: Record<string, number>;
  /** What the console saw on predictions.updated.v1 from this version (null: none). */
  live: VersionLive | null;
  /** `clickwise_prediction_live_*{model_version}` on the prediction service's /metrics, by name (empty where it exposes none). */
  liveMetrics: Record<string, number>;
}

export interface ModelView {
  model: string;
  champion: string | null;
  promotedAtMs: number | null;
  promotionReason: string;
  /** Newest first, at most 5. */
  versions: ModelVersionView[];
  versionCount: number;
}

/** Everything but the chart history: sent with each tick. */
export interface BoardState {
  generatedAtMs: number;
  topicPrefix: string;
  pollMs: number;
  windows: { rateMs: number; latencyMs: number };
  kafka: { up: boolean; error?: string; lastPollMs: number };
  /** Records in each charted topic now. */
  topicRecords: Partial<Record<RateTopic, number>>;
  lag: GroupLagView[];
  latencies: (LatencyFigures & { label: string; target: string; byLabel: string | null })[];
  deadLetters: { total: number; reasons: ReasonCount[] };
  models: ModelView[];
  predictions: { total: number; newest: FeedRow[] };
  recommendations: RecommendationsPanel;
  targets: TargetState[];
}

export interface BoardMessage {
  tick: Tick;
  state: BoardState;
}

/** An open stream: each tick, and `close` when the console shuts down. */
export interface BoardSubscriber {
  message(message: BoardMessage): void;
  close(): void;
}

/**
 * The status page's data: a tick every CONSOLE_POLL_MS (topic rates and group lag from Kafka, the
 * latency percentiles of the last scrapes), the last CONSOLE_HISTORY_POINTS ticks, and the state
 * beside them (dead letters, models, the prediction feed, targets). Subscribers (the SSE streams)
 * get every tick with the state.
 */
export class ConsoleBoard {
  private readonly ticks: Ring<Tick>;
  private readonly counters = new Map<RateTopic, CounterWindow>();
  private readonly latency: LatencyTracker[];
  private readonly deadLetters = new DeadLetterTally();
  private readonly feed: PredictionFeed;
  private readonly subscribers = new Set<BoardSubscriber>();
  private records = new Map<RateTopic, number>();
  private lagViews: GroupLagView[] = [];
  private kafkaState: BoardState['kafka'] = { up: false, error: 'not polled yet', lastPollMs: 0 };
  private liveMetrics = new Map<string, Record<string, number>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private scrapeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  polled = false;

  constructor(
    private readonly config: ConsoleConfig,
    private readonly kafka: ConsoleKafka,
    private readonly scraper: Scraper,
    private readonly recommendations: RecommendationSource,
    private readonly now: () => number = Date.now,
  ) {
    this.ticks = new Ring(config.historyPoints);
    this.latency = LATENCIES.filter((l) => scraper.targets.some((t) => t.name === l.target)).map((l) => new LatencyTracker(l, config.latencyWindowMs));
    this.feed = new PredictionFeed(config.feedSize, 60_000, now);
    const keepMs = config.rateWindowMs + 2 * config.pollMs;
    for (const topic of Object.keys(RATE_TOPICS) as RateTopic[]) this.counters.set(topic, new CounterWindow(keepMs));
  }

  /** Reads the dead letters and starts the feed (after the registry caught up), then polls and scrapes. */
  async start(): Promise<void> {
    await this.kafka.startDeadLetters((records) => this.addDeadLetters(records));
    await this.kafka.startFeed((records) => this.addPredictions(records));
    await this.recommendations.start?.();
    await Promise.all([this.poll(), this.scrape()]);
    this.pollTimer = setInterval(() => void this.poll(), this.config.pollMs);
    this.scrapeTimer = setInterval(() => void this.scrape(), this.config.scrapeMs);
  }

  /** Ends every stream (so HTTP can close) and the timers. */
  drain(): void {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.scrapeTimer);
    for (const s of [...this.subscribers]) s.close();
    this.subscribers.clear();
  }

  async stop(): Promise<void> {
    this.drain();
    await this.recommendations.stop?.();
  }

  history(): Tick[] {
    return this.ticks.toArray();
  }

  subscribe(subscriber: BoardSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => void this.subscribers.delete(subscriber);
  }

  get streams(): number {
    return this.subscribers.size;
  }

  private polling = false;

  /** One tick: topic records and lag from Kafka (a poll still running skips this one). */
  async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    const atMs = this.now();
    try {
      const [records, lag] = await Promise.all([this.kafka.topicRecords(), this.kafka.lag(this.config.lagGroups)]);
      this.records = records;
      this.lagViews = lag;
      for (const [topic, value] of records) this.counters.get(topic)!.add(atMs, value);
      this.kafkaState = { up: true, lastPollMs: Math.round(this.now() - atMs) };
    } catch (error) {
      this.kafkaState = { up: false, error: error instanceof Error ? error.message : String(error), lastPollMs: Math.round(this.now() - atMs) };
      log('warn', 'Kafka poll failed', { error: this.kafkaState.error });
    } finally {
      this.polling = false;
    }
    const tick = this.tick(atMs);
    this.ticks.push(tick);
    this.polled = true;
    if (this.subscribers.size === 0) return;
    const message = { tick, state: this.state() };
    for (const subscriber of this.subscribers) {
      try {
        subscriber.message(message);
      } catch (error) {
        log('warn', 'a status stream failed', { error: String(error) });
      }
    }
  }

  private scraping = false;

  async scrape(): Promise<void> {
    if (this.scraping || this.stopped) return;
    this.scraping = true;
    try {
      const pages = await this.scraper.scrape();
      const atMs = this.now();
      for (const tracker of this.latency) tracker.add(atMs, pages.get(tracker.spec.target) ?? []);
      this.liveMetrics = liveModelMetrics(pages.get('prediction') ?? []);
    } finally {
      this.scraping = false;
    }
  }

  private tick(atMs: number): Tick {
    const rates = {} as Record<RateTopic, number | null>;
    for (const [topic, counter] of this.counters) {
      const rate = this.kafkaState.up ? counter.rate(this.config.rateWindowMs) : undefined;
      rates[topic] = rate === undefined ? null : Math.max(0, rate);
    }
    const lag: Record<string, number | null> = {};
    for (const g of this.config.lagGroups) lag[g.group] = this.kafkaState.up ? (this.lagViews.find((v) => v.group === g.group)?.total ?? null) : null;
    const latency: Record<string, Percentiles> = {};
    for (const tracker of this.latency) {
      const f = tracker.figures();
      latency[f.id] = { p50: f.p50, p99: f.p99, count: f.count };
    }
    const versions = {
      predictions: Object.fromEntries(this.feed.byVersion().map((v) => [v.modelVersion, v.perSecond])),
      recommendations: Object.fromEntries((this.recommendations.byVersion?.() ?? []).map((v) => [v.modelVersion, v.perSecond])),
    };
    return { atMs, rates, lag, latency, versions };
  }

  state(): BoardState {
    return {
      generatedAtMs: this.now(),
      topicPrefix: this.config.topicPrefix,
      pollMs: this.config.pollMs,
      windows: { rateMs: this.config.rateWindowMs, latencyMs: this.config.latencyWindowMs },
      kafka: this.kafkaState,
      topicRecords: Object.fromEntries(this.records),
      lag: this.lagViews,
      latencies: this.latency.map((t) => ({ ...t.figures(), label: t.spec.label, target: t.spec.target, byLabel: t.spec.by ?? null })),
      deadLetters: { total: this.deadLetters.total, reasons: this.deadLetters.reasons() },
      models: this.models(),
      predictions: { total: this.feed.total, newest: this.feed.newest() },
      recommendations: this.recommendations.panel(),
      targets: this.scraper.status(),
    };
  }

  private models(): ModelView[] {
    if (!this.kafka.registryReady) return [];
    const registry = this.kafka.registry;
    const live = new Map(this.feed.byVersion().map((v) => [v.modelVersion, v]));
    return registry.models().map((model) => {
      const champion: Champion | undefined = registry.champion(model);
      const versions = registry.list(model);
      const newest = versions.slice(-5).reverse();
      // The champion is always shown, even when older than the newest five.
      if (champion && !newest.some((v) => v.version === champion.version)) newest.push(champion);
      return {
        model,
        champion: champion?.version ?? null,
        promotedAtMs: champion?.promotedAtMs ?? null,
        promotionReason: champion?.reason ?? '',
        versionCount: versions.length,
        versions: newest.map((v: ModelVersion) => {
          const key = `${model}/${v.version}`;
          return {
            version: v.version,
            createdAtMs: v.createdAtMs,
            champion: champion?.version === v.version,
            backend: v.backend,
            metrics: v.metrics,
            live: live.get(key) ?? null,
            liveMetrics: this.liveMetrics.get(key) ?? {},
          };
        }),
      };
    });
  }

  private addDeadLetters(records: ConsumedRecord<typeof DeadLetterSchema>[]): void {
    for (const r of records) {
      const v = r.value;
      this.deadLetters.add({ stage: v.stage, source: v.source, reasonCode: v.reasonCode || 'unknown', reason: v.reason, rejectedAtMs: Number(v.rejectedAtMs) || r.timestampMs });
    }
  }

  private addPredictions(records: ConsumedRecord<typeof PredictionUpdateSchema>[]): void {
    for (const r of records) {
      const p = r.value;
      const top = p.topFeatures[0];
      const predictedAtMs = Number(p.predictedAtMs) || r.timestampMs;
      const notice = Number(p.firstNoticeTimeMs);
      this.feed.add({
        shopperKey: p.shopperKey,
        sessionId: p.sessionId,
        probability: p.purchaseProbability,
        segment: p.segment?.name ?? '',
        modelVersion: p.modelVersion,
        events: p.eventIds.length,
        topFeature: top?.feature ?? '',
        topContribution: top?.contribution ?? 0,
        predictedAtMs,
        noticeToPredictionMs: notice > 0 ? Math.max(0, predictedAtMs - notice) : null,
      });
    }
  }
}

const LIVE = /^clickwise_prediction_live_([a-z0-9_]+)$/;

/** `clickwise_prediction_live_<name>{model_version="m/v"}` gauges by model version, then name. */
export function liveModelMetrics(samples: readonly Sample[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const s of samples) {
    const m = LIVE.exec(s.name);
    const version = s.labels.model_version;
    if (!m || !version || Object.keys(s.labels).length !== 1) continue;
    const row = out.get(version) ?? {};
    row[m[1]!] = s.value;
    out.set(version, row);
  }
  return out;
}
