import { toFeatureEvent } from '@clickwise/features';
import type { ModelRegistry } from '@clickwise/model-registry';
import type { BackendChoice } from '@clickwise/tf';
import {
  ARTIFACT_FORMAT,
  arraySource,
  evaluateOnHoldout,
  trainPurchaseModel,
  type BinaryMetrics,
  type SourceEvent,
  type TrainPurchaseOptions,
} from '@clickwise/training';
import { publishChallenger, startTensorflow } from './challenge.js';
import { servingEngine } from './engine.js';
import type { JobContext, JobResult, TrainingJob } from './job.js';

/** The purchase-propensity model's name in the registry (`propensity/<version>`, `propensity/champion`). */
export const PROPENSITY_MODEL = 'propensity';

/** The metric a new model must beat the champion on, both scored on the new run's hold-out. */
export const PROPENSITY_CHAMPION_METRIC = 'roc_auc';

/** The registry's metrics of a run: point estimates, their 95% interval bounds, and the counts. */
export function registryMetrics(m: BinaryMetrics): Record<string, number> {
  const out: Record<string, number> = { examples: m.examples, positives: m.positives, sessions: m.sessions, positive_sessions: m.positiveSessions };
  for (const name of ['roc_auc', 'pr_auc', 'log_loss', 'ece', 'precision_at_1pct', 'precision_at_5pct'] as const) {
    out[name] = m[name].value;
    out[`${name}_low`] = m[name].low;
    out[`${name}_high`] = m[name].high;
  }
  return out;
}

export interface PurchaseJobOptions {
  backend?: BackendChoice;
  /** Bootstrap resamples of the intervals (default: the pipeline's). */
  bootstrapReps?: number;
}

/**
 * Trains the purchase-propensity model on the run's history (libs/training: point-in-time
 * training set through the offline executor, time split, LR and MLP, Platt calibration; ADR 0052,
 * 0053), re-scores the current champion on the same hold-out, and publishes the new version —
 * champion only when it beats the current one there (or there is none, or the current one reads
 * other feature definitions and so can no longer be served).
 */
export class PurchaseJob implements TrainingJob {
  readonly name = PROPENSITY_MODEL;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly options: PurchaseJobOptions = {},
  ) {}

  /** Loads TensorFlow.js once at start and says which backend really runs (ADR 0050). */
  start(): Promise<void> {
    return startTensorflow(this.name, this.options.backend);
  }

  needsModel(): Promise<boolean> {
    return Promise.resolve(this.registry.champion(PROPENSITY_MODEL) === undefined);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const records = await ctx.history.records();
    const events: SourceEvent[] = records.map((r) => ({ event: toFeatureEvent(r.value), partition: r.partition, seq: Number(r.offset) }));
    // What the events carry decides which features exist: a storefront that sends no prices has
    // price features absent, not zero (ADR 0052).
    const capabilities = { price: events.some((e) => e.event.price !== undefined), category: events.some((e) => e.event.categoryId !== '') };
    const trainOptions: TrainPurchaseOptions = {
      engine: await servingEngine(this.registry),
      erasures: ctx.erasures,
      onProgress: (stage, done, total, note) => ctx.progress(stage, done, total, note),
      ...(this.options.backend ? { backend: this.options.backend } : {}),
      ...(this.options.bootstrapReps === undefined ? {} : { bootstrapReps: this.options.bootstrapReps }),
    };
    const result = await trainPurchaseModel(arraySource(ctx.history.topic, events, capabilities), trainOptions);
    ctx.signal.throwIfAborted();

    const { bounds } = result.split;
    const holdoutFromMs = bounds.testFromMs;
    const metrics = registryMetrics(result.metrics);
    const { published, decision } = await publishChallenger(this.registry, ctx, {
      model: PROPENSITY_MODEL,
      metric: PROPENSITY_CHAMPION_METRIC,
      metrics,
      holdoutFromMs,
      holdoutToMs: result.trainingSet.timesMs.reduce((a, b) => Math.max(a, b), holdoutFromMs),
      artifact: result.artifact,
      format: ARTIFACT_FORMAT,
      featureDefinitionsVersion: result.featureDefinitionsVersion,
      trainedOn: result.backend,
      rescore: (champion) => registryMetrics(evaluateOnHoldout(result.trainingSet, champion, { bounds })),
    });
    return {
      outcome: 'published',
      eventsTrainedOn: events.length,
      version: published.version,
      champion: decision.champion,
      metrics,
      note: `${result.model.model} on ${result.backend}: ${decision.reason}`,
    };
  }
}
