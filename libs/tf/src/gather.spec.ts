import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Scalar, Tensor } from '@tensorflow/tfjs';
import { gatherRows } from './gather.js';
import { loadTensorflow, type BackendName, type Tf } from './load.js';

const nativeOptional = process.env.CLICKWISE_TF_NATIVE === 'optional';

/** A 6×3 table, repeated and 2-D indices, and per-element weights so every gradient entry differs. */
function fixture(tf: Tf) {
  const table = tf.tensor2d(Array.from({ length: 18 }, (_, i) => (i - 7) / 5), [6, 3]);
  const indices = tf.tensor2d([[0, 2, 2], [5, 0, 2]], [2, 3], 'int32');
  const weights = tf.tensor3d(Array.from({ length: 18 }, (_, i) => Math.sin(i + 1)), [2, 3, 3]);
  return { table, indices, weights };
}

type Gather = (tf: Tf, table: Tensor, indices: Tensor) => Tensor;
const viaGather: Gather = (tf, table, indices) => tf.gather(table, indices);

/** The forward value and the table's gradient of sum(gather(table, indices) · weights). */
function run(tf: Tf, gather: Gather): { value: number[]; grad: number[] } {
  return tf.tidy(() => {
    const { table, indices, weights } = fixture(tf);
    const value = Array.from(gather(tf, table, indices).dataSync());
    const grad = tf.grad((t: Tensor) => tf.sum(tf.mul(gather(tf, t, indices), weights)))(table);
    return { value, grad: Array.from(grad.dataSync()) };
  });
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `${what}[${i}]: ${v} vs ${expected[i]}`));
}

async function backend(name: BackendName): Promise<Tf | undefined> {
  try {
    return (await loadTensorflow({ backend: name })).tf;
  } catch (error) {
    if (name === 'native' && nativeOptional) return undefined;
    if (name === 'native') throw new Error(`${error instanceof Error ? error.message : String(error)}\n(set CLICKWISE_TF_NATIVE=optional where a machine without the native backend is acceptable)`, { cause: error });
    throw error;
  }
}

void describe('gatherRows', () => {
  void it('gives tf.gather\'s value and its gradient (cpu\'s UnsortedSegmentSum) on every backend', async (t) => {
    const reference = run((await backend('cpu'))!, viaGather);
    for (const name of ['cpu', 'wasm', 'native'] as const) {
      const tf = await backend(name);
      if (!tf) {
        t.diagnostic('native backend unavailable (CLICKWISE_TF_NATIVE=optional): compared on cpu and wasm only');
        continue;
      }
      const mine = run(tf, gatherRows);
      assertClose(mine.value, reference.value, `${name} value`);
      assertClose(mine.grad, reference.grad, `${name} gradient`);
      // Row 1 and 3 are never gathered; row 2 three times: the gradient sums them.
      assert.deepEqual(mine.grad.slice(3, 6), [0, 0, 0]);
      if (name === 'native') assertClose(run(tf, viaGather).grad, reference.grad, 'native tf.gather gradient');
    }
  });

  void it('trains an embedding on wasm, where tf.gather has no gradient kernel', async () => {
    const tf = (await backend('wasm'))!;
    const { table, indices, weights } = fixture(tf);
    assert.throws(() => tf.grad((x: Tensor) => tf.sum(tf.gather(x, indices)))(table), /UnsortedSegmentSum/);
    const v = tf.variable(table);
    const target = tf.tensor3d(Array.from({ length: 18 }, () => 0.5), [2, 3, 3]);
    const optimizer = tf.train.sgd(0.1);
    const loss = () => tf.losses.meanSquaredError<Tensor, Scalar>(target, tf.mul(gatherRows(tf, v, indices), weights));
    const before = tf.tidy(() => loss().dataSync()[0]!);
    for (let i = 0; i < 50; i++) tf.dispose(optimizer.minimize(loss, true)!);
    const afterTraining = tf.tidy(() => loss().dataSync()[0]!);
    assert.ok(afterTraining < before / 2, `loss ${before} → ${afterTraining}`);
    tf.dispose([table, indices, weights, v, target]);
  });

  void it('rejects non-integer indices and a scalar table, naming the problem', async () => {
    const tf = (await backend('cpu'))!;
    assert.throws(() => gatherRows(tf, tf.ones([3, 2]), tf.tensor1d([0, 1])), /gatherRows: indices must be int32, got float32/);
    assert.throws(() => gatherRows(tf, tf.scalar(1), tf.tensor1d([0], 'int32')), /gatherRows: table must have at least one dimension/);
  });
});
