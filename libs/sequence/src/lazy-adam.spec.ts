import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '@clickwise/random';
import { loadTensorflow } from '@clickwise/tf';
import { LazyAdamTable } from './lazy-adam.js';

/**
 * Runs `steps` sparse steps on a LazyAdamTable and on tf.train.adam over the whole table, the same
 * seeded batches (1..maxNamed rows, drawn from the first `namedRows`, skewed to the low ones), the
 * learning rate set by `rateAt(step)` before each step; returns both tables after a flush.
 */
async function lazyAndDense(o: { rows: number; dim: number; steps: number; seed: number; maxNamed: number; namedRows: number; rateAt: (step: number) => number }) {
  const { tf } = await loadTensorflow({});
  const { rows, dim } = o;
  const rand = mulberry32(o.seed);
  const start = Float32Array.from({ length: rows * dim }, () => rand() - 0.5);
  const lazy = new LazyAdamTable(Float32Array.from(start), dim, { learningRate: o.rateAt(0) });
  const dense = tf.variable(tf.tensor2d(start, [rows, dim]));
  const optimizer = tf.train.adam(o.rateAt(0));
  for (let step = 0; step < o.steps; step++) {
    const lr = o.rateAt(step);
    lazy.setLearningRate(lr);
    (optimizer as unknown as { learningRate: number }).learningRate = lr; // tf.train.adam reads it at each step
    const n = 1 + Math.floor(rand() * o.maxNamed);
    const named = Int32Array.from({ length: n }, () => Math.floor(rand() ** 2 * o.namedRows));
    const grads = Float32Array.from({ length: n * dim }, () => rand() * 2 - 1);
    lazy.apply(named, n, grads);
    const full = new Float32Array(rows * dim);
    for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) full[named[i]! * dim + k]! += grads[i * dim + k]!;
    const g = tf.tensor2d(full, [rows, dim]);
    optimizer.applyGradients([{ name: dense.name, tensor: g }]);
    g.dispose();
  }
  lazy.flush();
  const want = Float32Array.from(dense.dataSync() as Float32Array);
  optimizer.dispose();
  dense.dispose();
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(lazy.values[i]! - want[i]!));
  return { start, lazy: lazy.values, worst };
}

void describe('LazyAdamTable', () => {
  void it('gives dense Adam (tf.train.adam over the whole table) while touching only the rows a batch names', async () => {
    const dim = 6;
    // Batches name a few rows, some twice, most rows are skipped for many steps; rows 30+ never appear.
    const { start, lazy, worst } = await lazyAndDense({ rows: 40, dim, steps: 300, seed: 7, maxNamed: 5, namedRows: 30, rateAt: () => 0.01 });
    assert.ok(worst < 1e-5, `largest difference from dense Adam ${worst}`);
    for (let i = 30 * dim; i < 40 * dim; i++) assert.equal(lazy[i], start[i], 'a row never named does not move');
    assert.ok(Math.abs(lazy[0]! - start[0]!) > 1e-3, 'a named row moved');
  });

  void it('stays dense Adam when the learning rate changes between steps (a per-epoch schedule)', async () => {
    const { worst } = await lazyAndDense({ rows: 20, dim: 4, steps: 120, seed: 9, maxNamed: 3, namedRows: 20, rateAt: (step) => (step < 40 ? 0.02 : step < 80 ? 0.01 : 0.005) });
    assert.ok(worst < 1e-5, `largest difference from dense Adam with the same schedule ${worst}`);
  });

  void it('reads the rows it is asked for', () => {
    const table = new LazyAdamTable(Float32Array.from([0, 1, 10, 11, 20, 21]), 2, { learningRate: 0.1 });
    const out = new Float32Array(6);
    table.gather(Int32Array.from([2, 0, 2]), 3, out);
    assert.deepStrictEqual([...out], [20, 21, 0, 1, 20, 21]);
    assert.throws(() => new LazyAdamTable(new Float32Array(5), 2, { learningRate: 0.1 }), /not a whole number of rows/);
  });
});
