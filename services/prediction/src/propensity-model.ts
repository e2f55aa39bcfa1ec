import type { FeatureSnapshot } from '@clickwise/feature-store';
import type { FeatureValue, FeatureVector } from '@clickwise/features';
import { rowOf, transformRow } from '@clickwise/training';
import { applyIsotonic, ARTIFACT_FORMAT, assertDefinitions, decodeArtifact, PurchaseScorer, type IsotonicMap, type DenseLayer, type PurchaseArtifact } from '@clickwise/training/artifact';
import { sigmoid, type Contribution, type ModelLoader, type Score, type ScoreContext, type ServingModel } from './serving-model.js';

/** libs/training's purchase-propensity artifact (ADR 0053): logistic regression or MLP ensemble. */
export const PROPENSITY_FORMAT = ARTIFACT_FORMAT;

/** Interpolation steps of integrated gradients for networks with smooth hidden activations (trapezoidal rule; ADR 0073). */
export const IG_STEPS = 64;
/** Most linear pieces one path may cross before the explanation gives up (a guard; ReLU nets have at most one crossing per unit and path). */
const MAX_SEGMENTS = 100_000;

interface Net {
  layers: { in: number; out: number; w: Float64Array; b: Float64Array; activation: DenseLayer['activation'] }[];
}


/** The FeatureReader's snapshot as the FeatureVector libs/training's columns read (plan order per entity). */
export function vectorOf(snapshot: FeatureSnapshot, shopperKey = '', sessionId = '', itemId = ''): FeatureVector {
  const byEntity: Record<FeatureSnapshot['features'][number]['entity'], FeatureValue[]> = { shopper: [], session: [], item: [], category: [] };
  for (const f of snapshot.features) byEntity[f.entity].push(f.value);
  return {
    eventId: '',
    shopperKey,
    sessionId,
    itemId,
    categoryId: '',
    refMs: snapshot.refMs ?? 0,
    snapshotVersion: snapshot.snapshotVersion,
    ...byEntity,
  };
}

/**
 * Serves a `clickwise.purchase-propensity.v1` artifact: libs/training's columns and preprocessing
 * (the same `rowOf`/`transformRow` as training), then the networks in float64; probability =
 * σ(a·mean_k z_k + b). Explanations are over model inputs from the baseline x = 0 (every input at
 * its training mean, after standardisation), summed per raw column (a column's value and its
 * missing indicator):
 * - a logistic regression (every network one linear layer): exact, a·mean_k(w_k,i)·x_i;
 * - an MLP: integrated gradients with IG_STEPS trapezoidal steps along the straight path from the
 *   baseline, whose sum approximates logit − baseline logit (completeness; measured in the spec).
 */
export class PropensityModel implements ServingModel {
  readonly format = PROPENSITY_FORMAT;
  readonly explanation: string;
  readonly baselineLogit: number;
  private readonly nets: Net[];
  private readonly linear: Float64Array | undefined;
  /** Hidden layers are ReLU or linear: integrated gradients computed exactly (segment by segment). */
  private readonly piecewiseLinear: boolean;
  private readonly a: number;
  private readonly b: number;
  /** The artifact's isotonic map when validation chose it (ADR 0062); the probability then comes from it. */
  private readonly isotonic: IsotonicMap | undefined;
  private readonly raw: Float32Array;
  private readonly input: Float32Array;
  /** Model input t → the raw column it explains. */
  private readonly inputColumn: Int32Array;
  readonly scorer: PurchaseScorer;

  constructor(
    readonly model: string,
    readonly version: string,
    readonly featureDefinitionsVersion: string,
    readonly artifact: PurchaseArtifact,
  ) {
    this.scorer = new PurchaseScorer(artifact);
    this.a = artifact.calibration.a;
    this.b = artifact.calibration.b;
    this.isotonic = artifact.calibration.kind === 'isotonic' ? artifact.calibration.isotonic : undefined;
    this.nets = artifact.networks.map((layers) => ({
      layers: layers.map((l) => ({ in: l.in, out: l.out, w: Float64Array.from(l.weights), b: Float64Array.from(l.bias), activation: l.activation })),
    }));
    const p = artifact.preprocessing;
    this.raw = new Float32Array(artifact.columns.length);
    this.input = new Float32Array(p.width);
    this.inputColumn = new Int32Array(p.width);
    let k = p.inputs.length;
    p.inputs.forEach((t, i) => {
      this.inputColumn[i] = t.column;
      if (t.indicator) this.inputColumn[k++] = t.column;
    });
    const isLinear = this.nets.every((n) => n.layers.length === 1);
    if (isLinear) {
      const w = new Float64Array(p.width);
      for (const n of this.nets) for (let i = 0; i < p.width; i++) w[i]! += n.layers[0]!.w[i]! / this.nets.length;
      this.linear = w;
    }
    this.piecewiseLinear = this.nets.every((n) => n.layers.slice(0, -1).every((l) => l.activation === 'relu' || l.activation === 'linear'));
    this.explanation = isLinear ? 'linear-exact' : this.piecewiseLinear ? 'integrated-gradients/exact' : `integrated-gradients/trapezoid-${IG_STEPS}`;
    this.baselineLogit = this.calibrated(new Float64Array(p.width));
  }

  /** a · mean_k z_k(x) + b over preprocessed inputs. */
  private calibrated(x: ArrayLike<number>): number {
    return this.a * this.meanLogit(x) + this.b;
  }

  /** mean_k z_k(x): the model's own logit, before calibration. */
  private meanLogit(x: ArrayLike<number>): number {
    let sum = 0;
    for (const n of this.nets) sum += forward(n, x).z;
    return sum / this.nets.length;
  }

  /** ∂ calibrated logit / ∂ x, added into `grad`, and the calibrated logit. */
  private gradient(x: ArrayLike<number>, grad: Float64Array, weight: number): void {
    for (const n of this.nets) backward(n, x, grad, (weight * this.a) / this.nets.length);
  }

  score(features: FeatureSnapshot, context: ScoreContext = {}): Score {
    const row = rowOf(vectorOf(features, '', '', context.itemId ?? ''), this.artifact.columns, this.raw);
    const x = transformRow(this.artifact.preprocessing, row, this.input);
    const z = this.meanLogit(x);
    const logit = this.a * z + this.b;
    const width = x.length;
    const perInput = new Float64Array(width);
    if (this.linear) {
      for (let i = 0; i < width; i++) perInput[i] = this.a * this.linear[i]! * x[i]!;
    } else if (this.piecewiseLinear) {
      // Exact: along α·x the networks are piecewise linear; integrate the gradient segment by segment.
      for (const net of this.nets) integratePiecewise(net, x, perInput, this.a / this.nets.length);
      for (let i = 0; i < width; i++) perInput[i] = x[i]! * perInput[i]!;
    } else {
      // Trapezoid over α ∈ [0, 1]: IG_i = x_i · ∫ ∂L/∂x_i(α·x) dα.
      const grad = new Float64Array(width);
      const point = new Float64Array(width);
      for (let s = 0; s <= IG_STEPS; s++) {
        const alpha = s / IG_STEPS;
        for (let i = 0; i < width; i++) point[i] = alpha * x[i]!;
        this.gradient(point, grad, s === 0 || s === IG_STEPS ? 0.5 / IG_STEPS : 1 / IG_STEPS);
      }
      for (let i = 0; i < width; i++) perInput[i] = x[i]! * grad[i]!;
    }
    const columns = this.artifact.columns;
    const byColumn = new Map<number, number>();
    for (let i = 0; i < width; i++) byColumn.set(this.inputColumn[i]!, (byColumn.get(this.inputColumn[i]!) ?? 0) + perInput[i]!);
    const contributions: Contribution[] = [];
    for (const [column, contribution] of byColumn) contributions.push({ feature: columns[column]!.name, value: row[column]!, contribution });
    // Explanations stay on the Platt logit (a·z + b, fitted beside the isotonic map); the
    // probability is the calibration the artifact chose, as libs/training's PurchaseScorer gives it.
    const probability = this.isotonic ? applyIsotonic(this.isotonic, z) : sigmoid(logit);
    return { probability, logit, baselineLogit: this.baselineLogit, contributions };
  }
}

function activate(v: number, activation: DenseLayer['activation']): number {
  return activation === 'relu' ? Math.max(0, v) : activation === 'sigmoid' ? sigmoid(v) : v;
}

/** Forward pass in float64; the last layer's pre-activation is the logit (as PurchaseScorer). */
function forward(net: Net, x: ArrayLike<number>): { z: number; pre: Float64Array[] } {
  let input: ArrayLike<number> = x;
  const pre: Float64Array[] = [];
  const n = net.layers.length;
  for (let l = 0; l < n; l++) {
    const layer = net.layers[l]!;
    const y = Float64Array.from(layer.b);
    for (let i = 0; i < layer.in; i++) {
      const xi = input[i]!;
      if (xi === 0) continue;
      const base = i * layer.out;
      for (let o = 0; o < layer.out; o++) y[o]! += xi * layer.w[base + o]!;
    }
    pre.push(y);
    if (l < n - 1) {
      const act = new Float64Array(layer.out);
      for (let o = 0; o < layer.out; o++) act[o] = activate(y[o]!, layer.activation);
      input = act;
    } else input = y;
  }
  return { z: input[0]!, pre };
}

/** Adds scale · ∂z/∂x into grad (backpropagation through the dense layers). */
function backward(net: Net, x: ArrayLike<number>, grad: Float64Array, scale: number): void {
  const { pre } = forward(net, x);
  const n = net.layers.length;
  let upstream = Float64Array.of(scale); // ∂/∂ output of the last layer's pre-activation
  for (let l = n - 1; l >= 0; l--) {
    const layer = net.layers[l]!;
    if (l < n - 1) {
      // through the activation of layer l
      const p = pre[l]!;
      for (let o = 0; o < layer.out; o++) {
        const v = p[o]!;
        upstream[o] = upstream[o]! * (layer.activation === 'relu' ? (v > 0 ? 1 : 0) : layer.activation === 'sigmoid' ? sigmoid(v) * (1 - sigmoid(v)) : 1);
      }
    }
    const down = new Float64Array(layer.in);
    for (let i = 0; i < layer.in; i++) {
      const base = i * layer.out;
      let s = 0;
      for (let o = 0; o < layer.out; o++) s += layer.w[base + o]! * upstream[o]!;
      down[i] = s;
    }
    upstream = down;
  }
  for (let i = 0; i < grad.length; i++) grad[i]! += upstream[i]!;
}

/**
 * Adds scale · ∫₀¹ ∂z/∂x(α·x) dα into `out` for a network whose hidden layers are ReLU or linear.
 * Along the path every pre-activation is linear in α while no ReLU changes state, so the gradient
 * is constant on each piece: from α, a forward pass carrying d/dα finds the next α where a
 * pre-activation crosses zero, the backward pass with the piece's active units gives its gradient.
 */
function integratePiecewise(net: Net, x: ArrayLike<number>, out: Float64Array, scale: number): void {
  const n = net.layers.length;
  const first = net.layers[0]!;
  // The first layer is linear in α along the path: pre₁(α) = b + α·(W₁ᵀx), tangent W₁ᵀx; computed once.
  const direction = new Float64Array(first.out);
  for (let i = 0; i < first.in; i++) {
    const v = x[i]!;
    if (v === 0) continue;
    const base = i * first.out;
    for (let o = 0; o < first.out; o++) direction[o]! += v * first.w[base + o]!;
  }
  // ∫ ∂z/∂pre₁ dα, accumulated piece by piece; ∂z/∂x = W₁ · that, once at the end.
  const atFirst = new Float64Array(first.out);
  const active = net.layers.map((l) => new Uint8Array(l.out));
  let alpha = 0;
  for (let segments = 0; alpha < 1; segments++) {
    if (segments > MAX_SEGMENTS) throw new Error(`integrated gradients crossed more than ${MAX_SEGMENTS} linear pieces`);
    let next = 1;
    let pre: Float64Array = Float64Array.from(first.b, (b, o) => b + alpha * direction[o]!);
    let dpre: Float64Array = Float64Array.from(direction);
    for (let l = 0; l < n - 1; l++) {
      const layer = net.layers[l]!;
      const mask = active[l]!;
      for (let o = 0; o < layer.out; o++) {
        if (layer.activation === 'linear') {
          mask[o] = 1;
          continue;
        }
        const p = pre[o]!;
        const d = dpre[o]!;
        const tol = 1e-12 * (1 + Math.abs(p));
        mask[o] = p > tol || (Math.abs(p) <= tol && d > 0) ? 1 : 0;
        if (d !== 0) {
          const crossing = alpha - p / d;
          if (crossing > alpha + 1e-12 && crossing < next) next = crossing;
        }
      }
      const following = net.layers[l + 1]!;
      const nextPre = Float64Array.from(following.b);
      const nextD = new Float64Array(following.out);
      for (let i = 0; i < following.in; i++) {
        if (!mask[i]) continue;
        const v = pre[i]!;
        const t = dpre[i]!;
        const base = i * following.out;
        for (let o = 0; o < following.out; o++) {
          const w = following.w[base + o]!;
          nextPre[o]! += v * w;
          nextD[o]! += t * w;
        }
      }
      pre = nextPre;
      dpre = nextD;
    }
    // Backward with this piece's active units, down to pre₁: constant on [alpha, next].
    let upstream = Float64Array.of(scale * (next - alpha));
    for (let l = n - 1; l >= 1; l--) {
      const layer = net.layers[l]!;
      const below = active[l - 1]!;
      const down = new Float64Array(layer.in);
      for (let i = 0; i < layer.in; i++) {
        if (!below[i]) continue;
        const base = i * layer.out;
        let s = 0;
        for (let o = 0; o < layer.out; o++) s += layer.w[base + o]! * upstream[o]!;
        down[i] = s;
      }
      upstream = down;
    }
    for (let o = 0; o < first.out; o++) atFirst[o]! += upstream[o]!;
    alpha = next;
  }
  for (let i = 0; i < first.in; i++) {
    const base = i * first.out;
    let s = 0;
    for (let o = 0; o < first.out; o++) s += first.w[base + o]! * atFirst[o]!;
    out[i]! += s;
  }
}

export const loadPropensityModel: ModelLoader = (bytes, record) => {
  const artifact = decodeArtifact(bytes);
  assertDefinitions(artifact, record.featureDefinitionsVersion);
  return new PropensityModel(record.model, record.version, record.featureDefinitionsVersion, artifact);
};
