import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '@clickwise/evaluation';
import { applyIsotonic, ArtifactError, decodeArtifact, encodeArtifact, PurchaseScorer, type PurchaseArtifact } from './artifact.js';
import { anchorToPrior, applyCalibration, chooseCalibration, fitIsotonic, fitPlatt } from './calibration.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Logits and labels drawn from P(y = 1 | z) = truth(z). */
function draw(n: number, seed: number, truth: (z: number) => number) {
  const rand = mulberry32(seed);
  const z: number[] = [];
  const y: number[] = [];
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = rand() * 8 - 5;
    z.push(v);
    y.push(rand() < truth(v) ? 1 : 0);
    groups.push(`s${i}`);
  }
  return { z, y, groups };
}

void describe('isotonic calibration and the choice against Platt (on validation only)', () => {
  void it('pool-adjacent-violators: non-decreasing, block shares, ties kept in one block', () => {
    const m = fitIsotonic([1, 2, 3, 4, 5, 5], [0, 1, 0, 1, 1, 0]);
    // Blocks: {1} → 0, {2,3} → 0.5, {4} → 1 pools with {5,5} (0.5) → {4,5,5} 2/3.
    assert.deepEqual(m.z, [1, 2.5, 14 / 3]);
    assert.deepEqual(m.p.map((p) => Number(p.toFixed(4))), [0.0001, 0.5, 0.6667]);
    assert.equal(applyIsotonic(m, 0), m.p[0]);
    assert.equal(applyIsotonic(m, 9), m.p[2]);
    assert.ok(Math.abs(applyIsotonic(m, 1.75) - (0.0001 + 0.5) / 2) < 1e-12, 'linear between knots');
    const { z, y } = draw(3000, 3, (v) => sigmoid(v));
    const big = fitIsotonic(z, y);
    for (let i = 1; i < big.p.length; i++) assert.ok(big.p[i]! >= big.p[i - 1]! && big.z[i]! > big.z[i - 1]!);
  });

  void it('chooses isotonic when the true curve is a step no sigmoid fits, Platt when it is a sigmoid', () => {
    const step = draw(6000, 4, (v) => (v > 0 ? 0.3 : 0.02));
    const a = chooseCalibration(step.z, step.y, step.groups);
    assert.equal(a.method, 'isotonic', JSON.stringify(a));
    const smooth = draw(1500, 5, (v) => sigmoid(0.8 * v - 1));
    const b = chooseCalibration(smooth.z, smooth.y, smooth.groups);
    assert.equal(b.method, 'platt', JSON.stringify(b));
    assert.equal(a.folds, 5);
    // The cross-fitted choice is a function of the data: the same data, the same answer.
    assert.deepEqual(chooseCalibration(step.z, step.y, step.groups), a);
  });

  void it('an isotonic artifact is scored with its map by the forward pass, and malformed knots are refused', () => {
    const artifact: PurchaseArtifact = {
      format: 'clickwise.purchase-propensity.v1',
      model: 'logistic_regression',
      featureDefinitionsVersion: 'v',
      createdAt: '2026-12-02T00:00:00Z',
      columns: [{ name: 'x', source: { kind: 'feature', entity: 'shopper', index: 0 }, absent: false }],
      preprocessing: { rawWidth: 1, inputs: [{ column: 0, log: false, impute: 0, mean: 0, std: 1, indicator: false, indicatorMean: 0, indicatorStd: 1 }], width: 1 },
      networks: [[{ in: 1, out: 1, weights: [1], bias: [0], activation: 'sigmoid' }]],
      calibration: { ...fitPlatt([0, 1, 2, 3], [0, 0, 1, 1]), kind: 'isotonic', isotonic: { z: [-1, 0, 2], p: [0.01, 0.1, 0.5] } },
      info: {},
    };
    const scorer = new PurchaseScorer(decodeArtifact(encodeArtifact(artifact)));
    assert.ok(Math.abs(scorer.score([1]) - 0.3) < 1e-6, `${scorer.score([1])}`);
    assert.equal(scorer.score([5]), 0.5);
    assert.deepEqual([...applyCalibration(artifact.calibration, [1])].map((p) => Number(p.toFixed(6))), [0.3]);
    const bad = { ...artifact, calibration: { ...artifact.calibration, isotonic: { z: [0, 0], p: [0.1, 0.2] } } };
    assert.throws(() => decodeArtifact(encodeArtifact(bad)), ArtifactError);
    assert.throws(() => decodeArtifact(encodeArtifact({ ...artifact, calibration: { kind: 'beta' as never, a: 1, b: 0 } })), /calibration kind "beta"/);
  });
});

void describe('base-rate anchoring of a Platt map (ADR 0065)', () => {
  void it('moves the intercept only, so the mean probability over the logits is the prior', () => {
    const { z, y } = draw(4000, 9, (v) => sigmoid(v));
    const plain = fitPlatt(z, y);
    for (const prior of [0.02, 0.1, 0.4]) {
      const c = anchorToPrior(plain, z, prior);
      assert.equal(c.a, plain.a, 'the slope is kept');
      const p = applyCalibration(c, z);
      const mean = p.reduce((s, v) => s + v, 0) / p.length;
      assert.ok(Math.abs(mean - prior) < 1e-6, `mean ${mean} for prior ${prior}`);
    }
    const observed = y.reduce((s, v) => s + v, 0) / y.length;
    const same = anchorToPrior(plain, z, observed);
    assert.ok(Math.abs(same.b - plain.b) < 0.05, `a prior equal to the fitted rate barely moves b (${plain.b} → ${same.b})`);
    assert.throws(() => anchorToPrior({ ...plain, kind: 'isotonic', isotonic: { z: [0], p: [0.5] } }, z, 0.1), /Platt/);
  });
});
