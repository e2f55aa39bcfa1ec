import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '@clickwise/random';
import { createMetricsRegistry, Histogram, LATENCY_BUCKETS } from '@clickwise/telemetry';
import { histogram, histogramsBy, increase, parseSamples, quantile, total, type Buckets } from './prometheus-text.js';

const page = `# HELP x_seconds A histogram
# TYPE x_seconds histogram
x_seconds_bucket{le="0.1",route="http"} 2
x_seconds_bucket{le="0.5",route="http"} 6
x_seconds_bucket{le="+Inf",route="http"} 8
x_seconds_sum{route="http"} 3.2
x_seconds_count{route="http"} 8
x_seconds_bucket{le="0.1",route="grpc"} 1
x_seconds_bucket{le="0.5",route="grpc"} 1
x_seconds_bucket{le="+Inf",route="grpc"} 2
up 1
label_escapes{path="a\\"b\\\\c"} 3 1700000000000
not a sample line
`;

void describe('Prometheus text', () => {
  void test('samples: names, labels (escapes), values, timestamps ignored, junk skipped', () => {
    const samples = parseSamples(page);
    assert.equal(samples.length, 10);
    assert.deepEqual(samples.find((s) => s.name === 'up'), { name: 'up', labels: {}, value: 1 });
    assert.deepEqual(samples.find((s) => s.name === 'label_escapes')?.labels, { path: 'a"b\\c' });
    assert.equal(samples.find((s) => s.name === 'x_seconds_bucket' && s.labels.le === '+Inf' && s.labels.route === 'http')?.value, 8);
  });

  void test('histograms: summed over series, grouped by a label, filtered', () => {
    const samples = parseSamples(page);
    assert.deepEqual(histogram(samples, 'x_seconds'), { bounds: [0.1, 0.5, Infinity], counts: [3, 7, 10] });
    assert.deepEqual(histogram(samples, 'x_seconds', { route: 'grpc' }), { bounds: [0.1, 0.5, Infinity], counts: [1, 1, 2] });
    const by = histogramsBy(samples, 'x_seconds', 'route');
    assert.deepEqual([...by.keys()].sort(), ['grpc', 'http']);
    assert.equal(histogram(samples, 'nope'), undefined);
  });

  void test('quantile as histogram_quantile: interpolation in the bucket, 0 below the first, the last finite bound in +Inf', () => {
    const b: Buckets = { bounds: [0.1, 0.5, Infinity], counts: [3, 7, 10] };
    // rank 5 of 10 is the 2nd of the 4 in (0.1, 0.5]: 0.1 + 0.4 * 2/4
    assert.equal(quantile(0.5, b), 0.30000000000000004);
    // rank 1.5 of 10 in the first bucket: 0 + 0.1 * 1.5/3
    assert.ok(Math.abs(quantile(0.15, b)! - 0.05) < 1e-12);
    // rank 9.9 lies in +Inf: the largest finite bound
    assert.equal(quantile(0.99, b), 0.5);
    assert.equal(quantile(0.5, { bounds: [0.1, Infinity], counts: [0, 0] }), undefined);
  });

  void test('increase: bucket by bucket; a reset (counts went down) or new bounds count the newest whole', () => {
    const before: Buckets = { bounds: [1, Infinity], counts: [2, 3] };
    assert.deepEqual(increase({ bounds: [1, Infinity], counts: [5, 9] }, before), { bounds: [1, Infinity], counts: [3, 6] });
    assert.deepEqual(increase({ bounds: [1, Infinity], counts: [1, 1] }, before), { bounds: [1, Infinity], counts: [1, 1] });
    assert.deepEqual(increase({ bounds: [2, Infinity], counts: [5, 9] }, before), { bounds: [2, Infinity], counts: [5, 9] });
  });

  void test('random observations into a real prom-client histogram: every estimate lies in the bucket of the true quantile', async () => {
    const random = mulberry32(42);
    for (let round = 0; round < 20; round++) {
      const registry = createMetricsRegistry('spec');
      const h = new Histogram({ name: 'spec_seconds', help: 'spec', labelNames: ['method'], buckets: LATENCY_BUCKETS, registers: [registry] });
      const values: number[] = [];
      const n = 50 + Math.floor(random() * 2000);
      for (let i = 0; i < n; i++) {
        // Log-uniform from 0.1 ms to 20 s: every bucket and +Inf get some.
        const v = Math.exp(Math.log(1e-4) + random() * (Math.log(20) - Math.log(1e-4)));
        values.push(v);
        h.observe({ method: random() < 0.5 ? 'Predict' : 'PredictBatch' }, v);
      }
      const buckets = histogram(parseSamples(await registry.metrics()), 'spec_seconds')!;
      assert.equal(total(buckets), n);
      values.sort((a, b) => a - b);
      for (const q of [0.5, 0.9, 0.99]) {
        const estimate = quantile(q, buckets)!;
        // The naive reference: the observation at rank ceil(q·n), and the bucket holding it.
        const truth = values[Math.max(0, Math.ceil(q * n) - 1)]!;
        const i = buckets.bounds.findIndex((b) => truth <= b);
        const lower = i === 0 ? 0 : buckets.bounds[i - 1]!;
        const upper = buckets.bounds[i] === Infinity ? buckets.bounds[i - 1]! : buckets.bounds[i]!;
        assert.ok(estimate >= lower - 1e-12 && estimate <= upper + 1e-12, `round ${round} q=${q}: ${estimate} outside [${lower}, ${upper}] holding the true ${truth}`);
      }
    }
  });
});
