import { InvalidInputError } from '@clickwise/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brierMetric, logLossMetric, prAucMetric, precisionAtTop, precisionAtTopMetric, rocAuc, rocAucMetric } from './binary.js';
import { BINARY_METRIC_NAMES, bootstrapBySession, estimates, evaluateBinary, quantileSorted } from './bootstrap.js';
import { eceMetric, expectedCalibrationError } from './calibration.js';
import { Weighting, type BinaryMetric } from './metric.js';
import { prepareBinary } from './prepared.js';
import { mulberry32 } from './random.js';
import { averagePrecisionNaive, brierNaive, eceNaive, logLossNaive, randomScored, rocAucNaive, testRandom } from './testing/reference.js';

const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

void describe('weighted metrics equal the metric of the materialised resample', () => {
  const naive: [BinaryMetric, (s: Float64Array, y: Uint8Array) => number][] = [
    [rocAucMetric, rocAucNaive],
    [prAucMetric, averagePrecisionNaive],
    [logLossMetric, logLossNaive],
    [brierMetric, brierNaive],
    [eceMetric(), (s, y) => eceNaive(s, y)],
    [precisionAtTopMetric(0.1), (s, y) => precisionAtTop(s, y, 0.1)],
    [precisionAtTopMetric(0.01), (s, y) => precisionAtTop(s, y, 0.01)],
  ];
  for (const seed of [1, 2, 3]) {
    void it(`seed ${seed}`, () => {
      const { scores, labels } = randomScored(seed, 400, { decimals: 2 });
      const d = prepareBinary('spec', scores, labels);
      const r = testRandom(seed + 100);
      const w = Float64Array.from({ length: d.rows }, () => Math.floor(r() * 4)); // 0–3 copies of each row
      const s: number[] = [];
      const y: number[] = [];
      for (let i = 0; i < d.rows; i++) {
        for (let c = 0; c < w[i]!; c++) {
          s.push(d.scores[i]!);
          y.push(d.labels[i]!);
        }
      }
      for (const [metric, reference] of naive) {
        close(metric.bind(d)(new Weighting(d).set(w)), reference(Float64Array.from(s), Uint8Array.from(y)), 1e-12);
      }
    });
  }
});

void describe('bootstrapBySession', () => {
  const { scores, labels, groups } = randomScored(7, 3000, { decimals: 2, positiveRate: 0.1 });

  void it('the weighted path gives the same resamples and interval as materialising each resample', () => {
    const fast = bootstrapBySession(rocAucMetric, scores, labels, groups, { iterations: 200, seed: 42 });
    const slow = bootstrapBySession((s, y) => rocAuc(s, y), scores, labels, groups, { iterations: 200, seed: 42 });
    close(fast.estimate, rocAuc(scores, labels));
    close(slow.estimate, fast.estimate);
    close(slow.low, fast.low, 1e-12);
    close(slow.high, fast.high, 1e-12);
    assert.equal(slow.skipped, fast.skipped);
    assert.ok(fast.low < fast.estimate && fast.estimate < fast.high, JSON.stringify(fast));
  });

  void it('is deterministic for a seed and differs between seeds', () => {
    const a = bootstrapBySession(prAucMetric, scores, labels, groups, { iterations: 300, seed: 5 });
    const b = bootstrapBySession(prAucMetric, scores, labels, groups, { iterations: 300, seed: 5 });
    const c = bootstrapBySession(prAucMetric, scores, labels, groups, { iterations: 300, seed: 6 });
    assert.deepEqual(a, b);
    assert.notEqual(a.low, c.low);
  });

  void it('resamples whole sessions: one session gives a zero-width interval; copies widen it by √copies', () => {
    const one = bootstrapBySession(brierMetric, scores, labels, Array(scores.length).fill('only'), { iterations: 50 });
    assert.equal(one.low, one.estimate);
    assert.equal(one.high, one.estimate);
    // Each row copied 5 times into its own session, versus every copy its own "session".
    const r = testRandom(3);
    const n = 2000;
    const s5: number[] = [];
    const y5: number[] = [];
    const g5: string[] = [];
    const rowKeys: number[] = [];
    for (let i = 0; i < n; i++) {
      const y = r() < 0.3 ? 1 : 0;
      const s = Math.round(r() * 100) / 100;
      for (let c = 0; c < 5; c++) {
        s5.push(s);
        y5.push(y);
        g5.push(`g${i}`);
        rowKeys.push(rowKeys.length);
      }
    }
    const positiveShare = (_s: Float64Array, y: Uint8Array) => y.reduce((a, v) => a + v, 0) / y.length;
    const bySession = bootstrapBySession(positiveShare, s5, y5, g5, { iterations: 1000, seed: 9 });
    const byRow = bootstrapBySession(positiveShare, s5, y5, rowKeys, { iterations: 1000, seed: 9 });
    const ratio = (bySession.high - bySession.low) / (byRow.high - byRow.low);
    assert.ok(ratio > 1.9 && ratio < 2.6, `interval width ratio ${ratio} (√5 = 2.24)`);
    // And the row-level interval is about ±1.96 standard errors of a proportion.
    const p = bySession.estimate;
    const expected = 2 * 1.96 * Math.sqrt((p * (1 - p)) / s5.length);
    const width = byRow.high - byRow.low;
    assert.ok(Math.abs(width / expected - 1) < 0.15, `width ${width}, normal approximation ${expected}`);
  });

  void it('skips and counts resamples lacking a class, only for metrics that need both', () => {
    // 50 sessions, one of them the only purchase: a resample misses it with chance (49/50)^50 ≈ 0.364.
    const s = Array.from({ length: 50 }, (_, i) => (i + 0.5) / 50);
    const y = s.map((_, i) => (i === 49 ? 1 : 0));
    const g = s.map((_, i) => i);
    const auc = bootstrapBySession(rocAucMetric, s, y, g, { iterations: 2000, seed: 1 });
    assert.ok(auc.skipped > 0.3 * 2000 && auc.skipped < 0.43 * 2000, `skipped ${auc.skipped} of 2000`);
    assert.equal(auc.iterations, 2000);
    const loss = bootstrapBySession(logLossMetric, s, y, g, { iterations: 2000, seed: 1 });
    assert.equal(loss.skipped, 0);
  });

  void it('percentile interval uses linear interpolation between order statistics', () => {
    close(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
    close(quantileSorted([1, 2, 3, 4], 0.975), 3.925);
    close(quantileSorted([5], 0.5), 5);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  });

  void it('rejects bad input and options', () => {
    const bad = (f: () => unknown, m: RegExp) => assert.throws(f, (e: unknown) => e instanceof InvalidInputError && m.test(e.message));
    bad(() => bootstrapBySession(rocAucMetric, [0.1, 0.9], [0, 1], ['a']), /groupKeys has 1 rows but scores has 2/);
    bad(() => bootstrapBySession(rocAucMetric, [0.1, 0.9], [0, 1], ['a', 'b'], { iterations: 0 }), /iterations is 0/);
    bad(() => bootstrapBySession(rocAucMetric, [0.1, 0.9], [0, 1], ['a', 'b'], { confidence: 1 }), /confidence is 1/);
    bad(() => bootstrapBySession(rocAucMetric, [0.1, 0.9], [0, 0], ['a', 'b']), /no positives/);
    bad(() => bootstrapBySession(rocAucMetric, [0.1, 0.9], [0, 1], ['a', Number.NaN]), /groupKeys\[1\] is NaN/);
  });
});

void describe('mulberry32', () => {
  void it('is uniform enough and reproducible', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const counts = new Array(10).fill(0) as number[];
    for (let i = 0; i < 100_000; i++) {
      const v = a();
      assert.equal(v, b());
      assert.ok(v >= 0 && v < 1);
      counts[Math.floor(v * 10)]!++;
    }
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `bucket of ${c}`);
  });
});

void describe('evaluateBinary', () => {
  void it('every metric with its interval, the same as bootstrapping each alone', () => {
    const { scores, labels, groups } = randomScored(21, 5000, { decimals: 3, positiveRate: 0.08 });
    const e = evaluateBinary(scores, labels, groups, { iterations: 300, seed: 3 });
    close(e.roc_auc.estimate, rocAuc(scores, labels));
    close(e.ece.estimate, expectedCalibrationError(scores, labels));
    close(e.precision_at_5pct.estimate, precisionAtTop(scores, labels, 0.05));
    const alone = bootstrapBySession(prAucMetric, scores, labels, groups, { iterations: 300, seed: 3 });
    assert.deepEqual(e.pr_auc, alone);
    for (const name of BINARY_METRIC_NAMES) {
      const i = e[name];
      assert.ok(i.low <= i.estimate && i.estimate <= i.high, `${name}: ${JSON.stringify(i)}`);
      assert.equal(i.iterations, 300);
    }
    assert.equal(e.rows, 5000);
    assert.equal(e.positives, labels.reduce((a, v) => a + v, 0));
    assert.equal(e.groups, new Set(groups).size);
    close(e.positive_share, e.positives / e.rows);
    assert.ok(e.positive_groups > 0 && e.positive_groups < e.groups);
    assert.deepEqual(e.bootstrap, { iterations: 300, seed: 3, confidence: 0.95 });
    assert.deepEqual(Object.keys(estimates(e)), [...BINARY_METRIC_NAMES]);
    assert.equal(estimates(e).roc_auc, e.roc_auc.estimate);
  });

  void it('40,000 rows × 1,000 session resamples in a few seconds', () => {
    const { scores, labels, groups } = randomScored(5, 40_000, { decimals: 4, positiveRate: 0.05, maxPerGroup: 7 });
    const started = performance.now();
    const cpu = process.cpuUsage();
    const e = evaluateBinary(scores, labels, groups, { iterations: 1000 });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    console.log(`evaluateBinary: ${e.rows} rows, ${e.groups} sessions, 1000 resamples × 7 metrics in ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU`);
    // CPU time, not wall time: the machine is shared and wall time varies with its load.
    assert.ok(cpuSeconds < 4, `${cpuSeconds} s CPU`);
  });
});
