import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from './load.js';

/**
 * `tf.gather(table, indices)` along axis 0 (an embedding lookup) with a scatter-based gradient.
 * tf.gather's own gradient is UnsortedSegmentSum, which the wasm backend lacks and the cpu backend
 * runs one segment at a time (minutes for one step of a 10k-item model): here the gradient of the
 * table is `scatterND(indices, dy)`, which sums the rows of repeated indices like the original.
 *
 * `table` is `[rows, ...rest]`; `indices` an int32 tensor of any shape (kept alive until the gradient is taken); the result is
 * `[...indices.shape, ...rest]`. Only the table gets a gradient (indices are not differentiable).
 * Pass the `tf` of the backend in use (from `loadTensorflow`).
 */
export function gatherRows(tf: Tf, table: Tensor, indices: Tensor): Tensor {
  if (table.rank < 1) throw new Error('gatherRows: table must have at least one dimension, got a scalar');
  if (indices.dtype !== 'int32') throw new Error(`gatherRows: indices must be int32, got ${indices.dtype}`);
  const rest = table.shape.slice(1);
  const tableShape = table.shape;
  const n = indices.size;
  const lookup = tf.customGrad((t) =>
    ({
      value: tf.tidy(() => tf.reshape(tf.gather(t as Tensor, tf.reshape(indices, [-1])), [...indices.shape, ...rest])),
      // Runs inside the gradient computation's tidy: its intermediates are disposed with it.
      gradFunc: (dy: Tensor) => [tf.scatterND(tf.reshape(indices, [n, 1]), tf.reshape(dy, [n, ...rest]), tableShape)],
    }),
  );
  return lookup(table);
}
