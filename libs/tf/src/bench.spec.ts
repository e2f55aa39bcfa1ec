import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchmarkBackends } from './bench.js';

void describe('benchmarkBackends', () => {
  void it('measures each model on each backend from the same seeded start', async () => {
    const results = await benchmarkBackends({ backends: ['wasm', 'cpu'], models: ['mlp', 'gru'], size: 'quick', minSeconds: 0.2 });
    assert.deepEqual(results.map((r) => `${r.model}/${r.backend}`), ['mlp/wasm', 'mlp/cpu', 'gru/wasm', 'gru/cpu']);
    for (const r of results) {
      assert.equal(r.error, undefined);
      assert.ok(r.samplesPerSecond! > 0 && r.samples > 0 && r.seconds >= 0.2, JSON.stringify(r));
      assert.ok(Number.isFinite(r.firstLoss), JSON.stringify(r));
    }
    for (const model of ['mlp', 'gru']) {
      const [a, b] = results.filter((r) => r.model === model).map((r) => r.firstLoss!);
      assert.ok(Math.abs(a! - b!) < 1e-3 * Math.max(1, Math.abs(a!)), `${model} first-step loss wasm ${a} vs cpu ${b}`);
    }
  });

  void it('rejects an unknown model, naming the known ones', async () => {
    await assert.rejects(benchmarkBackends({ models: ['svm' as 'mlp'] }), /unknown model "svm"; use one of mlp, gru/);
  });
});
