import type { FeatureSnapshot } from '@clickwise/feature-store';
import { InvalidInputError } from '@clickwise/errors';
import type { ModelVersion } from '@clickwise/model-registry';

/** A feature's signed share of a score's logit, relative to the explanation's baseline. */
export interface Contribution {
  feature: string;
  /** The feature's value as served (a list-valued feature counts its items). */
  value: number;
  contribution: number;
}

/** One score with its explanation: `baselineLogit + Σ contributions = logit` (to rounding). */
export interface Score {
  /** Calibrated purchase probability, sigmoid(logit). */
  probability: number;
  logit: number;
  /** The logit of the baseline input the contributions are measured from. */
  baselineLogit: number;
  /** Every feature the model reads, in the model's order (callers sort and cut). */
  contributions: Contribution[];
}

/**
 * A model ready to serve: what the prediction service holds and swaps (ADR 0070). One object per
 * loaded registry version; `score` is synchronous and pure (no I/O), so a prediction is made by
 * exactly the model whose reference it read.
 */
export interface ServingModel {
  /** Registry model name ("propensity"). */
  readonly model: string;
  readonly version: string;
  /** The feature definitions it was trained on (FeatureEngine.version). */
  readonly featureDefinitionsVersion: string;
  /** The artifact format it was loaded from ("clickwise-linear/1", ...). */
  readonly format: string;
  /** How contributions are computed ("linear-exact", "integrated-gradients/64", ...). */
  readonly explanation: string;
  score(features: FeatureSnapshot, context?: ScoreContext): Score;
}

/** What a score is about beyond the features: the item the shopper is on (for item columns). */
export interface ScoreContext {
  itemId?: string;
}

/** What a loader knows about the serving side. */
export interface LoadContext {
  /** The served definitions' feature names, in the order FeatureReader returns them. */
  featureNames: readonly string[];
}

/** Turns an artifact's bytes into a ServingModel, or throws an error naming what is wrong. */
export type ModelLoader = (bytes: Uint8Array, record: ModelVersion, context: LoadContext) => ServingModel | Promise<ServingModel>;

/**
 * Loaders by artifact format (`ModelVersion.artifact.format`): the one seam where a model format
 * plugs into serving. A record of a format nobody registered is refused with the known ones listed.
 */
export class ModelLoaders {
  private readonly loaders = new Map<string, ModelLoader>();

  register(format: string, loader: ModelLoader): this {
    if (this.loaders.has(format)) throw new Error(`a loader for model format "${format}" is already registered`);
    this.loaders.set(format, loader);
    return this;
  }

  get formats(): string[] {
    return [...this.loaders.keys()].sort();
  }

  async load(record: ModelVersion, bytes: Uint8Array, context: LoadContext): Promise<ServingModel> {
    const format = record.artifact.format;
    const loader = this.loaders.get(format);
    if (!loader) {
      throw new InvalidInputError(`${record.model}/${record.version}: no loader for artifact format "${format}"; this service serves ${this.formats.map((f) => `"${f}"`).join(', ')}`, 'artifact.format');
    }
    return loader(bytes, record, context);
  }
}

/** A feature value as a number: list-valued features count their items; a missing value (null) is NaN. */
export function numeric(value: number | readonly string[] | null): number {
  if (value === null) return Number.NaN;
  return typeof value === 'number' ? value : value.length;
}

/**
 * Finds model inputs in snapshots by name. The reader returns features in the definitions' plan
 * order, so positions are resolved once and then only checked.
 */
export class FeatureIndex {
  private positions: number[] | undefined;

  constructor(readonly names: readonly string[]) {}

  /** Values of `names` in `snapshot`, in the same order. */
  values(snapshot: FeatureSnapshot): Float64Array {
    const features = snapshot.features;
    let positions = this.positions;
    if (!positions || !positions.every((p, i) => features[p]?.name === this.names[i])) {
      const byName = new Map(features.map((f, i) => [f.name, i] as const));
      positions = this.names.map((name) => {
        const at = byName.get(name);
        if (at === undefined) throw new InvalidInputError(`the feature snapshot has no feature "${name}" (definitions ${snapshot.definitionsVersion})`, name);
        return at;
      });
      this.positions = positions;
    }
    const out = new Float64Array(positions.length);
    for (let i = 0; i < positions.length; i++) out[i] = numeric(features[positions[i]!]!.value);
    return out;
  }
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
