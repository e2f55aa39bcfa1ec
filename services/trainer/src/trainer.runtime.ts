import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ErasureList } from '@clickwise/features';
import type { KafkaConnection } from '@clickwise/kafka';
import type { ModelRegistry } from '@clickwise/model-registry';
import { ErasureFollower } from '@clickwise/privacy';
import type { RedisClient, RedisKeys } from '@clickwise/redis';
import { log, logger } from '@clickwise/service';
import type { TrainerConfig } from './config.js';
import { captureHistory, type KafkaEventHistory } from './history.js';
import type { JobContext, TrainingJob } from './job.js';
import type { HeldLease, LeaseHolder, RedisLease } from './lease.js';
import type { TrainerMetrics } from './trainer.metrics.js';
import {
  backoffUntil,
  eventsSince,
  mayNeedModel,
  parseState,
  triggerFor,
  type JobSummary,
  type RunOutcome,
  type RunSummary,
  type TrainerState,
  type Trigger,
  type TriggerInput,
} from './triggers.js';

/** This replica's default name: host, pid and a random suffix. */
export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Raised when a run cannot start now (another runs, or there are no jobs); the ops endpoint answers 409. */
export class RunRefused extends Error {
  constructor(
    message: string,
    readonly code: 'running' | 'lease_held' | 'no_jobs',
    readonly holder?: LeaseHolder,
  ) {
    super(message);
    this.name = 'RunRefused';
  }
}

/** The run in progress on this replica. */
interface CurrentRun {
  runId: string;
  token: number;
  trigger: Trigger;
  startedAtMs: number;
  events: number;
  ends: Record<string, string>;
  job?: string;
  progress: Record<string, { stage: string; done: number; total: number; note?: string }>;
  done?: Promise<RunSummary>;
}

/** What the last check saw (for /status and the quiet test). */
interface LastCheck {
  atMs: number;
  ends: Record<string, string>;
  logSize: number;
  eventsSinceTrained: number;
  trigger?: Trigger;
}

const endsRecord = (ends: ReadonlyMap<number, bigint>): Record<string, string> => Object.fromEntries([...ends].map(([p, o]) => [String(p), o.toString()]));
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Decides when to train and runs the jobs, one run at a time across replicas. Every replica checks
 * the triggers every TRAINER_CHECK_MS (N new events since the last successful run, the schedule,
 * a job without a model once the topic stopped growing); the one that takes the Redis lease
 * checks again under it, captures the topic's end offsets, runs every job on the history up to
 * them, and writes the new trained offsets and the run only while it still holds the lease.
 */
export class TrainerRuntime {
  private readonly startedAtMs = Date.now();
  private readonly shutdown = new AbortController();
  private readonly erasureList = new ErasureList();
  private erasures: ErasureFollower | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private current: CurrentRun | undefined;
  private lastCheck: LastCheck | undefined;
  private lastLocal: RunSummary | undefined;
  private stopped = false;
  running = false;

  constructor(
    private readonly config: TrainerConfig,
    private readonly connection: KafkaConnection,
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly lease: RedisLease,
    readonly jobs: readonly TrainingJob[],
    private readonly metrics: TrainerMetrics,
    private readonly registry: ModelRegistry,
  ) {}

  get instanceId(): string {
    return this.lease.instanceId;
  }

  /** Reads every erasure (caught up before any run), then starts checking the triggers (the first check at once). */
  async start(): Promise<void> {
    this.erasures = new ErasureFollower(this.connection.kafka, {
      groupPrefix: this.config.groupId,
      stage: 'trainer',
      deadLetters: this.connection.producer,
      catchUpTimeoutMs: this.config.erasureCatchUpMs,
      apply: (erasure) => {
        this.erasureList.add(erasure.shopperKey, erasure.requestedAtMs);
        return Promise.resolve();
      },
      onError: (error) => log('warn', 'erasure handling failed; retrying', { error: String(error) }),
    });
    const catchUp = await this.erasures.start();
    if (!catchUp.caughtUp) log('warn', 'erasures not caught up in time; runs may still see erased shoppers until they are');
    for (const job of this.jobs) await job.start?.();
    if (this.jobs.length === 0) log('warn', 'no training jobs: the trainer checks nothing and runs nothing');
    else log('info', 'training jobs', { jobs: this.jobs.map((j) => j.name), instanceId: this.instanceId });
    this.running = true;
    this.schedule(0);
  }

  /** Stops checking, aborts the run in progress (reason: shutdown) and waits for it to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.shutdown.abort(new Error('the trainer is shutting down'));
    await this.checking;
    await this.current?.done?.catch(() => undefined);
    await this.erasures?.stop().catch((error: unknown) => log('warn', 'erasures consumer did not stop cleanly', { error: String(error) }));
    for (const job of this.jobs) await job.close?.().catch((error: unknown) => log('warn', 'job did not close cleanly', { job: job.name, error: String(error) }));
  }

  private schedule(ms: number): void {
    if (this.stopped || this.jobs.length === 0) return;
    this.timer = setTimeout(() => {
      this.checking = this.check()
        .catch((error: unknown) => {
          this.metrics.checkErrors.inc();
          log('warn', 'trigger check failed; checking again later', { error: errorText(error) });
        })
        .finally(() => {
          this.checking = undefined;
          this.schedule(this.config.checkMs);
        });
    }, ms);
  }

  private async readState(): Promise<TrainerState> {
    return parseState(await this.redis.get(this.keys.trainerState()));
  }

  /** The trigger that fires now, with what was looked at. */
  private async evaluate(previousEnds: Record<string, string> | undefined): Promise<{ trigger?: Trigger; history: KafkaEventHistory; state: TrainerState; check: LastCheck }> {
    const [history, state] = await Promise.all([this.capture(), this.readState()]);
    const ends = endsRecord(history.ends);
    const nowMs = Date.now();
    const input: Omit<TriggerInput, 'needsModel'> = {
      nowMs,
      backoffUntilMs: backoffUntil(state, this.config.retryAfterMs),
      eventsSinceTrained: eventsSince(state.trainedOffsets, history.ranges),
      retrainAfterEvents: this.config.retrainAfterEvents,
      scheduleDueAtMs: (state.lastRun?.startedAtMs ?? this.startedAtMs) + this.config.intervalMs,
      logSize: history.size,
      quiet: previousEnds !== undefined && JSON.stringify(previousEnds) === JSON.stringify(ends),
    };
    let trigger = triggerFor({ ...input, needsModel: false });
    if (trigger === undefined && mayNeedModel(input) && (await this.anyNeedsModel())) trigger = 'no-model';
    const check = { atMs: nowMs, ends, logSize: history.size, eventsSinceTrained: input.eventsSinceTrained, ...(trigger ? { trigger } : {}) };
    return { ...(trigger ? { trigger } : {}), history, state, check };
  }

  private async anyNeedsModel(): Promise<boolean> {
    for (const job of this.jobs) if (await job.needsModel(this.shutdown.signal)) return true;
    return false;
  }

  private capture(): Promise<KafkaEventHistory> {
    return captureHistory(this.connection.kafka, {
      timeoutMs: this.config.readTimeoutMs,
      ...(this.config.historyMs === undefined ? {} : { sinceMs: Date.now() - this.config.historyMs }),
    });
  }

  /** One trigger check: when a trigger fires, take the lease, check again under it, and run. */
  private async check(): Promise<void> {
    if (this.current || this.stopped) return;
    const first = await this.evaluate(this.lastCheck?.ends);
    this.lastCheck = first.check;
    this.metrics.eventsSinceTrained.set(first.check.eventsSinceTrained);
    if (!first.trigger) return;
    const held = await this.lease.acquire();
    if (!held) return;
    // Another replica may have finished a run between the check and the lease: decide again.
    let again: Awaited<ReturnType<TrainerRuntime['evaluate']>>;
    try {
      again = await this.evaluate(first.check.ends);
    } catch (error) {
      await held.release().catch(() => undefined);
      throw error;
    }
    if (!again.trigger || this.stopped) {
      await held.release();
      return;
    }
    this.begin(held, again.trigger, again.history, again.state);
  }

  /** POST /ops/train: a run now, whatever the triggers say (refused while one runs anywhere). */
  async trainNow(): Promise<{ runId: string; token: number; events: number; ends: Record<string, string> }> {
    if (this.jobs.length === 0) throw new RunRefused('this trainer has no training jobs', 'no_jobs');
    if (this.stopped) throw new RunRefused('the trainer is shutting down', 'running');
    if (this.current) throw new RunRefused(`a run is under way on this replica (${this.current.runId})`, 'running');
    const held = await this.lease.acquire();
    if (!held) {
      const holder = await this.lease.holder();
      throw new RunRefused(holder ? `a run is under way on ${holder.instanceId} (token ${holder.token})` : 'the lease was just taken; try again', 'lease_held', holder);
    }
    try {
      const [history, state] = await Promise.all([this.capture(), this.readState()]);
      const run = this.begin(held, 'manual', history, state);
      return { runId: run.runId, token: run.token, events: run.events, ends: run.ends };
    } catch (error) {
      await held.release().catch(() => undefined);
      throw error;
    }
  }

  private begin(held: HeldLease, trigger: Trigger, history: KafkaEventHistory, state: TrainerState): CurrentRun {
    const runId = `${this.instanceId}-${held.token}`;
    const run: CurrentRun = {
      runId,
      token: held.token,
      trigger,
      startedAtMs: Date.now(),
      events: history.size,
      ends: endsRecord(history.ends),
      progress: {},
    };
    this.current = run;
    this.metrics.running.set(1);
    log('info', 'run started', { runId, token: held.token, trigger, events: history.size, ends: run.ends });
    run.done = this.execute(run, held, history, state).finally(() => {
      this.current = undefined;
      this.metrics.running.set(0);
    });
    return run;
  }

  private async execute(run: CurrentRun, held: HeldLease, history: KafkaEventHistory, state: TrainerState): Promise<RunSummary> {
    const signal = AbortSignal.any([held.signal, this.shutdown.signal]);
    const jobs: JobSummary[] = [];
    let error: string | undefined;
    for (const job of this.jobs) {
      if (signal.aborted) break;
      const started = performance.now();
      run.job = job.name;
      const ctx: JobContext = {
        signal,
        history,
        erasures: this.erasureList,
        runId: run.runId,
        fencingToken: held.token,
        stillLeader: () => held.stillHeld(),
        progress: (stage, done, total, note) => {
          run.progress[job.name] = { stage, done, total, ...(note === undefined ? {} : { note }) };
          logger.debug('progress', { runId: run.runId, job: job.name, stage, done, total, note });
        },
      };
      try {
        const result = await job.run(ctx);
        jobs.push({ name: job.name, ok: true, seconds: (performance.now() - started) / 1000, ...result });
        log('info', 'job finished', { runId: run.runId, job: job.name, outcome: result.outcome, eventsTrainedOn: result.eventsTrainedOn, version: result.version, champion: result.champion, metrics: result.metrics });
      } catch (thrown) {
        const reason = signal.aborted ? `stopped: ${errorText(signal.reason)}` : errorText(thrown);
        jobs.push({ name: job.name, ok: false, seconds: (performance.now() - started) / 1000, error: reason });
        if (!signal.aborted) {
          this.metrics.jobErrors.inc({ job: job.name });
          log('error', 'job failed', { runId: run.runId, job: job.name, reason, stack: thrown instanceof Error ? thrown.stack : undefined });
        }
      }
    }
    let outcome: RunOutcome = signal.aborted ? 'aborted' : jobs.every((j) => j.ok) ? 'ok' : 'failed';
    if (signal.aborted) error = errorText(signal.reason);
    const summary: RunSummary = {
      runId: run.runId,
      token: run.token,
      instanceId: this.instanceId,
      trigger: run.trigger,
      startedAtMs: run.startedAtMs,
      endedAtMs: Date.now(),
      outcome,
      events: run.events,
      ends: run.ends,
      jobs,
      ...(error === undefined ? {} : { error }),
    };
    const next: TrainerState = {
      trainedOffsets: outcome === 'ok' ? run.ends : state.trainedOffsets,
      ...(outcome === 'ok' ? { lastSuccess: summary } : state.lastSuccess ? { lastSuccess: state.lastSuccess } : {}),
      lastRun: summary,
    };
    if (!held.lost) {
      try {
        // Fenced: a holder that stalled past its lease cannot overwrite a later holder's state.
        if (!(await held.writeIfHeld(this.keys.trainerState(), JSON.stringify(next)))) outcome = 'aborted';
      } catch (thrown) {
        outcome = 'failed';
        log('error', 'could not record the run in Redis', { runId: run.runId, reason: errorText(thrown) });
      }
    }
    if (held.lost) {
      outcome = 'aborted';
      this.metrics.leaseLost.inc();
      log('error', 'run lost its lease: its result is not recorded', { runId: run.runId, reason: errorText(held.signal.reason) });
    }
    summary.outcome = outcome;
    await held.release().catch((thrown: unknown) => log('warn', 'could not release the lease (it lapses by itself)', { error: errorText(thrown) }));
    const seconds = (summary.endedAtMs - summary.startedAtMs) / 1000;
    this.metrics.runs.inc({ trigger: run.trigger, outcome });
    this.metrics.runDuration.observe({ outcome }, seconds);
    this.metrics.lastRunStart.set(summary.startedAtMs / 1000);
    this.metrics.lastRunEnd.set(summary.endedAtMs / 1000);
    this.metrics.lastRunEvents.set(summary.events);
    this.lastLocal = summary;
    log(outcome === 'ok' ? 'info' : 'warn', 'run finished', { runId: run.runId, trigger: run.trigger, outcome, seconds, events: summary.events, failedJobs: jobs.filter((j) => !j.ok).map((j) => j.name), error });
    return summary;
  }

  /** What GET /status shows: this replica, the lease holder, the persisted state and the triggers. */
  async status(): Promise<Record<string, unknown>> {
    const [state, holder] = await Promise.all([this.readState(), this.lease.holder()]);
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    const run = this.current;
    const backoff = backoffUntil(state, this.config.retryAfterMs);
    return {
      instanceId: this.instanceId,
      jobs: this.jobs.map((j) => j.name),
      triggers: {
        intervalMs: this.config.intervalMs,
        retrainAfterEvents: this.config.retrainAfterEvents,
        checkMs: this.config.checkMs,
        leaseMs: this.config.leaseMs,
        retryAfterMs: this.config.retryAfterMs,
        nextScheduledAt: iso((state.lastRun?.startedAtMs ?? this.startedAtMs) + this.config.intervalMs),
        backoffUntil: backoff > Date.now() ? iso(backoff) : null,
      },
      running: run
        ? { runId: run.runId, token: run.token, trigger: run.trigger, startedAt: iso(run.startedAtMs), events: run.events, ends: run.ends, job: run.job ?? null, progress: run.progress }
        : null,
      lock: holder ? { holder: holder.instanceId, token: holder.token, ttlMs: holder.ttlMs } : null,
      champions: Object.fromEntries(this.registry.models().map((model) => [model, this.registry.champion(model)?.version ?? null])),
      lastCheck: this.lastCheck ? { at: iso(this.lastCheck.atMs), ends: this.lastCheck.ends, logSize: this.lastCheck.logSize, eventsSinceTrained: this.lastCheck.eventsSinceTrained, trigger: this.lastCheck.trigger ?? null } : null,
      trainedOffsets: state.trainedOffsets,
      lastRun: state.lastRun ? present(state.lastRun) : null,
      lastSuccess: state.lastSuccess ? present(state.lastSuccess) : null,
      lastRunHere: this.lastLocal ? present(this.lastLocal) : null,
    };
  }
}

/** A run summary with ISO times and its duration, for /status. */
function present(run: RunSummary): Record<string, unknown> {
  return { ...run, startedAt: new Date(run.startedAtMs).toISOString(), endedAt: new Date(run.endedAtMs).toISOString(), seconds: (run.endedAtMs - run.startedAtMs) / 1000 };
}
