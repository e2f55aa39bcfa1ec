import type { ModelRegistry } from '@clickwise/model-registry';
import type { JobContext, JobResult, TrainingJob } from '../job.js';

/** The model name the fixture publishes under. */
export const COUNTING_MODEL = 'event-count';

export interface CountingJobOptions {
  /** How long a run holds on after reading its history (ms), so tests can see it running. */
  holdMs?: number;
  /** How long a run waits before reading its history (ms), so tests can append events after the run started. */
  readDelayMs?: number;
}

/**
 * A test fixture, not a model: "trains" by counting the history's events and shoppers and
 * publishes the counts through the model registry as version `v<token>` of `event-count`, made
 * champion (metrics: the counts and the run's start and end), so tests read back from Kafka what
 * each run saw. It needs a model until the registry has a champion for it, and fails on a history
 * holding an event whose id starts with `fail-` (the error path).
 */
export class CountingJob implements TrainingJob {
  readonly name = COUNTING_MODEL;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly options: CountingJobOptions = {},
  ) {}

  needsModel(): Promise<boolean> {
    return Promise.resolve(this.registry.champion(COUNTING_MODEL) === undefined);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const startedAtMs = Date.now();
    await hold(this.options.readDelayMs ?? 0, ctx.signal);
    const records = await ctx.history.records();
    ctx.progress('count', 0, records.length);
    const shoppers = new Set<string>();
    for (const r of records) {
      if (r.value.eventId.startsWith('fail-')) throw new Error(`the history holds event ${r.value.eventId}, which this fixture refuses`);
      shoppers.add(r.key ?? '');
    }
    ctx.progress('count', records.length, records.length);
    await hold(this.options.holdMs ?? 0, ctx.signal);
    if (!(await ctx.stillLeader())) throw new Error('lost the lease before publishing');
    const version = `v${ctx.fencingToken}`;
    const metrics = { events: records.length, shoppers: shoppers.size, token: ctx.fencingToken, startedAtMs, endedAtMs: Date.now() };
    await this.registry.publish(
      {
        model: COUNTING_MODEL,
        version,
        artifact: new TextEncoder().encode(JSON.stringify({ runId: ctx.runId, ...metrics })),
        format: 'fixture-counts/1',
        metrics,
        featureDefinitionsVersion: '',
        backend: 'none',
        holdoutFromMs: startedAtMs,
        holdoutToMs: startedAtMs,
      },
      { champion: true, reason: `fixture run ${ctx.runId}` },
    );
    return { outcome: 'published', eventsTrainedOn: records.length, version, champion: true, metrics };
  }
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function hold(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
