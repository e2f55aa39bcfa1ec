import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '@clickwise/evaluation';
import { loadTensorflow, type BackendChoice } from '@clickwise/tf';
import { disposeEnsemble, fitEnsemble, type Dataset, type ModelConfig } from './models.js';

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
