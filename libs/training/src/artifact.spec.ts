import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTensorflow } from '@clickwise/tf';
import { ARTIFACT_FORMAT, ArtifactError, assertDefinitions, decodeArtifact, encodeArtifact, PurchaseScorer, type PurchaseArtifact } from './artifact.js';
import { mulberry32 } from '@clickwise/evaluation';
import type { ColumnSpec } from './columns.js';
import { fitEnsemble, logitOf, tfPredict, type ModelConfig } from './models.js';
import { fitPreprocessing, transformRows } from './preprocess.js';

/** Rows with counts (log1p), a rate, missing values (indicator + imputation) and a constant column (dropped). */
function synthetic(n: number, seed: number) {
  const rand = mulberry32(seed);
  const d = 5;
  const rows = new Float32Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const count = Math.floor(rand() * 20);
    const rate = rand();
    const missing = rand() < 0.3 ? NaN : rand() * 3 - 1;
    rows.set([count, rate, missing, 7, rand() * 1000], i * d);
    const z = 0.3 * Math.log1p(count) + 2 * rate - 3 + (Number.isNaN(missing) ? 1 : missing);
    y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { rows, y, d };
}

const columns: ColumnSpec[] = ['count', 'rate', 'maybe', 'constant', 'seconds'].map((name, index) => ({ name, source: { kind: 'feature', entity: 'shopper', index }, absent: false }));

void describe('artifact: the hand-written forward pass', () => {
  void it('equals TensorFlow.js predictions to 1e-5 (each network and the ensemble), after a JSON round trip', async () => {
    const { tf } = await loadTensorflow({ backend: 'cpu' });
    const train = synthetic(3000, 1);
    const test = synthetic(500, 2);
    const pre = fitPreprocessing(train.rows, train.d);
    assert.equal(pre.inputs.length, 4, 'the constant column gives no input');
    assert.equal(pre.width, 5, 'one missing indicator');
    const config: ModelConfig = { kind: 'mlp', hidden: [16, 8], dropout: 0.1, l2: 1e-4, learningRate: 0.01, batchSize: 128, epochs: 3, positiveWeight: 'sqrt', members: 2, seed: 3 };
    const x = transformRows(pre, train.rows);
    const data = { x, y: train.y, width: pre.width };
    const ensemble = await fitEnsemble(tf, config, data, { x: transformRows(pre, test.rows), y: test.y, width: pre.width });
    const artifactOf = (networks: PurchaseArtifact['networks']): PurchaseArtifact => ({
      format: ARTIFACT_FORMAT, model: 'mlp', featureDefinitionsVersion: 'v1', createdAt: new Date(0).toISOString(), columns, preprocessing: pre, networks, calibration: { kind: 'platt', a: 1, b: 0 }, info: {},
    });
    const testX = transformRows(pre, test.rows);
    const tfProbs = ensemble.members.map((m) => tfPredict(tf, m.model, testX, pre.width));
    let worst = 0;
    for (const [k, member] of ensemble.networks.entries()) {
      const scorer = PurchaseScorer.fromBytes(encodeArtifact(artifactOf([member])));
      for (let i = 0; i < test.y.length; i++) worst = Math.max(worst, Math.abs(scorer.uncalibrated(test.rows.subarray(i * test.d, (i + 1) * test.d)) - tfProbs[k]![i]!));
    }
    const both = PurchaseScorer.fromBytes(encodeArtifact(artifactOf(ensemble.networks)));
    for (let i = 0; i < test.y.length; i++) {
      const mean = tfProbs.reduce((s, p) => s + logitOf(p[i]!), 0) / tfProbs.length;
      worst = Math.max(worst, Math.abs(both.uncalibrated(test.rows.subarray(i * test.d, (i + 1) * test.d)) - 1 / (1 + Math.exp(-mean))));
    }
    for (const m of ensemble.members) m.model.dispose();
    assert.ok(worst <= 1e-5, `largest difference ${worst}`);
  });

  void it('calibration applies to the logit; a bad artifact and other feature definitions are refused by name', () => {
    const a: PurchaseArtifact = {
      format: ARTIFACT_FORMAT, model: 'logistic_regression', featureDefinitionsVersion: 'abc', createdAt: '', columns: columns.slice(0, 1),
      preprocessing: { rawWidth: 1, width: 1, inputs: [{ column: 0, log: false, impute: 0, mean: 0, std: 1, indicator: false, indicatorMean: 0, indicatorStd: 1 }] },
      networks: [[{ in: 1, out: 1, weights: [2], bias: [-1], activation: 'sigmoid' }]], calibration: { kind: 'platt', a: 0.5, b: 0.25 }, info: {},
    };
    const s = new PurchaseScorer(a);
    assert.ok(Math.abs(s.logit([3]) - 5) < 1e-6);
    assert.ok(Math.abs(s.score([3]) - 1 / (1 + Math.exp(-(0.5 * 5 + 0.25)))) < 1e-6);
    assert.ok(Number.isFinite(s.score([NaN])), 'a missing value is imputed');
    assert.throws(() => decodeArtifact(new TextEncoder().encode('{"format":"x"}')), /format "x" is not clickwise.purchase-propensity.v1/);
    const broken = { ...a, networks: [[{ ...a.networks[0]![0]!, in: 2, weights: [1, 2] }]] };
    assert.throws(() => decodeArtifact(encodeArtifact(broken)), /network 0 layer 0: shape 2×1 does not fit its input of 1/);
    assert.throws(() => assertDefinitions(a, 'def'), ArtifactError);
    assert.throws(() => assertDefinitions(a, 'def'), /trained on feature definitions abc, serving runs def/);
  });
});
