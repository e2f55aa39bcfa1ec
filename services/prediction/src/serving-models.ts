import type { FeatureSnapshot } from '@clickwise/feature-store';
import type { FeatureEngine } from '@clickwise/features';
import { assertCompatible, ModelRejectedError, type ModelVersion } from '@clickwise/model-registry';
import type { LoadContext, ModelLoaders, ServingModel } from './serving-model.js';

/** Why a version was refused (libs/model-registry); the model served before it stays. */
export { ModelRejectedError };

export interface SwapEvent {
  from: string | undefined;
  to: string;
  loadMs: number;
}

/** Snapshots a candidate must score sensibly before it serves: every feature 0, and every feature 1. */
export function smokeSnapshots(engine: FeatureEngine): FeatureSnapshot[] {
  return [0, 1].map((value) => ({
    definitionsVersion: engine.version,
    refMs: null,
    snapshotVersion: 0,
    found: { shopper: value !== 0, session: false, item: false, category: false },
    features: (['shopper', 'session', 'item', 'category'] as const).flatMap((entity) =>
      engine.plans[entity].features.map((f) => ({ name: f.definition.name, entity, value, ageMs: null })),
    ),
  }));
}

/** Throws unless the score is a probability whose explanation adds up (baseline + Σ contributions = logit). */
export function checkScore(model: ServingModel, snapshot: FeatureSnapshot): void {
  const s = model.score(snapshot);
  if (!Number.isFinite(s.logit) || !Number.isFinite(s.baselineLogit)) throw new Error(`logit ${s.logit} / baseline ${s.baselineLogit} is not finite`);
  if (!(s.probability >= 0 && s.probability <= 1)) throw new Error(`probability ${s.probability} is not in [0, 1]`);
  let sum = s.baselineLogit;
  for (const c of s.contributions) {
    if (!Number.isFinite(c.contribution)) throw new Error(`contribution of ${c.feature} is ${c.contribution}`);
    sum += c.contribution;
  }
  const tolerance = 1e-6 * Math.max(1, Math.abs(s.logit)) + (model.explanation.startsWith('integrated-gradients/trapezoid') ? 1e-3 * Math.max(1, Math.abs(s.logit - s.baselineLogit)) : 0);
  if (Math.abs(sum - s.logit) > tolerance) throw new Error(`baseline ${s.baselineLogit} + contributions = ${sum}, not the logit ${s.logit}`);
}

/**
 * The model in serving, as one reference (ADR 0070). `accept` checks a registry version
 * (feature definitions, artifact, loader, smoke scores) entirely off to the side and only then
 * swaps the reference in one assignment; a version failing any step is refused and the old model
 * keeps serving. Readers take `current` once per prediction, so no prediction mixes two models.
 */
export class ServingModels {
  private served: ServingModel | undefined;
  private readonly context: LoadContext;
  private readonly smoke: FeatureSnapshot[];

  constructor(
    private readonly engine: FeatureEngine,
    private readonly loaders: ModelLoaders,
    private readonly readArtifact: (record: ModelVersion) => Promise<Uint8Array>,
    private readonly onSwap: (event: SwapEvent) => void = () => undefined,
  ) {
    this.smoke = smokeSnapshots(engine);
    this.context = { featureNames: this.smoke[0]!.features.map((f) => f.name) };
  }

  get current(): ServingModel | undefined {
    return this.served;
  }

  async accept(record: ModelVersion): Promise<ServingModel> {
    const id = `${record.model}/${record.version}`;
    if (this.served && this.served.model === record.model && this.served.version === record.version) return this.served;
    const started = performance.now();
    try {
      assertCompatible(record, this.engine.version);
    } catch (error) {
      throw new ModelRejectedError(id, 'compatibility', error);
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.readArtifact(record);
    } catch (error) {
      throw new ModelRejectedError(id, 'read', error);
    }
    let candidate: ServingModel;
    try {
      candidate = await this.loaders.load(record, bytes, this.context);
      if (candidate.version !== record.version || candidate.model !== record.model) throw new Error(`the loader made ${candidate.model}/${candidate.version}`);
    } catch (error) {
      throw new ModelRejectedError(id, 'load', error);
    }
    try {
      for (const snapshot of this.smoke) checkScore(candidate, snapshot);
    } catch (error) {
      throw new ModelRejectedError(id, 'smoke', error);
    }
    const from = this.served;
    this.served = candidate;
    this.onSwap({ from: from && `${from.model}/${from.version}`, to: id, loadMs: performance.now() - started });
    return candidate;
  }
}

/** The challenger's slot (ADR 0074): the same checks and one-reference swap as the champion's. */
export class ChallengerModels extends ServingModels {}
