import { decideChampion, type ChampionDecision, type ModelRegistry, type ModelVersion, type PublishInput } from '@clickwise/model-registry';
import { logger } from '@clickwise/service';
import { loadTensorflow, type BackendChoice } from '@clickwise/tf';
import type { JobContext } from './job.js';

/** Loads TensorFlow.js once at a job's start and says which backend really runs (ADR 0050). */
export async function startTensorflow(job: string, backend: BackendChoice | undefined): Promise<void> {
  const tf = await loadTensorflow(backend ? { backend } : {});
  logger.info('TensorFlow.js backend', { job, backend: tf.backend, tfBackend: tf.tfBackendName, fallbacks: tf.fallbacks });
}

/** A trained version, measured on its run's hold-out, to publish against the current champion. */
export interface Challenger extends Pick<PublishInput, 'model' | 'artifact' | 'format' | 'featureDefinitionsVersion'> {
  /** The metric it must beat the champion on. */
  metric: string;
  metrics: Record<string, number>;
  holdoutFromMs: number;
  holdoutToMs: number;
  /** The backend it trained on ('native' is published as 'tensorflow'). */
  trainedOn: string;
  /** The champion's metrics on the same hold-out, from its artifact; throws when it cannot be scored there. */
  rescore(champion: Uint8Array): Record<string, number>;
}

/**
 * Publishes a run's version: champion only when it beats the current champion re-scored on the
 * same hold-out (or there is none, or the champion cannot be scored on it: e.g. it reads other
 * feature definitions). Nothing is published once this replica lost the run lease.
 */
export async function publishChallenger(registry: ModelRegistry, ctx: Pick<JobContext, 'stillLeader'>, c: Challenger): Promise<{ published: ModelVersion; decision: ChampionDecision }> {
  const { holdoutFromMs, holdoutToMs } = c;
  const candidate = { metrics: c.metrics, holdoutFromMs, holdoutToMs };
  const current = registry.champion(c.model);
  let decision: ChampionDecision;
  if (!current) {
    decision = decideChampion(undefined, candidate, { metric: c.metric });
  } else {
    let theirs: Record<string, number> | undefined;
    let refused = '';
    try {
      theirs = c.rescore(await registry.readArtifact(current));
    } catch (error) {
      refused = error instanceof Error ? error.message : String(error);
    }
    decision = theirs
      ? decideChampion({ version: current.version, metrics: theirs, holdoutFromMs, holdoutToMs }, candidate, { metric: c.metric })
      : { champion: true, comparedToVersion: current.version, reason: `the champion ${current.version} cannot be scored on this hold-out (${refused})` };
  }
  if (!(await ctx.stillLeader())) throw new Error('lost the run lease before publishing: another replica trains now');
  const published = await registry.publish(
    {
      model: c.model,
      artifact: c.artifact,
      format: c.format,
      metrics: c.metrics,
      featureDefinitionsVersion: c.featureDefinitionsVersion,
      backend: c.trainedOn === 'native' ? 'tensorflow' : c.trainedOn,
      holdoutFromMs,
      holdoutToMs,
      comparedToVersion: decision.comparedToVersion,
    },
    { champion: decision.champion, reason: decision.reason },
  );
  return { published, decision };
}
