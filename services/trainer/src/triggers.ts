import type { HistoryRange } from './job.js';

/** Why a run started. */
export type Trigger = 'no-model' | 'events' | 'schedule' | 'manual';

/** How a run ended: every job completed, one or more threw, or it stopped early (lease lost, shutdown). */
export type RunOutcome = 'ok' | 'failed' | 'aborted';

/** One job's part of a run. */
export interface JobSummary {
  name: string;
  ok: boolean;
  seconds: number;
  outcome?: 'published' | 'skipped';
  eventsTrainedOn?: number;
  version?: string;
  champion?: boolean;
  metrics?: Readonly<Record<string, number>>;
  note?: string;
  error?: string;
}

/** A finished run, as persisted and shown on /status. */
export interface RunSummary {
  runId: string;
  token: number;
  instanceId: string;
  trigger: Trigger;
  startedAtMs: number;
  endedAtMs: number;
  outcome: RunOutcome;
  /** Records in the run's history. */
  events: number;
  /** The end offsets the history was read up to, per partition. */
  ends: Record<string, string>;
  jobs: JobSummary[];
  error?: string;
}

/**
 * What the trainer persists (Redis `{p}trainer:state`, written only by the lease holder): the end
 * offsets the last successful run trained up to, that run, and the last run whatever its outcome.
 */
export interface TrainerState {
  trainedOffsets: Record<string, string>;
  lastSuccess?: RunSummary;
  lastRun?: RunSummary;
}

export const EMPTY_STATE: TrainerState = { trainedOffsets: {} };

/** Parses the persisted state; anything unreadable counts as no state (every event is then new). */
export function parseState(raw: string | null): TrainerState {
  if (raw === null) return EMPTY_STATE;
  try {
    const value = JSON.parse(raw) as Partial<TrainerState>;
    if (typeof value !== 'object' || value === null || typeof value.trainedOffsets !== 'object' || value.trainedOffsets === null) return EMPTY_STATE;
    return value as TrainerState;
  } catch {
    return EMPTY_STATE;
  }
}

/**
 * Events on the topic after the offsets trained up to: per partition, its end minus the trained
 * offset (the log's start where none was trained, or where retention already removed it).
 */
export function eventsSince(trained: Readonly<Record<string, string>>, log: readonly HistoryRange[]): number {
  let sum = 0n;
  for (const r of log) {
    const raw = trained[String(r.partition)];
    let from = raw === undefined ? r.from : BigInt(raw);
    if (from < r.from) from = r.from;
    if (r.until > from) sum += r.until - from;
  }
  return Number(sum);
}

/** The inputs of one trigger decision. */
export interface TriggerInput {
  nowMs: number;
  /** After a failed run, automatic triggers wait until then. */
  backoffUntilMs: number;
  eventsSinceTrained: number;
  retrainAfterEvents: number;
  /** When the schedule is due: the last run's start (the service's start before any) plus the interval. */
  scheduleDueAtMs: number;
  /** Records on the topic now (nothing to train on when 0). */
  logSize: number;
  /** Whether the topic's ends are where they were at the previous check (a replay has finished). */
  quiet: boolean;
  /** Whether a job has no model yet (asked only when it could matter: see `mayNeedModel`). */
  needsModel: boolean;
}

/** Whether asking the jobs for a missing model can start a run now (asking may read the registry). */
export function mayNeedModel(input: Omit<TriggerInput, 'needsModel'>): boolean {
  return input.nowMs >= input.backoffUntilMs && input.eventsSinceTrained > 0 && input.quiet;
}

/**
 * The trigger that starts a run now, if any: N new events since the last successful run, the
 * schedule, or a job without a model once new events stopped arriving. None while backing off
 * after a failed run (POST /ops/train still starts one).
 */
export function triggerFor(input: TriggerInput): Trigger | undefined {
  if (input.nowMs < input.backoffUntilMs) return undefined;
  if (input.eventsSinceTrained >= input.retrainAfterEvents) return 'events';
  if (input.nowMs >= input.scheduleDueAtMs && input.logSize > 0) return 'schedule';
  if (input.needsModel && mayNeedModel(input)) return 'no-model';
  return undefined;
}

/**
 * When automatic triggers may fire again after the last run: its end plus the retry delay when a
 * job failed (so a job that fails on this data does not run again at every check); at once after
 * a run that succeeded or was stopped (shutdown, lost lease).
 */
export function backoffUntil(state: TrainerState, retryAfterMs: number): number {
  const last = state.lastRun;
  return last && last.outcome === 'failed' ? last.endedAtMs + retryAfterMs : 0;
}
