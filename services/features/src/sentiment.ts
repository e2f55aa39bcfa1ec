import type { CommitResult, OpenedPartition, PreparedBatch, StoredPosition } from '@clickwise/feature-store';
import { FeatureEngine, type FeatureEvent } from '@clickwise/features';
import { SentimentModel } from '@clickwise/text';
import { FeatureState } from './features.service.js';

/**
 * The feature state under the definitions in use, switchable to another engine (ADR 0058): the
 * sentiment model is part of the definitions version, so a new model means a new engine and a
 * new state namespace (rebuilt from Kafka, ADR 0033). Everything else delegates to the current
 * executor. Switch only while the consumers are stopped (SentimentFollower does).
 */
export class SwitchableFeatureState extends FeatureState {
  private current: FeatureState;
  private engineInUse: FeatureEngine;

  constructor(
    private readonly make: (engine: FeatureEngine) => FeatureState,
    engine: FeatureEngine = new FeatureEngine(),
  ) {
    super();
    this.engineInUse = engine;
    this.current = make(engine);
  }

  get engine(): FeatureEngine {
    return this.engineInUse;
  }

  /** Uses an engine with this sentiment model (undefined: none); false when it is already in use. */
  use(model: SentimentModel | undefined): boolean {
    if ((model?.version ?? null) === this.engineInUse.sentimentModelVersion) return false;
    const engine = new FeatureEngine(this.engineInUse.definitions, { allowedLatenessMs: this.engineInUse.allowedLatenessMs, sentiment: model });
    this.current.closeAll();
    this.current = this.make(engine);
    this.engineInUse = engine;
    return true;
  }

  get definitionsVersion(): string {
    return this.current.definitionsVersion;
  }
  open(partition: number): Promise<OpenedPartition> {
    return this.current.open(partition);
  }
  isOpen(partition: number): boolean {
    return this.current.isOpen(partition);
  }
  storedOffset(partition: number): string | null | undefined {
    return this.current.storedOffset(partition);
  }
  close(partition: number): void {
    this.current.close(partition);
  }
  closeAll(): void {
    this.current.closeAll();
  }
  prepare(partition: number, events: readonly FeatureEvent[], notify: (index: number) => boolean): Promise<PreparedBatch> {
    return this.current.prepare(partition, events, notify);
  }
  commit(batch: PreparedBatch, nextOffset: string, outbox: Buffer | null): Promise<CommitResult> {
    return this.current.commit(batch, nextOffset, outbox);
  }
  clearOutbox(partition: number, next: string): Promise<boolean> {
    return this.current.clearOutbox(partition, next);
  }
  erase(shopperKey: string, requestedAtMs: number): Promise<number> {
    return this.current.erase(shopperKey, requestedAtMs);
  }
  ensureMeta(): Promise<boolean> {
    return this.current.ensureMeta();
  }
  metaExists(): Promise<boolean> {
    return this.current.metaExists();
  }
  positions(): Promise<Map<number, StoredPosition>> {
    return this.current.positions();
  }
}

/** A sentiment model champion as the registry gives it: its registry version and artifact bytes. */
export interface SentimentChampion {
  version: string;
  artifact: Uint8Array;
}

/** Where the sentiment model champion comes from (the model registry; fakes in unit tests). */
export interface SentimentChampions {
  /** Connects and returns the champion now (undefined: none yet). */
  start(): Promise<SentimentChampion | undefined>;
  /** Calls back after each change of champion (and perhaps with the current one), one call at a time. */
  watch(onChampion: (champion: SentimentChampion) => Promise<void>): () => void;
  stop(): Promise<void>;
}

/** What the follower stops and restarts around a switch (FeaturesRuntime). */
export interface ConsumersControl {
  readonly running: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface SentimentStatus {
  /** Registry version of the model in use (null: none, sentiment features absent). */
  registryVersion: string | null;
  /** The model's artifact checksum, as in the definitions version. */
  modelVersion: string | null;
  definitionsVersion: string;
  /** The last champion that could not be used, and why. */
  refused?: { version: string; reason: string };
}

/**
 * Follows the sentiment model champion: at start the current one (before any event is applied,
 * so the state is built once), then each new one: stop the consumers, switch the engine (a new
 * definitions version: its state is built from the beginning of the event log, beside the old
 * one, which readers keep until they switch), start the consumers. An artifact that does not
 * decode is refused (the model in use stays) and reported.
 */
export class SentimentFollower {
  private registryVersion: string | null = null;
  private refused: SentimentStatus['refused'];
  private unwatch: (() => void) | undefined;
  /** The switch in progress (resolved when none). */
  private switching: Promise<void> = Promise.resolve();

  constructor(
    private readonly champions: SentimentChampions,
    private readonly state: SwitchableFeatureState,
    private readonly consumers: ConsumersControl,
    private readonly report: (message: string, context: Record<string, unknown>) => void,
  ) {}

  /** Loads the current champion (if any) into the engine; then follows changes. */
  async start(): Promise<void> {
    const now = await this.champions.start();
    if (now) this.load(now);
    this.unwatch = this.champions.watch((c) => this.onChampion(c));
  }

  /** Stops following changes and waits for a switch in progress (drain: before the consumers stop). */
  async stopWatching(): Promise<void> {
    this.unwatch?.();
    this.unwatch = undefined;
    await this.switching;
  }

  async stop(): Promise<void> {
    await this.stopWatching();
    await this.champions.stop();
  }

  status(): SentimentStatus {
    return {
      registryVersion: this.registryVersion,
      modelVersion: this.state.engine.sentimentModelVersion,
      definitionsVersion: this.state.definitionsVersion,
      ...(this.refused ? { refused: this.refused } : {}),
    };
  }

  /** A new champion: switch engines around a consumer restart (nothing when it is the model in use). */
  onChampion(champion: SentimentChampion): Promise<void> {
    const next = this.switching.then(() => this.switchTo(champion));
    this.switching = next.catch(() => undefined);
    return next;
  }

  private async switchTo(champion: SentimentChampion): Promise<void> {
    const model = this.decode(champion);
    if (!model || model.version === this.state.engine.sentimentModelVersion) {
      if (model) this.registryVersion = champion.version;
      return;
    }
    const wasRunning = this.consumers.running;
    if (wasRunning) await this.consumers.stop();
    const before = this.state.definitionsVersion;
    this.state.use(model);
    this.registryVersion = champion.version;
    this.report('sentiment model switched: its feature state is built from the beginning of the event log', {
      sentimentModel: champion.version,
      definitionsVersion: this.state.definitionsVersion,
      previousDefinitionsVersion: before,
    });
    if (wasRunning) await this.consumers.start();
  }

  private load(champion: SentimentChampion): void {
    const model = this.decode(champion);
    if (!model) return;
    this.state.use(model);
    this.registryVersion = champion.version;
    this.report('sentiment model loaded', { sentimentModel: champion.version, definitionsVersion: this.state.definitionsVersion });
  }

  private decode(champion: SentimentChampion): SentimentModel | undefined {
    try {
      return new SentimentModel(champion.artifact);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.refused = { version: champion.version, reason };
      this.report('sentiment model refused; the model in use stays', { sentimentModel: champion.version, reason });
      return undefined;
    }
  }
}
