import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '@clickwise/random';
import { loadTensorflow } from '@clickwise/tf';
import { LazyAdamTable } from './lazy-adam.js';

void describe('LazyAdamTable', () => {
  void it('gives dense Adam (tf.train.adam over the whole table) while touching only the rows a batch names', async () => {
    const { tf } = await loadTensorflow({});
    const rows = 40;
    const dim = 6;
    const lr = 0.01;
    const rand = mulberry32(7);
    const start = Float32Array.from({ length: rows * dim }, () => rand() - 0.5);
    const lazy = new LazyAdamTable(Float32Array.from(start), dim, { learningRate: lr });
    const dense = tf.variable(tf.tensor2d(start, [rows, dim]));
    const optimizer = tf.train.adam(lr);
    // Batches name a few rows, some twice, most rows are skipped for many steps; rows 30+ never appear.
    for (let step = 0; step < 300; step++) {
      const n = 1 + Math.floor(rand() * 5);
      const named = Int32Array.from({ length: n }, () => Math.floor(rand() ** 2 * 30));
      const grads = Float32Array.from({ length: n * dim }, () => rand() * 2 - 1);
      lazy.apply(named, n, grads);
      const full = new Float32Array(rows * dim);
      for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) full[named[i]! * dim + k]! += grads[i * dim + k]!;
      const g = tf.tensor2d(full, [rows, dim]);
      optimizer.applyGradients([{ name: dense.name, tensor: g }]);
      g.dispose();
    }
    lazy.flush();
    const want = dense.dataSync();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(lazy.values[i]! - want[i]!));
    assert.ok(worst < 1e-5, `largest difference from dense Adam ${worst}`);
    for (let i = 30 * dim; i < rows * dim; i++) assert.equal(lazy.values[i], start[i], 'a row never named does not move');
    assert.ok(Math.abs(lazy.values[0]! - start[0]!) > 1e-3, 'a named row moved');
    optimizer.dispose();
    dense.dispose();
  });

  void it('stays dense Adam when the learning rate changes between steps (a per-epoch schedule)', async () => {
    const { tf } = await loadTensorflow({});
    const rows = 20;
    const dim = 4;
    const rand = mulberry32(9);
    const start = Float32Array.from({ length: rows * dim }, () => rand() - 0.5);
    const lazy = new LazyAdamTable(Float32Array.from(start), dim, { learningRate: 0.02 });
    const dense = tf.variable(tf.tensor2d(start, [rows, dim]));
    const optimizer = tf.train.adam(0.02);
    for (let step = 0; step < 120; step++) {
      if (step === 40 || step === 80) {
        const lr = step === 40 ? 0.01 : 0.005;
        lazy.setLearningRate(lr);
        (optimizer as unknown as { learningRate: number }).learningRate = lr;
      }
      const n = 1 + Math.floor(rand() * 3);
      const named = Int32Array.from({ length: n }, () => Math.floor(rand() ** 2 * rows));
      const grads = Float32Array.from({ length: n * dim }, () => rand() * 2 - 1);
      lazy.apply(named, n, grads);
      const full = new Float32Array(rows * dim);
      for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) full[named[i]! * dim + k]! += grads[i * dim + k]!;
      const g = tf.tensor2d(full, [rows, dim]);
      optimizer.applyGradients([{ name: dense.name, tensor: g }]);
      g.dispose();
    }
    lazy.flush();
    const want = dense.dataSync();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(lazy.values[i]! - want[i]!));
    assert.ok(worst < 1e-5, `largest difference from dense Adam with the same schedule ${worst}`);
    optimizer.dispose();
    dense.dispose();
  });

  void it('reads the rows it is asked for', () => {
    const table = new LazyAdamTable(Float32Array.from([0, 1, 10, 11, 20, 21]), 2, { learningRate: 0.1 });
    const out = new Float32Array(6);
    table.gather(Int32Array.from([2, 0, 2]), 3, out);
    assert.deepStrictEqual([...out], [20, 21, 0, 1, 20, 21]);
    assert.throws(() => new LazyAdamTable(new Float32Array(5), 2, { learningRate: 0.1 }), /not a whole number of rows/);
  });
});
