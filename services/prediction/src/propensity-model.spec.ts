import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureSnapshot } from '@clickwise/feature-store';
import { FeatureEngine } from '@clickwise/features';
import type { ModelVersion } from '@clickwise/model-registry';
import { columnsOf, fitPreprocessing, rowOf, transformRow } from '@clickwise/training';
import { encodeArtifact, PurchaseScorer, type DenseLayer, type PurchaseArtifact } from '@clickwise/training/artifact';
import { servingLoaders } from './loaders.js';
import { PROPENSITY_FORMAT, PropensityModel, vectorOf } from './propensity-model.js';
import { ServingModels, smokeSnapshots } from './serving-models.js';

const engine = new FeatureEngine();

/** A seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random live-feature snapshots: counts, seconds and prices, lists of items (some empty). */
function snapshots(n: number, seed: number): FeatureSnapshot[] {
  const r = rng(seed);
  const base = smokeSnapshots(engine)[0]!;
  return Array.from({ length: n }, () => ({
    ...base,
    found: { shopper: true, session: true, item: false, category: false },
    features: base.features.map((f) => {
      const plan = engine.plans[f.entity].features.find((p) => p.definition.name === f.name)!;
      if (plan.kind === 'list') return { ...f, value: Array.from({ length: Math.floor(r() * 4) }, () => `i${Math.floor(r() * 10)}`) };
      return { ...f, value: r() < 0.3 ? 0 : Math.floor(r() * (r() < 0.5 ? 10 : 5000)) };
    }),
  }));
}

function layer(r: () => number, nIn: number, nOut: number, activation: DenseLayer['activation'], scale: number): DenseLayer {
  return { in: nIn, out: nOut, weights: Array.from({ length: nIn * nOut }, () => (r() - 0.5) * scale), bias: Array.from({ length: nOut }, () => (r() - 0.5) * 0.2), activation };
}

/** A real artifact of libs/training's format: its columns and preprocessing fitted on rows, random weights (not trained). */
function artifact(kind: 'logistic_regression' | 'mlp', seed: number): PurchaseArtifact {
  const columns = columnsOf(engine, { price: true, category: true });
  // Each training row scores an item (as training does), so the item columns have spread.
  const rows = snapshots(300, seed).map((s, i) => Float32Array.from(rowOf(vectorOf(s, '', '', `i${i % 10}`), columns)));
  const flat = new Float32Array(rows.length * columns.length);
  rows.forEach((row, i) => flat.set(row, i * columns.length));
  const preprocessing = fitPreprocessing(flat, columns.length);
  const r = rng(seed + 1);
  const w = preprocessing.width;
  const networks = kind === 'logistic_regression' ? [[layer(r, w, 1, 'sigmoid', 0.4)]] : [0, 1].map(() => [layer(r, w, 16, 'relu', 0.5), layer(r, 16, 8, 'relu', 0.8), layer(r, 8, 1, 'sigmoid', 1)]);
  return { format: PROPENSITY_FORMAT, model: kind, featureDefinitionsVersion: engine.version, createdAt: new Date(0).toISOString(), columns, preprocessing, networks, calibration: { kind: 'platt', a: 0.8, b: -0.2 }, info: {} };
}

function record(version: string, bytes: Uint8Array): ModelVersion {
  return {
    model: 'propensity', version, createdAtMs: 0, metrics: {}, featureDefinitionsVersion: engine.version, backend: 'cpu', holdoutFromMs: 0, holdoutToMs: 1, comparedToVersion: '', wonWhenPublished: true,
    artifact: { uri: '', sha256: version, sizeBytes: bytes.length, format: PROPENSITY_FORMAT, partition: 0, firstOffset: 0, endOffset: 1, chunks: 1 },
  };
}

void describe('clickwise.purchase-propensity.v1 (libs/training) in serving', () => {
  void it('logistic regression: the probability of libs/training\'s scorer; exact contributions adding up to logit − baseline', () => {
    const a = artifact('logistic_regression', 3);
    const model = new PropensityModel('propensity', 'lr', engine.version, a);
    const scorer = new PurchaseScorer(a);
    assert.equal(model.explanation, 'linear-exact');
    for (const s of snapshots(200, 11)) {
      const score = model.score(s);
      assert.ok(Math.abs(score.probability - scorer.scoreVector(vectorOf(s))) < 1e-5, 'agrees with PurchaseScorer (float32)');
      const sum = score.contributions.reduce((t, c) => t + c.contribution, score.baselineLogit);
      assert.ok(Math.abs(sum - score.logit) < 1e-9 * Math.max(1, Math.abs(score.logit)), `exact: ${sum} vs ${score.logit}`);
      assert.equal(new Set(score.contributions.map((c) => c.feature)).size, score.contributions.length, 'one contribution per column');
    }
  });

  void it('MLP ensemble: the scorer\'s probability; integrated gradients from the mean input sum to logit − baseline logit', () => {
    const a = artifact('mlp', 5);
    const model = new PropensityModel('propensity', 'mlp', engine.version, a);
    const scorer = new PurchaseScorer(a);
    assert.equal(model.explanation, 'integrated-gradients/exact');
    let worst = 0;
    for (const s of snapshots(200, 13)) {
      const score = model.score(s);
      assert.ok(Math.abs(score.probability - scorer.scoreVector(vectorOf(s))) < 1e-5, 'agrees with PurchaseScorer (float32)');
      const delta = score.logit - score.baselineLogit;
      const sum = score.contributions.reduce((t, c) => t + c.contribution, 0);
      worst = Math.max(worst, Math.abs(sum - delta) / Math.max(1e-9, Math.abs(delta)));
    }
    console.log(`integrated gradients (exact, piecewise linear): worst completeness error ${worst.toExponential(2)} of |logit − baseline| over 200 random snapshots`);
    assert.ok(worst < 1e-9, `completeness: worst relative error ${worst}`);
  });

  void it('an isotonic calibration: the probability is the artifact\'s isotonic map (as PurchaseScorer), explanations stay on the Platt logit', () => {
    const platt = artifact('mlp', 6);
    // Knots over the spread of this model's logits, a non-decreasing map that is not a sigmoid.
    const z = snapshots(200, 17).map((s) => new PurchaseScorer(platt).logit(rowOf(vectorOf(s), platt.columns))).sort((x, y) => x - y);
    const knots = [0, 0.25, 0.5, 0.75, 1].map((q) => z[Math.min(z.length - 1, Math.floor(q * z.length))]!);
    const a: PurchaseArtifact = { ...platt, calibration: { kind: 'isotonic', a: 0.8, b: -0.2, isotonic: { z: knots, p: [0.01, 0.02, 0.02, 0.3, 0.6] } } };
    const iso = new PropensityModel('propensity', 'iso', engine.version, a);
    const plattModel = new PropensityModel('propensity', 'platt', engine.version, platt);
    const scorer = new PurchaseScorer(a);
    let plattDiffers = 0;
    for (const s of snapshots(200, 19)) {
      const score = iso.score(s);
      assert.ok(Math.abs(score.probability - scorer.scoreVector(vectorOf(s))) < 1e-5, `agrees with PurchaseScorer's isotonic map: ${score.probability} vs ${scorer.scoreVector(vectorOf(s))}`);
      const p = plattModel.score(s);
      assert.ok(Math.abs(score.logit - p.logit) < 1e-12, 'the explanation logit is the Platt one');
      if (Math.abs(p.probability - score.probability) > 1e-3) plattDiffers++;
    }
    assert.ok(plattDiffers > 100, `the isotonic probability is not Platt's (${plattDiffers} of 200 differ)`);
  });

  void it('loads through the registry seam (ServingModels) and refuses a broken artifact of the format', async () => {
    const lr = encodeArtifact(artifact('logistic_regression', 7));
    const mlp = encodeArtifact(artifact('mlp', 8));
    const broken = encodeArtifact({ ...artifact('mlp', 9), networks: [[layer(rng(1), 3, 1, 'sigmoid', 1)]] });
    const bytes = new Map([['lr', lr], ['mlp', mlp], ['broken', broken]]);
    const models = new ServingModels(engine, servingLoaders(), (r) => Promise.resolve(bytes.get(r.version)!));
    assert.equal((await models.accept(record('lr', lr))).explanation, 'linear-exact');
    assert.equal((await models.accept(record('mlp', mlp))).explanation, 'integrated-gradients/exact');
    await assert.rejects(models.accept(record('broken', broken)), /rejected at load: .*does not fit its input/);
    assert.equal(models.current?.version, 'mlp');
  });
});

void describe('integrated gradients: gradient check', () => {
  void it('the backpropagated gradient matches finite differences', () => {
    const a = artifact('mlp', 5);
    const model = new PropensityModel('propensity', 'mlp', engine.version, a) as unknown as { calibrated(x: ArrayLike<number>): number; gradient(x: ArrayLike<number>, g: Float64Array, w: number): void };
    const r = rng(99);
    const width = a.preprocessing.width;
    const x = Float64Array.from({ length: width }, () => (r() - 0.5) * 2);
    const g = new Float64Array(width);
    model.gradient(x, g, 1);
    let worst = 0;
    for (let i = 0; i < width; i++) {
      const h = 1e-6;
      const up = Float64Array.from(x);
      up[i]! += h;
      const dn = Float64Array.from(x);
      dn[i]! -= h;
      const fd = (model.calibrated(up) - model.calibrated(dn)) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - g[i]!));
    }
    assert.ok(worst < 1e-6, `worst gradient error ${worst}`);
  });
});

void describe('integrated gradients: the exact pieces are the integral', () => {
  void it('equal a 4,000-step trapezoid per column, and cost what the figure says at the trained size', () => {
    const a = artifact('mlp', 21);
    const model = new PropensityModel('propensity', 'mlp', engine.version, a);
    const internals = model as unknown as { gradient(x: ArrayLike<number>, g: Float64Array, w: number): void };
    const p = a.preprocessing;
    const columnOfInput = [...p.inputs.map((t) => t.column), ...p.inputs.filter((t) => t.indicator).map((t) => t.column)];
    for (const s of snapshots(3, 23)) {
      const x = Float64Array.from(transformRowOf(a, s));
      const steps = 4000;
      const grad = new Float64Array(p.width);
      for (let k = 0; k <= steps; k++) internals.gradient(x.map((v) => (k / steps) * v), grad, k === 0 || k === steps ? 0.5 / steps : 1 / steps);
      const byColumn = new Map<string, number>();
      columnOfInput.forEach((c, i) => byColumn.set(a.columns[c]!.name, (byColumn.get(a.columns[c]!.name) ?? 0) + x[i]! * grad[i]!));
      const exact = model.score(s).contributions;
      const scale = Math.max(...exact.map((c) => Math.abs(c.contribution)));
      for (const c of exact) assert.ok(Math.abs(c.contribution - byColumn.get(c.feature)!) < 1e-3 * scale, `${c.feature}: ${c.contribution} vs ${byColumn.get(c.feature)}`);
    }
    // libs/training's MLP: hidden [64, 32], 5 members.
    const columns = a.columns;
    const r = rng(31);
    const w = p.width;
    const trained: PurchaseArtifact = { ...a, networks: Array.from({ length: 5 }, () => [layer(r, w, 64, 'relu', 0.3), layer(r, 64, 32, 'relu', 0.3), layer(r, 32, 1, 'sigmoid', 0.5)]) };
    const big = new PropensityModel('propensity', 'big', engine.version, trained);
    const inputs = snapshots(50, 37);
    const started = performance.now();
    for (const s of inputs) big.score(s);
    const ms = (performance.now() - started) / inputs.length;
    console.log(`exact integrated gradients, ${columns.length} columns → ${w} inputs, 5 × [64, 32] ReLU: ${ms.toFixed(2)} ms per explained score`);
  });
});

function transformRowOf(a: PurchaseArtifact, s: FeatureSnapshot): Float32Array {
  return transformRow(a.preprocessing, rowOf(vectorOf(s), a.columns));
}

void describe('the scored item', () => {
  void it('feeds the item columns (item in the session cart) when the context names it, else they read as missing', () => {
    const a = artifact('logistic_regression', 41);
    const model = new PropensityModel('propensity', 'lr', engine.version, a);
    const s = snapshots(1, 43)[0]!;
    const withCart = { ...s, features: s.features.map((f) => (f.name === 'session_carted_items_24h' ? { ...f, value: ['i3', 'i4'] } : f)) };
    const column = 'item_in_session_carted_items_24h';
    const value = (itemId?: string) => model.score(withCart, itemId === undefined ? {} : { itemId }).contributions.find((c) => c.feature === column)?.value;
    assert.equal(value('i3'), 1);
    assert.equal(value('i9'), 0);
    assert.ok(Number.isNaN(value()));
  });
});
