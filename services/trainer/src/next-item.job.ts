import { EventType } from '@clickwise/contracts';
import { toFeatureEvent } from '@clickwise/features';
import type { ModelRegistry } from '@clickwise/model-registry';
import {
  evaluatePopularity,
  evaluateSequenceModel,
  loadSequenceModel,
  SEQUENCE_ARTIFACT_FORMAT,
  sessionsFromClicks,
  timeHoldout,
  trainSequenceModel,
  type NextItemMetrics,
  type SessionClick,
  type TrainSequenceOptions,
} from '@clickwise/sequence';
import { loadTensorflow, type BackendChoice } from '@clickwise/tf';
import { publishChallenger, startTensorflow } from './challenge.js';
import type { JobContext, JobResult, TrainingJob } from './job.js';

/** The next-item sequence model's name in the registry (`next-item/<version>`, `next-item/champion`). */
export const NEXT_ITEM_MODEL = 'next-item';

/** The metric a new model must beat the champion on, both scored on the new run's hold-out. */
export const NEXT_ITEM_CHAMPION_METRIC = 'hr@20';

/** Share of the sessions (the latest, by start time) held out to measure a run and compare it with the champion. */
export const NEXT_ITEM_HOLDOUT_FRACTION = 0.2;

/** Item interactions that make a session's sequence. */
const SEQUENCE_EVENTS = new Set<EventType>([EventType.PRODUCT_VIEW, EventType.ADD_TO_CART]);

export interface NextItemJobOptions {
  backend?: BackendChoice;
  /** Overrides of the training options (tests and small histories). */
  train?: Partial<TrainSequenceOptions>;
}

function registryMetrics(m: NextItemMetrics, pop: NextItemMetrics): Record<string, number> {
  return {
    'hr@20': m.hr20 / 100,
    'mrr@20': m.mrr20 / 100,
    'hr@10': m.hr10 / 100,
    'mrr@10': m.mrr10 / 100,
    popularity_hr20: pop.hr20 / 100,
    popularity_mrr20: pop.mrr20 / 100,
    cases: m.cases,
  };
}

/**
 * The session-based next-item model (libs/sequence, ADR 0093): sessions of product views and
 * adds to cart from the run's history (erased shoppers left out), the latest 20% of them (by
 * start time) held out; trained on the rest (its epoch chosen on the end of those), measured by
 * HR@20 / MRR@20 over every item beside popularity, and published — champion only when it beats
 * the current champion re-scored on the same hold-out cases (or there is none).
 */
export class NextItemJob implements TrainingJob {
  readonly name = NEXT_ITEM_MODEL;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly options: NextItemJobOptions = {},
  ) {}

  start(): Promise<void> {
    return startTensorflow(this.name, this.options.backend);
  }

  needsModel(): Promise<boolean> {
    return Promise.resolve(this.registry.champion(NEXT_ITEM_MODEL) === undefined);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const records = await ctx.history.records();
    const clicks: SessionClick[] = [];
    for (const r of records) {
      const e = toFeatureEvent(r.value);
      if (!SEQUENCE_EVENTS.has(e.type) || e.itemId === '' || ctx.erasures.covers(e.shopperKey, e.timeMs)) continue;
      clicks.push({ sessionKey: `${e.shopperKey}\u0000${e.sessionId}`, itemId: e.itemId, timeMs: e.timeMs });
    }
    const holdout = timeHoldout(sessionsFromClicks(clicks), NEXT_ITEM_HOLDOUT_FRACTION);
    if (holdout.cases.length === 0) throw new Error('the next-item hold-out has no case whose item appears in training');
    const tf = await loadTensorflow(this.options.backend ? { backend: this.options.backend } : {});
    const examples = holdout.train.reduce((n, s) => n + s.length - 1, 0);
    const small = examples < 100_000;
    const { model, report } = await trainSequenceModel(holdout.train, {
      tf,
      seed: 17,
      dim: small ? 64 : 100,
      batchSize: small ? 128 : 512,
      negatives: small ? 1024 : 2048,
      learningRate: small ? 0.005 : 0.002,
      epochs: small ? 10 : 6,
      patience: 2,
      signal: ctx.signal,
      onProgress: (stage, done, total, note) => ctx.progress(stage, done, total, note),
      ...this.options.train,
    });
    ctx.signal.throwIfAborted();
    const mine = evaluateSequenceModel(model, holdout.cases);
    const popularity = evaluatePopularity(holdout.train, holdout.cases);
    const metrics: Record<string, number> = {
      ...registryMetrics(mine, popularity),
      items: report.items,
      train_examples: report.trainExamples,
      best_epoch: report.bestEpoch,
      validation_hr20: report.validation.hr20 / 100,
      ivf_recall20: report.retrieval.recallAt20,
    };
    const { published, decision } = await publishChallenger(this.registry, ctx, {
      model: NEXT_ITEM_MODEL,
      metric: NEXT_ITEM_CHAMPION_METRIC,
      metrics,
      holdoutFromMs: holdout.fromMs,
      holdoutToMs: holdout.toMs,
      artifact: model.toArtifact(),
      format: SEQUENCE_ARTIFACT_FORMAT,
      featureDefinitionsVersion: '',
      trainedOn: report.backend,
      rescore: (champion) => registryMetrics(evaluateSequenceModel(loadSequenceModel(champion), holdout.cases), popularity),
    });
    return {
      outcome: 'published',
      eventsTrainedOn: clicks.length,
      version: published.version,
      champion: decision.champion,
      metrics,
      note:
        `HR@20 ${mine.hr20.toFixed(1)}% MRR@20 ${mine.mrr20.toFixed(1)}% vs popularity ${popularity.hr20.toFixed(1)}% / ${popularity.mrr20.toFixed(1)}% ` +
        `over ${mine.cases} cases (${report.backend}, epoch ${report.bestEpoch}): ${decision.reason}`,
    };
  }
}
