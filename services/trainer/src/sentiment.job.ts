import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideChampion, type ModelRegistry } from '@clickwise/model-registry';
import type { BackendChoice } from '@clickwise/tf';
import { accuracy, decodeSentimentArtifact, SENTIMENT_ARTIFACT_FORMAT, SENTIMENT_MODEL, SentimentModel } from '@clickwise/text';
import { reviewCorpus, sentimentRegistryMetrics } from '@clickwise/text/corpus';
import { trainSentimentModel } from '@clickwise/text/train';
import type { JobContext, JobDeps, JobResult, TrainingJob } from './job.js';

/** The review corpora a reviews directory may hold (../shared/data/reviews has the first three). */
export const REVIEW_FILES = { alexa: 'amazon_alexa.tsv', amazonCells: 'amazon_cells_labelled.txt', yelp: 'yelp_labelled.txt', imdb: 'imdb_labelled.txt' } as const;

export interface SentimentJobOptions {
  /** The directory with the review corpora (REVIEW_FILES; at least one). */
  reviewsDir: string;
  /** Seeds the held-back split and the batch order (default 1): the same corpus and seed give the same artifact. */
  seed?: number;
  backend?: BackendChoice;
  /** Epochs (default: libs/text's). */
  epochs?: number;
}

/**
 * The review-sentiment model (libs/text, ADR 0058, 0061): trains on the review corpora of
 * `reviewsDir` (not on the event history), reports accuracy on a held-back fifth beside the
 * majority class and the lexicon rule, and publishes it as `sentiment` — the champion the features
 * service follows (it rebuilds its state under the new definitions version). A new version is
 * champion when there is none, or when it beats the current champion's accuracy re-scored on the
 * new held-back texts. A run on the corpus and settings the champion was trained on is skipped.
 */
export class SentimentJob implements TrainingJob {
  readonly name = SENTIMENT_MODEL;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly options: SentimentJobOptions,
  ) {}

  needsModel(): Promise<boolean> {
    return Promise.resolve(this.registry.champion(SENTIMENT_MODEL) === undefined);
  }

  /** The corpus files' contents, by corpus name, and their checksum (with the training settings). */
  private corpus(): { files: Partial<Record<keyof typeof REVIEW_FILES, string>>; checksum: string } {
    const files: Partial<Record<keyof typeof REVIEW_FILES, string>> = {};
    const hash = createHash('sha256');
    for (const [name, file] of Object.entries(REVIEW_FILES) as [keyof typeof REVIEW_FILES, string][]) {
      const path = join(this.options.reviewsDir, file);
      if (!existsSync(path)) continue;
      const text = readFileSync(path, 'utf8');
      files[name] = text;
      hash.update(`${file}\u0000${text}\u0000`);
    }
    if (Object.keys(files).length === 0) throw new Error(`no review corpus in ${this.options.reviewsDir} (expected one of ${Object.values(REVIEW_FILES).join(', ')})`);
    hash.update(JSON.stringify({ seed: this.options.seed ?? 1, epochs: this.options.epochs ?? null }));
    return { files, checksum: hash.digest('hex').slice(0, 16) };
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const { files, checksum } = this.corpus();
    const current = this.registry.champion(SENTIMENT_MODEL);
    if (current) {
      const trainedOn = decodeSentimentArtifact(await this.registry.readArtifact(current)).trainedOn;
      if (trainedOn.corpus === checksum) {
        return { outcome: 'skipped', eventsTrainedOn: 0, note: `the champion ${current.version} was trained on this corpus with these settings (${checksum})` };
      }
    }
    const texts = reviewCorpus(files);
    ctx.progress('train', 0, 1, `${texts.length} labelled texts`);
    const trained = await trainSentimentModel({
      texts,
      seed: this.options.seed ?? 1,
      ...(this.options.backend ? { backend: this.options.backend } : {}),
      ...(this.options.epochs === undefined ? {} : { epochs: this.options.epochs }),
      provenance: { corpus: checksum, files: Object.keys(files).map((k) => REVIEW_FILES[k as keyof typeof REVIEW_FILES]) },
    });
    ctx.signal.throwIfAborted();
    ctx.progress('train', 1, 1);
    const metrics = sentimentRegistryMetrics(trained.metrics);
    const labels = trained.heldBack.texts.map((t) => t.positive);

    let decision: { champion: boolean; comparedToVersion: string; reason: string };
    if (!current) decision = decideChampion(undefined, { metrics, holdoutFromMs: 0, holdoutToMs: 0 }, { metric: 'accuracy' });
    else {
      let theirs: number | undefined;
      let refused = '';
      try {
        const model = new SentimentModel(await this.registry.readArtifact(current));
        theirs = accuracy(trained.heldBack.texts.map((t) => model.score(t.text)), labels);
      } catch (error) {
        refused = error instanceof Error ? error.message : String(error);
      }
      decision =
        theirs === undefined
          ? { champion: true, comparedToVersion: current.version, reason: `the champion ${current.version} cannot be scored (${refused})` }
          : decideChampion({ version: current.version, metrics: { accuracy: theirs }, holdoutFromMs: 0, holdoutToMs: 0 }, { metrics, holdoutFromMs: 0, holdoutToMs: 0 }, { metric: 'accuracy' });
    }

    if (!(await ctx.stillLeader())) throw new Error('lost the run lease before publishing: another replica trains now');
    const published = await this.registry.publish(
      {
        model: SENTIMENT_MODEL,
        artifact: trained.artifact,
        format: SENTIMENT_ARTIFACT_FORMAT,
        metrics,
        // It reads no feature definitions (ADR 0058); the features service's definitions version takes its checksum.
        featureDefinitionsVersion: '',
        backend: trained.metrics.backend === 'native' ? 'tensorflow' : trained.metrics.backend,
        holdoutFromMs: 0,
        holdoutToMs: 0,
        comparedToVersion: decision.comparedToVersion,
      },
      { champion: decision.champion, reason: `held-back accuracy (${trained.metrics.heldBackSize} texts): ${decision.reason}` },
    );
    return {
      outcome: 'published',
      eventsTrainedOn: 0,
      version: published.version,
      champion: decision.champion,
      metrics,
      note: `${texts.length} texts, held-back accuracy ${trained.metrics.overall.model.accuracy.toFixed(3)} (majority ${trained.metrics.overall.majority.accuracy.toFixed(3)}): ${decision.reason}`,
    };
  }
}

/**
 * The text jobs of the production trainer (main.ts runs them before jobs.ts's productionJobs: a
 * new sentiment champion is part of the feature definitions the later jobs of the same run train
 * on). None unless TRAINER_SENTIMENT_REVIEWS names a reviews directory.
 */
export function textJobs({ config, registry }: JobDeps): TrainingJob[] {
  return config.sentimentReviews === '' ? [] : [new SentimentJob(registry, { reviewsDir: config.sentimentReviews })];
}
