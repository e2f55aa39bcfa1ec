import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildMlp, seededUniform } from './bench.js';
import { loadTensorflow, nativeAddonStatus, type Tf } from './load.js';

/**
 * The native backend is a deliverable (ADR 0050): without it this spec fails, unless
 * CLICKWISE_TF_NATIVE=optional says a machine without it is acceptable (then it checks that the
 * loader names why native is missing).
 */
const nativeOptional = process.env.CLICKWISE_TF_NATIVE === 'optional';

/** Five epochs of the seeded 64→64→1 network on fixed data: the loss curve and the final weights. */
async function trainMlp(tf: Tf): Promise<{ losses: number[]; weights: number[][] }> {
  const rows = 512;
  const x = seededUniform(rows * 64, 5, 1);
  const y = Float32Array.from({ length: rows }, (_, r) => (x[r * 64]! + x[r * 64 + 1]! > 0 ? 1 : 0));
  const xs = tf.tensor2d(x, [rows, 64]);
  const ys = tf.tensor2d(y, [rows, 1]);
  const model = buildMlp(tf);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
  const h = await model.fit(xs, ys, { batchSize: 64, epochs: 5, shuffle: false, verbose: 0 });
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  model.dispose();
  tf.dispose([xs, ys]);
  return { losses: h.history.loss as number[], weights };
}

function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

void describe('native backend (@tensorflow/tfjs-node on libtensorflow from PyPI)', () => {
  void it('loads as "tensorflow" and trains to the same weights as wasm', async (t) => {
    let native;
    try {
      native = await loadTensorflow({ backend: 'native' });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      assert.match(reason, /backend "native" could not be loaded: .*(not installed|not built|tfjs)/);
      if (!nativeOptional) throw new Error(`${reason}\n(set CLICKWISE_TF_NATIVE=optional where a machine without the native backend is acceptable)`, { cause: error });
      t.diagnostic(`native backend unavailable, accepted by CLICKWISE_TF_NATIVE=optional: ${reason}`);
      return;
    }
    assert.equal(native.backend, 'native');
    assert.equal(native.tf.getBackend(), 'tensorflow');
    t.diagnostic(`libtensorflow ${String((native.tf.backend() as unknown as { binding: { TF_Version: string } }).binding.TF_Version)}`);
    const onNative = await trainMlp(native.tf);
    const wasm = await loadTensorflow({ backend: 'wasm' });
    const onWasm = await trainMlp(wasm.tf);
    t.diagnostic(`losses native ${onNative.losses.map((l) => l.toFixed(5)).join(' ')}; wasm ${onWasm.losses.map((l) => l.toFixed(5)).join(' ')}`);
    assert.ok(onNative.losses.at(-1)! < onNative.losses[0]! * 0.8, `it learns: ${onNative.losses.join(', ')}`);
    assert.ok(maxAbsDiff(onNative.losses, onWasm.losses) < 1e-3, `loss curves differ: ${onNative.losses.join(', ')} vs ${onWasm.losses.join(', ')}`);
    onNative.weights.forEach((w, i) => {
      const d = maxAbsDiff(w, onWasm.weights[i]!);
      assert.ok(d < 2e-3, `weight tensor ${i} differs by ${d}`);
    });
  });
});

void describe('loadTensorflow without the native addon', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  void it('auto falls back to wasm, saying the package is not installed', async () => {
    const loaded = await loadTensorflow({ backend: 'auto', nativePackage: '@clickwise/no-such-tfjs-node' });
    assert.equal(loaded.backend, 'wasm');
    assert.equal(loaded.tf.getBackend(), 'wasm');
    assert.equal(loaded.fallbacks.length, 1);
    assert.equal(loaded.fallbacks[0]!.backend, 'native');
    assert.match(loaded.fallbacks[0]!.reason, /@clickwise\/no-such-tfjs-node is not installed \(deploy\/local\/tfjs-native\.sh provides it/);
  });

  void it('auto falls back to wasm, naming the missing addon, for a tfjs-node whose addon was not built', async () => {
    // A copy of the real package's manifest, beside its real dependencies, but no lib/ (no addon).
    const real = createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json');
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-node-no-addon-'));
    dirs.push(dir);
    copyFileSync(real, join(dir, 'package.json'));
    symlinkSync(dirname(dirname(dirname(real))), join(dir, 'node_modules'));
    const status = nativeAddonStatus(dir);
    assert.equal(status.installed, false);
    assert.equal(status.path, join(dir, 'lib', `napi-v${status.path!.match(/napi-v(\d+)/)![1]}`, 'tfjs_binding.node'));
    const loaded = await loadTensorflow({ backend: 'auto', nativePackage: dir });
    assert.equal(loaded.backend, 'wasm');
    assert.match(loaded.fallbacks[0]!.reason, /native addon was not built \(no .*tfjs_binding\.node; deploy\/local\/tfjs-native\.sh/);
  });

  void it('asking for native explicitly is an error naming why', async () => {
    await assert.rejects(loadTensorflow({ backend: 'native', nativePackage: '@clickwise/no-such-tfjs-node' }), /backend "native" could not be loaded: @clickwise\/no-such-tfjs-node is not installed/);
  });
});
