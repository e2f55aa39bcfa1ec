import { InvalidInputError } from '@clickwise/errors';
import type { FeatureSnapshot } from '@clickwise/feature-store';
import { FeatureIndex, sigmoid, type LoadContext, type ModelLoader, type Score, type ServingModel } from './serving-model.js';

/** The format name of a logistic-regression artifact (docs/specs/model-format-clickwise-linear.md). */
export const LINEAR_FORMAT = 'clickwise-linear/1';

export type LinearTransform = 'identity' | 'log1p';

/** One input of a linear model: x = (transform(value) − mean) / scale, then weight · x. */
export interface LinearInput {
  name: string;
  transform: LinearTransform;
  mean: number;
  scale: number;
  weight: number;
}

/** The JSON document of a `clickwise-linear/1` artifact (UTF-8). */
export interface LinearArtifact {
  format: typeof LINEAR_FORMAT;
  inputs: LinearInput[];
  bias: number;
  /** Platt scaling of the raw logit: logit = slope · (bias + Σ weight·x) + intercept (default 1, 0). */
  calibration?: { slope: number; intercept: number };
}

const TRANSFORMS: readonly LinearTransform[] = ['identity', 'log1p'];

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidInputError(`${field} must be a finite number, got ${JSON.stringify(value)}`, field);
  return value;
}

/** Parses and checks an artifact's bytes; every problem names its field. */
export function parseLinearArtifact(bytes: Uint8Array, featureNames: readonly string[]): LinearArtifact {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new InvalidInputError(`a ${LINEAR_FORMAT} artifact is UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`, 'artifact');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InvalidInputError(`a ${LINEAR_FORMAT} artifact is a JSON object`, 'artifact');
  const o = doc as Record<string, unknown>;
  if (o.format !== LINEAR_FORMAT) throw new InvalidInputError(`format must be "${LINEAR_FORMAT}", got ${JSON.stringify(o.format)}`, 'format');
  if (!Array.isArray(o.inputs) || o.inputs.length === 0) throw new InvalidInputError('inputs must be a non-empty array', 'inputs');
  const known = new Set(featureNames);
  const seen = new Set<string>();
  const inputs = o.inputs.map((raw: unknown, i): LinearInput => {
    const at = `inputs[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new InvalidInputError(`${at} must be an object`, at);
    const r = raw as Record<string, unknown>;
    if (typeof r.name !== 'string' || !known.has(r.name)) {
      throw new InvalidInputError(`${at}.name ${JSON.stringify(r.name)} is not a feature of the served definitions`, `${at}.name`);
    }
    if (seen.has(r.name)) throw new InvalidInputError(`${at}.name "${r.name}" appears twice`, `${at}.name`);
    seen.add(r.name);
    const transform = r.transform ?? 'identity';
    if (!TRANSFORMS.includes(transform as LinearTransform)) throw new InvalidInputError(`${at}.transform must be one of ${TRANSFORMS.join(', ')}, got ${JSON.stringify(transform)}`, `${at}.transform`);
    const scale = finite(r.scale ?? 1, `${at}.scale`);
    if (scale <= 0) throw new InvalidInputError(`${at}.scale must be > 0, got ${scale}`, `${at}.scale`);
    return { name: r.name, transform: transform as LinearTransform, mean: finite(r.mean ?? 0, `${at}.mean`), scale, weight: finite(r.weight, `${at}.weight`) };
  });
  const calibration = o.calibration === undefined ? undefined : (o.calibration as Record<string, unknown> | null);
  if (calibration !== undefined && (typeof calibration !== 'object' || calibration === null)) throw new InvalidInputError('calibration must be an object', 'calibration');
  return {
    format: LINEAR_FORMAT,
    inputs,
    bias: finite(o.bias, 'bias'),
    ...(calibration ? { calibration: { slope: finite(calibration.slope, 'calibration.slope'), intercept: finite(calibration.intercept, 'calibration.intercept') } } : {}),
  };
}

/**
 * A logistic regression. Contributions are exact: with x the standardized inputs, the logit is
 * `slope·bias + intercept + Σ slope·weight_i·x_i`, so the baseline is the input at the training
 * means (x = 0) and feature i contributes `slope·weight_i·x_i`.
 */
export class LinearModel implements ServingModel {
  readonly format = LINEAR_FORMAT;
  readonly explanation = 'linear-exact';
  private readonly index: FeatureIndex;
  private readonly slope: number;
  readonly baselineLogit: number;

  constructor(
    readonly model: string,
    readonly version: string,
    readonly featureDefinitionsVersion: string,
    private readonly artifact: LinearArtifact,
  ) {
    this.index = new FeatureIndex(artifact.inputs.map((i) => i.name));
    this.slope = artifact.calibration?.slope ?? 1;
    this.baselineLogit = this.slope * artifact.bias + (artifact.calibration?.intercept ?? 0);
  }

  score(features: FeatureSnapshot): Score {
    const values = this.index.values(features);
    const inputs = this.artifact.inputs;
    const contributions = new Array<Score['contributions'][number]>(inputs.length);
    let logit = this.baselineLogit;
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const value = values[i]!;
      // A missing value (null feature) stands at the training mean: it contributes nothing.
      const t = Number.isNaN(value) ? input.mean : input.transform === 'log1p' ? Math.log1p(Math.max(0, value)) : value;
      const contribution = (this.slope * input.weight * (t - input.mean)) / input.scale;
      logit += contribution;
      contributions[i] = { feature: input.name, value, contribution };
    }
    return { probability: sigmoid(logit), logit, baselineLogit: this.baselineLogit, contributions };
  }
}

export const loadLinearModel: ModelLoader = (bytes, record, context: LoadContext) =>
  new LinearModel(record.model, record.version, record.featureDefinitionsVersion, parseLinearArtifact(bytes, context.featureNames));
