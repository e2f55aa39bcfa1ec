import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTensorflow, parseBackendChoice } from './load.js';

/** Fits y = 2x + 1 with one dense unit: proves the backend computes and trains, not just loads. */
async function fitLine(backend: 'wasm' | 'cpu'): Promise<{ active: string; slope: number; bias: number }> {
  const { tf, backend: active } = await loadTensorflow({ backend });
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
  model.compile({ optimizer: tf.train.adam(0.1), loss: 'meanSquaredError' });
  const xs = tf.tensor2d([-2, -1, 0, 1, 2, 3], [6, 1]);
  const ys = tf.tensor2d([-3, -1, 1, 3, 5, 7], [6, 1]);
  await model.fit(xs, ys, { epochs: 300, verbose: 0 });
  const [kernel, bias] = model.getWeights().map((w) => w.dataSync()[0]!);
  tf.dispose([xs, ys]);
  return { active, slope: kernel!, bias: bias! };
}

void describe('loadTensorflow', () => {
  // First: a later `auto` returns the backend already loaded in this process.
  void it('auto reports the backend that really loaded and why better ones did not', async (t) => {
    const loaded = await loadTensorflow({ backend: 'auto' });
    t.diagnostic(`auto → ${loaded.backend} (tfjs "${loaded.tfBackendName}")${loaded.fallbacks.map((f) => `; not ${f.backend}: ${f.reason}`).join('')}`);
    assert.ok(['native', 'wasm', 'cpu'].includes(loaded.backend));
    assert.equal(loaded.tf.getBackend(), loaded.tfBackendName);
    for (const f of loaded.fallbacks) assert.ok(f.reason.length > 0);
  });

  void it('runs and trains on the wasm backend, and says so', async () => {
    const r = await fitLine('wasm');
    assert.equal(r.active, 'wasm');
    assert.ok(Math.abs(r.slope - 2) < 0.05, `slope ${r.slope}`);
    assert.ok(Math.abs(r.bias - 1) < 0.05, `bias ${r.bias}`);
  });

  void it('runs and trains on the cpu backend, and says so', async () => {
    const r = await fitLine('cpu');
    assert.equal(r.active, 'cpu');
    assert.ok(Math.abs(r.slope - 2) < 0.05, `slope ${r.slope}`);
  });

  void it('rejects an unknown backend name, naming the accepted ones', () => {
    assert.throws(() => parseBackendChoice('gpu'), /TF_BACKEND=gpu .*auto, native, wasm, cpu/);
    assert.equal(parseBackendChoice(undefined), 'auto');
  });
});
