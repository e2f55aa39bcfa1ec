/**
 * The purchase-propensity artifact (docs/adr/0053): one self-contained JSON document — columns
 * (how each input is read from a feature vector), preprocessing, dense layers, calibration and the
 * feature-definitions version — and the hand-written Float32Array forward pass serving uses. This
 * module imports no TensorFlow.js: serving loads it alone (`@clickwise/training/artifact`).
 */
import type { FeatureVector } from '@clickwise/features';
import { rowOf, type ColumnSpec } from './columns.js';
import { transformRow, type Preprocessing } from './preprocess.js';

export const ARTIFACT_FORMAT = 'clickwise.purchase-propensity.v1';

export type Activation = 'relu' | 'sigmoid' | 'linear';

/** A dense layer: `weights` is in × out, row-major (tf's kernel layout). */
export interface DenseLayer {
  in: number;
  out: number;
  weights: number[];
  bias: number[];
  activation: Activation;
}

/**
 * Calibration of the model's logit z. `platt`: p = σ(a·z + b) (identity: a = 1, b = 0).
 * `isotonic`: p = the non-decreasing map `isotonic` (linear between knots, flat beyond), chosen
 * when it beat Platt on validation (ADR 0062); `a`, `b` are then the Platt fit on the same part,
 * the logit scale explanations are read in.
 */
export interface Calibration {
  kind: 'platt' | 'isotonic';
  a: number;
  b: number;
  isotonic?: IsotonicMap;
}

export interface PurchaseArtifact {
  format: typeof ARTIFACT_FORMAT;
  /** `logistic_regression` or `mlp`. */
  model: string;
  /** FeatureEngine.version of the definitions the model was trained on; serving refuses others. */
  featureDefinitionsVersion: string;
  createdAt: string;
  columns: ColumnSpec[];
  preprocessing: Preprocessing;
  /**
   * One or more networks of dense layers (an ensemble of seeds); each ends in one sigmoid unit.
   * The model's logit is the mean of the networks' logits; calibration applies to it.
   */
  networks: DenseLayer[][];
  calibration: Calibration;
  /** Training facts and metrics, for people (not read by the forward pass). */
  info: Record<string, unknown>;
}

export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

export function encodeArtifact(artifact: PurchaseArtifact): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(artifact));
}

/** Parses and checks an artifact (format, layer shapes against the preprocessing). */
export function decodeArtifact(bytes: Uint8Array): PurchaseArtifact {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ArtifactError(`not a purchase-propensity artifact: ${(error as Error).message}`);
  }
  const a = parsed as Partial<PurchaseArtifact>;
  if (a.format !== ARTIFACT_FORMAT) throw new ArtifactError(`artifact format "${String(a.format)}" is not ${ARTIFACT_FORMAT}`);
  if (!a.preprocessing || !Array.isArray(a.networks) || a.networks.length === 0 || !Array.isArray(a.columns) || !a.calibration) {
    throw new ArtifactError('artifact lacks columns, preprocessing, networks or calibration');
  }
  const c = a.calibration;
  if (c.kind === 'isotonic') {
    const m = c.isotonic;
    if (!m || !Array.isArray(m.z) || !Array.isArray(m.p) || m.z.length !== m.p.length || m.z.length === 0 || m.z.some((z, i) => i > 0 && !(z > m.z[i - 1]!)) || m.p.some((p, i) => i > 0 && p < m.p[i - 1]!)) {
      throw new ArtifactError('isotonic calibration needs knots z (ascending) and p (non-decreasing) of one length');
    }
  } else if (c.kind !== 'platt') throw new ArtifactError(`calibration kind "${String(c.kind)}" is not platt or isotonic`);
  for (const [k, layers] of a.networks.entries()) {
    let width = a.preprocessing.width;
    if (!Array.isArray(layers) || layers.length === 0) throw new ArtifactError(`network ${k} has no layers`);
    for (const [i, l] of layers.entries()) {
      if (l.in !== width || l.weights.length !== l.in * l.out || l.bias.length !== l.out) throw new ArtifactError(`network ${k} layer ${i}: shape ${l.in}×${l.out} does not fit its input of ${width}`);
      width = l.out;
    }
    if (width !== 1) throw new ArtifactError(`network ${k}: the last layer has ${width} outputs, not 1`);
  }
  return a as PurchaseArtifact;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The isotonic map at logit z (as calibration.ts's applyIsotonic; here so serving imports no training code). */
export function applyIsotonic(m: IsotonicMap, z: number): number {
  const n = m.z.length;
  if (z <= m.z[0]!) return m.p[0]!;
  if (z >= m.z[n - 1]!) return m.p[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (m.z[mid]! <= z) lo = mid;
    else hi = mid;
  }
  return m.p[lo]! + ((z - m.z[lo]!) / (m.z[hi]! - m.z[lo]!)) * (m.p[hi]! - m.p[lo]!);
}

/** Isotonic calibration knots: logits ascending, probabilities non-decreasing. */
export interface IsotonicMap {
  z: number[];
  p: number[];
}

/**
 * The forward pass over Float32Arrays, no TensorFlow.js: scores raw rows (from `rowOf`). Buffers
 * are allocated once; one scorer is not re-entrant across awaits (there are none).
 */
export class PurchaseScorer {
  readonly columns: readonly ColumnSpec[];
  private readonly nets: { layers: DenseLayer[]; weights: Float32Array[]; biases: Float32Array[]; buffers: Float32Array[] }[];
  private readonly input: Float32Array;
  private readonly raw: Float32Array;

  constructor(readonly artifact: PurchaseArtifact) {
    this.columns = artifact.columns;
    this.nets = artifact.networks.map((layers) => ({
      layers,
      weights: layers.map((l) => Float32Array.from(l.weights)),
      biases: layers.map((l) => Float32Array.from(l.bias)),
      buffers: layers.map((l) => new Float32Array(l.out)),
    }));
    this.input = new Float32Array(artifact.preprocessing.width);
    this.raw = new Float32Array(artifact.columns.length);
  }

  static fromBytes(bytes: Uint8Array): PurchaseScorer {
    return new PurchaseScorer(decodeArtifact(bytes));
  }

  /** The uncalibrated logit for a raw row: the mean of the networks' last-layer logits. */
  logit(row: ArrayLike<number>): number {
    const input = transformRow(this.artifact.preprocessing, row, this.input);
    let sum = 0;
    for (let k = 0; k < this.nets.length; k++) sum += this.networkLogit(k, input);
    return sum / this.nets.length;
  }

  /** One network's logit over preprocessed inputs. */
  networkLogit(k: number, input: ArrayLike<number>): number {
    const net = this.nets[k]!;
    let x: ArrayLike<number> = input;
    const n = net.layers.length;
    for (let l = 0; l < n; l++) {
      const layer = net.layers[l]!;
      const w = net.weights[l]!;
      const b = net.biases[l]!;
      const y = net.buffers[l]!;
      const nIn = layer.in;
      const nOut = layer.out;
      for (let o = 0; o < nOut; o++) y[o] = b[o]!;
      for (let i = 0; i < nIn; i++) {
        const xi = x[i]!;
        if (xi === 0) continue;
        const base = i * nOut;
        for (let o = 0; o < nOut; o++) y[o] = y[o]! + xi * w[base + o]!;
      }
      if (l < n - 1) {
        if (layer.activation === 'relu') for (let o = 0; o < nOut; o++) y[o] = Math.max(0, y[o]!);
        else if (layer.activation === 'sigmoid') for (let o = 0; o < nOut; o++) y[o] = sigmoid(y[o]!);
      }
      x = y;
    }
    return x[0]!;
  }

  /** The model's own probability (before calibration). */
  uncalibrated(row: ArrayLike<number>): number {
    return sigmoid(this.logit(row));
  }

  /** Calibrated purchase probability for a raw row. */
  score(row: ArrayLike<number>): number {
    const c = this.artifact.calibration;
    if (c.kind === 'isotonic' && c.isotonic) return applyIsotonic(c.isotonic, this.logit(row));
    return sigmoid(c.a * this.logit(row) + c.b);
  }

  /** Calibrated purchase probability for the feature vector serving read (features right after the click). */
  scoreVector(vector: FeatureVector): number {
    return this.score(rowOf(vector, this.columns, this.raw));
  }

  /** Scores n raw rows (n × columns). */
  scoreRows(rows: Float32Array): Float64Array {
    const d = this.columns.length;
    const n = rows.length / d;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.score(rows.subarray(i * d, (i + 1) * d));
    return out;
  }
}

/** Checks that an artifact was trained on the definitions serving runs (clear error otherwise). */
export function assertDefinitions(artifact: PurchaseArtifact, servingVersion: string): void {
  if (artifact.featureDefinitionsVersion !== servingVersion) {
    throw new ArtifactError(
      `model ${artifact.model} was trained on feature definitions ${artifact.featureDefinitionsVersion}, serving runs ${servingVersion}: retrain on the serving definitions`,
    );
  }
}
