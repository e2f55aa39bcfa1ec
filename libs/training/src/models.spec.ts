import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '@clickwise/evaluation';
import { loadTensorflow, type BackendChoice } from '@clickwise/tf';
import { disposeEnsemble, fitEnsemble, fitModel, refitEnsemble, type Dataset, type ModelConfig } from './models.js';

/** Standardised inputs with a logistic label (a fixed seed: the same data every time). */
function synthetic(n: number, seed: number, width = 6): Dataset {
  const rand = mulberry32(seed);
  const x = new Float32Array(n * width);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let z = -2.5;
    for (let j = 0; j < width; j++) {
      const v = rand() * 2 - 1;
      x[i * width + j] = v;
      z += (j % 2 === 0 ? 1.5 : -0.7) * v + (j === 0 ? v * v : 0);
    }
    y[i] = rand() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { x, y, width };
}

const MLP_SMALL: ModelConfig = { kind: 'mlp', hidden: [16, 8], dropout: 0.2, l2: 1e-4, learningRate: 0.01, batchSize: 64, epochs: 3, positiveWeight: 'sqrt', members: 2, seed: 5 };

void describe('seeded, deterministic training batches', () => {
  const train = synthetic(2000, 1);
  const validation = synthetic(600, 2);

  for (const backend of ['cpu', 'native'] satisfies BackendChoice[]) {
    void it(`${backend}: the same seed gives the same weights and validation figures; another seed does not`, async (t) => {
      let tf;
      try {
        ({ tf } = await loadTensorflow({ backend }));
      } catch (error) {
        // libs/tf's own spec requires the native backend where it is built (CLICKWISE_TF_NATIVE); here only the cpu run is required.
        if (backend === 'native' && process.env.CLICKWISE_TF_NATIVE === 'optional') return t.diagnostic(`native backend not loaded: ${String(error)}`);
        throw error;
      }
      const a = await fitEnsemble(tf, MLP_SMALL, train, validation);
      const b = await fitEnsemble(tf, MLP_SMALL, train, validation);
      const c = await fitEnsemble(tf, { ...MLP_SMALL, seed: 6, members: 1 }, train, validation);
      try {
        assert.deepEqual(a.networks, b.networks, 'same seed, same weights');
        assert.equal(a.validationRocAuc, b.validationRocAuc);
        assert.equal(a.validationPrAuc, b.validationPrAuc);
        assert.deepEqual(a.members.map((m) => m.bestEpoch), b.members.map((m) => m.bestEpoch));
        assert.notDeepEqual(a.networks[0], c.networks[0], 'another seed, other weights');
        assert.ok(a.validationRocAuc > 0.7, `validation ROC-AUC ${a.validationRocAuc}`);
      } finally {
        for (const e of [a, b, c]) disposeEnsemble(e);
      }
    });
  }
});

void describe('networks trained at once (stacked weights, ADR 0064)', () => {
  void it('cpu: the first network of an ensemble equals the same network trained alone (weights to 1e-5, same best epoch)', async () => {
    const { tf } = await loadTensorflow({ backend: 'cpu' });
    const train = synthetic(1500, 3);
    const validation = synthetic(500, 4);
    const config: ModelConfig = { ...MLP_SMALL, members: 3, epochs: 4 };
    const ensemble = await fitEnsemble(tf, config, train, validation);
    const alone = await fitModel(tf, config, train, validation);
    try {
      assert.equal(ensemble.members.length, 3);
      assert.equal(ensemble.members[0]!.bestEpoch, alone.bestEpoch);
      let worst = 0;
      for (const [i, layer] of alone.layers.entries()) {
        const other = ensemble.networks[0]![i]!;
        assert.deepEqual([other.in, other.out, other.activation], [layer.in, layer.out, layer.activation]);
        for (let j = 0; j < layer.weights.length; j++) worst = Math.max(worst, Math.abs(layer.weights[j]! - other.weights[j]!));
        for (let j = 0; j < layer.bias.length; j++) worst = Math.max(worst, Math.abs(layer.bias[j]! - other.bias[j]!));
      }
      assert.ok(worst <= 1e-5, `largest weight difference ${worst}`);
      assert.notDeepEqual(ensemble.networks[1], ensemble.networks[0], 'the other networks have their own weights');
    } finally {
      disposeEnsemble(ensemble);
      alone.model.dispose();
    }
  });

  void it('cpu: a logistic regression (no hidden layer) trains too', async () => {
    const { tf } = await loadTensorflow({ backend: 'cpu' });
    const lr = await fitModel(tf, { ...MLP_SMALL, kind: 'logistic_regression', hidden: [], dropout: 0, members: 1, epochs: 4 }, synthetic(1500, 5), synthetic(500, 6));
    try {
      assert.equal(lr.layers.length, 1);
      assert.equal(lr.layers[0]!.activation, 'sigmoid');
      assert.ok(lr.validationRocAuc > 0.7, `validation ROC-AUC ${lr.validationRocAuc}`);
    } finally {
      lr.model.dispose();
    }
  });
});

void describe('refit for a fixed number of epochs (ADR 0029)', () => {
  void it('cpu: a refit for a network\'s early-stopped epoch count gives that network\'s weights; the epoch count is honoured', async () => {
    const { tf } = await loadTensorflow({ backend: 'cpu' });
    const train = synthetic(1500, 7);
    const validation = synthetic(500, 8);
    const config: ModelConfig = { ...MLP_SMALL, epochs: 4 };
    const fitted = await fitEnsemble(tf, config, train, validation);
    try {
      const epochs = fitted.members[0]!.bestEpoch;
      assert.ok(epochs >= 1);
      const refit = await refitEnsemble(tf, config, train, epochs);
      assert.equal(refit.length, config.members);
      // The networks train side by side from the same seeds and batch order: network 0 after
      // `epochs` epochs is the one early stopping kept, to the last bit.
      assert.deepEqual(refit[0], fitted.networks[0]);
      const other = await refitEnsemble(tf, config, train, epochs === 1 ? 2 : 1);
      assert.notDeepEqual(other[0], refit[0], 'another epoch count, other weights');
    } finally {
      disposeEnsemble(fitted);
    }
  });
});
