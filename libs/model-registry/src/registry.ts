import type { ModelPublishedSchema } from '@clickwise/contracts';
import { InvalidInputError, NotFoundError, UnavailableError } from '@clickwise/errors';
import type { CatchUp, ConsumedRecord, Follower, KafkaPlatform, KafkaProducer, OutgoingRecord } from '@clickwise/kafka';
import { ArtifactStore, sha256Hex } from './artifacts.js';
import { assertCompatible } from './compat.js';
import { assertModelName, assertVersionName, CHAMPION, championKey, compareVersions, generateVersion, parseKey, versionKey } from './names.js';
import { championOf, championRecord, versionOf, versionRecord } from './records.js';
import type { Champion, ModelVersion } from './types.js';

/** Most earlier champions a pointer remembers (rollback can go back this far). */
export const CHAMPION_HISTORY = 50;

export interface ModelRegistryOptions {
  /** The service's name: each replica follows models.published.v1 in a consumer group of its own under it. */
  groupPrefix: string;
  /** Stage of dead letters of undecodable records (default: groupPrefix). */
  stage?: string;
  /** A folder for verified artifact copies keyed by SHA-256 (MODEL_CACHE_DIR in services); none: no local copies. */
  cacheDir?: string;
  /** Who writes, kept in champion pointers this registry writes ("trainer", "cli:<user>"; default groupPrefix). */
  by?: string;
  /** How long `start` may take to catch up with models.published.v1 (ms; default 60,000). */
  catchUpTimeoutMs?: number;
  /** How long a write may take to be read back by this registry (ms; default 30,000). */
  writeTimeoutMs?: number;
  /** How long reading one artifact from Kafka may take (ms; default 120,000). */
  artifactReadTimeoutMs?: number;
  /** Errors that do not stop the registry: a watcher's callback that threw, a corrupt cached copy, a record with an unknown key. */
  onError?: (error: unknown, context: { what: string }) => void;
  /** The clock of generated versions and promotions (tests). */
  now?: () => number;
}

/** What the trainer publishes. */
export interface PublishInput {
  model: string;
  /** Given: must be new (or the same artifact: an idempotent retry). Absent: generated (names.ts generateVersion). */
  version?: string;
  artifact: Uint8Array;
  /** What the artifact bytes are and the version of that layout ("tfjs-layers/1", ...). */
  format: string;
  /** Metrics on the hold-out window (finite numbers). */
  metrics: Readonly<Record<string, number>>;
  /** The feature definitions version it was trained on ('' when it reads none, e.g. a text model). */
  featureDefinitionsVersion: string;
  /** The TensorFlow.js backend it was trained with ("tensorflow", "wasm", "cpu"). */
  backend: string;
  holdoutFromMs: number;
  holdoutToMs: number;
  /** The champion it was compared against ('' or absent: none); decideChampion gives it. */
  comparedToVersion?: string;
  /** Default: now. */
  createdAtMs?: number;
}

export interface PublishOptions {
  /** Also make it the champion (the decision is the trainer's: decideChampion). */
  champion: boolean;
  /** Why, kept in the pointer (decideChampion's reason). */
  reason?: string;
}

/** Stops a watch. */
export type Unwatch = () => void;

interface Watcher {
  model: string;
  callback: (champion: Champion) => void | Promise<void>;
  chain: Promise<void>;
  active: boolean;
}

/**
 * The model registry (ADR 0056, 0057). Versions are records `<model>/<version>` on the compacted
 * models.published.v1, the champion of each model the record `<model>/champion` (a copy of the
 * champion's version record with its history); artifacts are chunks on models.artifacts.v1. Every
 * read comes from memory: a per-replica follower of models.published.v1 that `start` brings up
 * to date. Every write resolves only once this registry has read it back, so a `get` after a
 * `publish` or a `promote` sees it.
 */
export class ModelRegistry {
  private readonly versions = new Map<string, Map<string, ModelVersion>>();
  private readonly champions = new Map<string, Champion>();
  private readonly applied = new Map<number, bigint>();
  private readonly watchers = new Set<Watcher>();
  private readonly producer: KafkaProducer;
  private readonly chunkProducer: KafkaProducer;
  private readonly artifacts: ArtifactStore;
  private readonly follower: Follower<typeof ModelPublishedSchema>;
  private readonly now: () => number;
  private started = false;

  constructor(
    private readonly kafka: KafkaPlatform,
    private readonly options: ModelRegistryOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.producer = kafka.producer();
    this.chunkProducer = kafka.producer({ maxBatchRecords: 1, lingerMs: 0 });
    this.artifacts = new ArtifactStore(kafka, this.chunkProducer, {
      cacheDir: options.cacheDir,
      readTimeoutMs: options.artifactReadTimeoutMs,
      onWarning: (message) => this.report(new Error(message), 'artifact cache'),
    });
    this.follower = kafka.follower({
      topic: kafka.topics.modelsPublished,
      groupPrefix: `${options.groupPrefix}-models`,
      stage: options.stage ?? options.groupPrefix,
      deadLetters: this.producer,
      catchUpTimeoutMs: options.catchUpTimeoutMs,
      handle: (records) => {
        for (const r of records) this.apply(r);
        return Promise.resolve();
      },
    });
  }

  /** Connects, reads models.published.v1 from its beginning and resolves once caught up (then keeps following). */
  async start(): Promise<CatchUp> {
    await Promise.all([this.producer.connect(), this.chunkProducer.connect()]);
    const catchUp = await this.follower.start();
    if (!catchUp.caughtUp) {
      await this.stop();
      throw new UnavailableError(`${this.kafka.topics.modelsPublished.name}: not caught up within ${catchUp.waitedMs} ms`);
    }
    this.started = true;
    // Watchers registered before start get the champion as of now, not each pointer of the catch-up.
    for (const w of this.watchers) {
      const current = this.champions.get(w.model);
      if (current) this.notify(w, current);
    }
    return catchUp;
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const w of this.watchers) w.active = false;
    this.watchers.clear();
    await this.follower.stop();
    await Promise.all([this.producer.disconnect(), this.chunkProducer.disconnect()]);
  }

  /** Model names with at least one version or a champion, sorted. */
  models(): string[] {
    return [...new Set([...this.versions.keys(), ...this.champions.keys()])].sort();
  }

  /** A model's versions, oldest first (by creation time, then name). */
  list(model: string): ModelVersion[] {
    return [...(this.versions.get(model)?.values() ?? [])].sort(compareVersions);
  }

  /** One version; undefined when the registry has none of that name. */
  get(model: string, version: string): ModelVersion | undefined {
    return this.versions.get(model)?.get(version);
  }

  /** The model's champion now; undefined when it has none. */
  champion(model: string): Champion | undefined {
    return this.champions.get(model);
  }

  /**
   * The champion a service on `featureDefinitionsVersion` may load: undefined when there is none;
   * IncompatibleModelError when the champion was trained on other feature definitions (serving
   * never falls back to an older model silently).
   */
  championFor(model: string, featureDefinitionsVersion: string): Champion | undefined {
    const champion = this.champions.get(model);
    if (champion) assertCompatible(champion, featureDefinitionsVersion);
    return champion;
  }

  /**
   * Stores the artifact (chunks, then manifest), writes the version record and, with
   * `{ champion: true }`, the champion pointer (the previous champion goes first in its history).
   * Resolves with the version record once this registry has read it back.
   */
  async publish(input: PublishInput, options: PublishOptions): Promise<ModelVersion> {
    this.assertStarted();
    assertModelName(input.model);
    if (input.version !== undefined) assertVersionName(input.version);
    for (const [name, value] of [['format', input.format], ['backend', input.backend]] as const) {
      if (typeof value !== 'string' || value.trim() === '') throw new InvalidInputError(`${name} is required (e.g. ${name === 'format' ? '"tfjs-layers/1"' : '"tensorflow"'})`, name);
    }
    if (!(input.artifact instanceof Uint8Array) || input.artifact.length === 0) throw new InvalidInputError('artifact must be non-empty bytes', 'artifact');
    for (const [name, value] of Object.entries(input.metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidInputError(`metric ${name} must be a finite number, got ${String(value)}`, `metrics.${name}`);
    }
    for (const name of ['holdoutFromMs', 'holdoutToMs'] as const) {
      if (!Number.isSafeInteger(input[name])) throw new InvalidInputError(`${name} must be a time in unix ms, got ${input[name]}`, name);
    }
    if (input.holdoutToMs < input.holdoutFromMs) throw new InvalidInputError(`the hold-out ends (${input.holdoutToMs}) before it starts (${input.holdoutFromMs})`, 'holdoutToMs');
    const createdAtMs = input.createdAtMs ?? this.now();
    if (!Number.isSafeInteger(createdAtMs)) throw new InvalidInputError(`createdAtMs must be a time in unix ms, got ${createdAtMs}`, 'createdAtMs');
    if (input.comparedToVersion) assertVersionName(input.comparedToVersion);

    const sha256 = sha256Hex(input.artifact);
    const version = input.version ?? generateVersion(createdAtMs, sha256);
    const existing = this.get(input.model, version);
    if (existing) {
      if (existing.artifact.sha256 !== sha256) {
        throw new InvalidInputError(`${input.model}/${version} exists with another artifact (${existing.artifact.sha256}): versions never change; publish a new version`, 'version');
      }
      if (options.champion && this.champion(input.model)?.version !== version) await this.promote(input.model, version, { reason: options.reason });
      return existing;
    }

    // The same bytes already stored (another version, a retry): point at them instead of writing them again.
    const stored = this.findArtifact(sha256);
    const written = stored ?? (await this.artifacts.write(input.artifact));
    const record: ModelVersion = {
      model: input.model,
      version,
      createdAtMs,
      metrics: { ...input.metrics },
      featureDefinitionsVersion: input.featureDefinitionsVersion,
      backend: input.backend,
      holdoutFromMs: input.holdoutFromMs,
      holdoutToMs: input.holdoutToMs,
      comparedToVersion: input.comparedToVersion ?? '',
      wonWhenPublished: options.champion,
      artifact: { ...written, format: input.format },
    };
    const topic = this.kafka.topics.modelsPublished;
    const records = [topic.record(versionRecord(record), { key: versionKey(record.model, version) })];
    if (options.champion) records.push(topic.record(championRecord(this.pointerTo(record, options.reason ?? 'published as champion')), { key: championKey(record.model) }));
    await this.write(records);
    return this.get(record.model, version) ?? record;
  }

  /** Makes `version` the champion (the current one goes first in the history); a no-op when it already is. */
  async promote(model: string, version: string, options: { reason?: string } = {}): Promise<Champion> {
    this.assertStarted();
    assertModelName(model);
    assertVersionName(version);
    const record = this.get(model, version);
    if (!record) throw new NotFoundError(`${model}/${version} is not in the registry (${this.list(model).length} versions of ${model}: clickwise models list ${model})`);
    const current = this.champion(model);
    if (current?.version === version) return current;
    await this.writePointer(this.pointerTo(record, options.reason ?? 'promoted by the operator'));
    return this.champion(model)!;
  }

  /** Makes the previous champion the champion again (it leaves the history); NotFoundError when there is none. */
  async rollback(model: string): Promise<Champion> {
    this.assertStarted();
    assertModelName(model);
    const current = this.champion(model);
    if (!current) throw new NotFoundError(`${model} has no champion to roll back`);
    const [previous, ...earlier] = current.previousChampions;
    if (previous === undefined) throw new NotFoundError(`${model} has no earlier champion to roll back to (champion ${current.version} is the first)`);
    const record = this.get(model, previous);
    if (!record) throw new NotFoundError(`${model}/${previous}, the previous champion, is no longer in the registry`);
    await this.writePointer({
      ...record,
      previousChampions: earlier,
      promotedAtMs: this.now(),
      promotedBy: this.options.by ?? this.options.groupPrefix,
      reason: `rollback from ${current.version}`,
    });
    return this.champion(model)!;
  }

  /** The artifact's bytes, verified against its SHA-256 (CorruptArtifactError, MissingArtifactError otherwise). */
  readArtifact(record: ModelVersion): Promise<Uint8Array> {
    return this.artifacts.read(record.artifact, `${record.model}/${record.version}`);
  }

  /**
   * Calls `callback` with the model's champion now (when it has one; for a watch registered before
   * `start`, once caught up) and after every change of it, one call at a time in order (an async
   * callback — loading the artifact — finishes before the next starts); a callback that throws is
   * reported to `onError` and the watch goes on.
   */
  watchChampion(model: string, callback: (champion: Champion) => void | Promise<void>): Unwatch {
    const watcher: Watcher = { model, callback, chain: Promise.resolve(), active: true };
    this.watchers.add(watcher);
    const current = this.champions.get(model);
    if (current && this.started) this.notify(watcher, current);
    return () => {
      watcher.active = false;
      this.watchers.delete(watcher);
    };
  }

  private pointerTo(record: ModelVersion, reason: string): Champion {
    const current = this.champion(record.model);
    const history = current ? [current.version, ...current.previousChampions].filter((v) => v !== record.version) : [];
    return {
      ...record,
      previousChampions: history.slice(0, CHAMPION_HISTORY),
      promotedAtMs: this.now(),
      promotedBy: this.options.by ?? this.options.groupPrefix,
      reason,
    };
  }

  private writePointer(champion: Champion): Promise<void> {
    const topic = this.kafka.topics.modelsPublished;
    return this.write([topic.record(championRecord(champion), { key: championKey(champion.model) })]);
  }

  /** Sends, then waits until the follower has applied everything up to the topic's end. */
  private async write(records: OutgoingRecord[]): Promise<void> {
    const topic = this.kafka.topics.modelsPublished;
    await this.producer.send(topic, records);
    const ends = await this.kafka.admin.endOffsets(topic);
    const deadline = Date.now() + (this.options.writeTimeoutMs ?? 30_000);
    const readBack = () => [...ends].every(([p, end]) => (this.applied.get(p) ?? 0n) >= end);
    while (!readBack()) {
      if (Date.now() > deadline) throw new UnavailableError(`${topic.name}: the write was acknowledged but not read back within ${this.options.writeTimeoutMs ?? 30_000} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private findArtifact(sha256: string): Omit<ModelVersion['artifact'], 'format'> | undefined {
    for (const versions of this.versions.values()) {
      for (const v of versions.values()) {
        if (v.artifact.sha256 === sha256 && v.artifact.chunks > 0) {
          const { format: _format, ...where } = v.artifact;
          return where;
        }
      }
    }
    return undefined;
  }

  private apply(r: ConsumedRecord<typeof ModelPublishedSchema>): void {
    this.applied.set(r.partition, BigInt(r.offset) + 1n);
    const key = r.key === null ? undefined : parseKey(r.key);
    if (!key) {
      this.report(new Error(`${r.topic}@${r.offset}: key ${JSON.stringify(r.key)} is not <model>/<version>: skipped`), 'record');
      return;
    }
    const tombstone = r.raw.length === 0;
    if (key.version === CHAMPION) {
      if (tombstone) {
        this.champions.delete(key.model);
        return;
      }
      const before = this.champions.get(key.model);
      const champion = { ...championOf(r.value), model: key.model };
      this.champions.set(key.model, champion);
      if (this.started && (!before || before.version !== champion.version || before.promotedAtMs !== champion.promotedAtMs)) {
        for (const w of this.watchers) if (w.model === key.model) this.notify(w, champion);
      }
      return;
    }
    let versions = this.versions.get(key.model);
    if (tombstone) {
      versions?.delete(key.version);
      if (versions?.size === 0) this.versions.delete(key.model);
      return;
    }
    if (!versions) this.versions.set(key.model, (versions = new Map<string, ModelVersion>()));
    versions.set(key.version, { ...versionOf(r.value), model: key.model, version: key.version });
  }

  private notify(watcher: Watcher, champion: Champion): void {
    watcher.chain = watcher.chain.then(async () => {
      if (!watcher.active) return;
      try {
        await watcher.callback(champion);
      } catch (error) {
        this.report(error, `watchChampion(${watcher.model}) callback`);
      }
    });
  }

  private report(error: unknown, what: string): void {
    this.options.onError?.(error, { what });
  }

  private assertStarted(): void {
    if (!this.started) throw new UnavailableError('the model registry is not started (await registry.start() first)');
  }
}
