import { OfflineExecutor, toFeatureEvent } from '@clickwise/features';
import type { ModelRegistry } from '@clickwise/model-registry';
import { DEFAULT_SEGMENT_FEATURES, rowsFromRecords, SEGMENTS_ARTIFACT_FORMAT, SEGMENTS_MODEL, segmentsRegistryMetrics, trainSegments } from '@clickwise/segments';
import { servingEngine } from './engine.js';
import type { JobContext, JobResult, TrainingJob } from './job.js';

/**
 * Shopper segments (libs/segments, ADR 0059): every shopper's behaviour features at the end of the
 * history (the offline executor, the serving definitions), k-means with k by silhouette, named
 * from the centroids. Unsupervised, so there is no hold-out label to beat: each run's segmentation
 * (of the latest behaviour) becomes the champion, with its silhouette and sizes as metrics.
 */
export class SegmentsJob implements TrainingJob {
  readonly name = SEGMENTS_MODEL;

  constructor(private readonly registry: ModelRegistry) {}

  needsModel(): Promise<boolean> {
    return Promise.resolve(this.registry.champion(SEGMENTS_MODEL) === undefined);
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const records = await ctx.history.records();
    const engine = await servingEngine(this.registry);
    const executor = new OfflineExecutor(engine, { erasures: ctx.erasures });
    const events = records.map((r) => ({ event: toFeatureEvent(r.value), partition: r.partition }));
    // Event time, as the training sets replay (libs/training canonicalOrder): shared item state must not run ahead.
    events.sort((a, b) => a.event.timeMs - b.event.timeMs);
    let done = 0;
    for (const { event, partition } of events) {
      executor.apply(event, partition);
      if (++done % 5000 === 0) ctx.progress('replay', done, events.length);
    }
    ctx.signal.throwIfAborted();
    const at = executor.streamTimeMs;
    const keys = [...executor.shoppers.keys()].sort();
    if (keys.length < 20) throw new Error(`${keys.length} shoppers in the history: too few to segment (at least 20)`);
    const rows = rowsFromRecords(DEFAULT_SEGMENT_FEATURES, keys.map((k) => executor.values('shopper', k, at)));
    const trained = trainSegments({ features: [...DEFAULT_SEGMENT_FEATURES], rows });
    const metrics = segmentsRegistryMetrics(trained.quality);
    if (!(await ctx.stillLeader())) throw new Error('lost the run lease before publishing: another replica trains now');
    const previous = this.registry.champion(SEGMENTS_MODEL);
    const published = await this.registry.publish(
      {
        model: SEGMENTS_MODEL,
        artifact: trained.artifact,
        format: SEGMENTS_ARTIFACT_FORMAT,
        metrics,
        featureDefinitionsVersion: engine.version,
        backend: 'none',
        holdoutFromMs: at,
        holdoutToMs: at,
        comparedToVersion: previous?.version ?? '',
      },
      { champion: true, reason: `segments of the latest behaviour: k=${trained.quality.k}, silhouette ${trained.quality.silhouette.toFixed(3)}` },
    );
    return { outcome: 'published', eventsTrainedOn: events.length, version: published.version, champion: true, metrics, note: `k=${trained.quality.k}` };
  }
}
