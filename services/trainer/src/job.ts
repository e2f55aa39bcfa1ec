import type { EventSchema } from '@clickwise/contracts';
import type { ErasureList } from '@clickwise/features';
import type { ConsumedRecord, KafkaPlatform, KafkaProducer } from '@clickwise/kafka';
import type { ModelRegistry } from '@clickwise/model-registry';
import type { TrainerConfig } from './config.js';

/** One partition of the history: offsets `from` (inclusive) to `until` (exclusive). */
export interface HistoryRange {
  partition: number;
  from: bigint;
  until: bigint;
}

/**
 * The events a run trains on: clickstream.events.v1 from the start of the retained log (or of
 * TRAINER_HISTORY_MS) to the end offsets captured when the run started. Read from Kafka on the
 * first call of `records()` and shared by every job of the run.
 */
export interface EventHistory {
  /** The topic's full name. */
  readonly topic: string;
  readonly ranges: readonly HistoryRange[];
  /** Records in the ranges (end minus start, summed). */
  readonly size: number;
  /** Each partition in offset order, the partitions one after another (as KafkaAdmin.readTopic gives them). */
  records(): Promise<readonly ConsumedRecord<typeof EventSchema>[]>;
}

/** What a job is handed for one run. */
export interface JobContext {
  /** Aborts when the run must stop: the lease was lost, or the service shuts down (reason: an Error). */
  signal: AbortSignal;
  /** Reports progress (shown on /status and logged at debug). */
  progress(stage: string, done: number, total: number, note?: string): void;
  history: EventHistory;
  /** Shoppers to forget (privacy.erasures.v1, caught up before the run started); training skips their events. */
  erasures: ErasureList;
  /** This run's id (`<instance>-<token>`) and its lease's fencing token (larger for every later run). */
  runId: string;
  fencingToken: number;
  /** Whether this replica still holds the run lease: ask right before publishing anything. */
  stillLeader(): Promise<boolean>;
}

/** What a job reports when its run completed. */
export interface JobResult {
  /** `published`: a new version went out (`champion`: whether it became the champion); `skipped`: nothing to do. */
  outcome: 'published' | 'skipped';
  /** Events the job trained on (after its own filtering). */
  eventsTrainedOn: number;
  version?: string;
  champion?: boolean;
  metrics?: Readonly<Record<string, number>>;
  note?: string;
}

/** A training job the trainer runs (the purchase-propensity model, segments, text models...). */
export interface TrainingJob {
  /** Stable, short name: status, logs and the `job` metrics label. */
  readonly name: string;
  /**
   * Whether this job has no model to serve yet (no champion in the registry): the trainer then
   * trains as soon as the events topic has events it has not trained on and stopped growing.
   */
  needsModel(signal: AbortSignal): Promise<boolean>;
  /** Trains on `ctx.history`; throws to fail (the reason is logged and counted, the service stays up). */
  run(ctx: JobContext): Promise<JobResult>;
  /** Connects what the job holds (e.g. a registry catching up), once, before the first trigger check; a failure stops the start-up. */
  start?(): Promise<void>;
  /** Releases what the job holds (called once, at shutdown). */
  close?(): Promise<void>;
}

/**
 * What jobs may use from the service: its config, Kafka platform (topics under the prefix),
 * producer and the model registry (caught up with models.published.v1 before the first check;
 * `registry.champion(model)` answers `needsModel`, `registry.publish` publishes).
 */
export interface JobDeps {
  config: TrainerConfig;
  kafka: KafkaPlatform;
  producer: KafkaProducer;
  registry: ModelRegistry;
}

/** Builds the jobs a trainer process runs, from the service's connections. */
export type JobFactory = (deps: JobDeps) => TrainingJob[];
