import { InvalidInputError } from '@clickwise/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedCalibrationError, reliabilityCurve } from './calibration.js';
import { eceNaive, randomScored } from './testing/reference.js';

const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

void describe('reliability curve and ECE', () => {
  void it('hand-computed: ECE = (0.05 + 2·0.35 + 0.05) / 4 over uniform tenths', () => {
    const s = [0.05, 0.15, 0.15, 0.95];
    const y = [0, 1, 0, 1];
    close(expectedCalibrationError(s, y), 0.2);
    const bins = reliabilityCurve(s, y);
    assert.deepEqual(
      bins.map((b) => [b.lower, b.upper, b.count, b.positives]),
      [
        [0, 0.1, 1, 0],
        [0.1, 0.2, 2, 1],
        [0.9, 1, 1, 1],
      ],
    );
    close(bins[1]!.meanPredicted, 0.15);
    close(bins[1]!.observedRate, 0.5);
  });

  void it('a score of exactly 1 falls in the last uniform bin', () => {
    const bins = reliabilityCurve([1, 0.95, 0], [1, 1, 0], { bins: 10 });
    assert.deepEqual(
      bins.map((b) => b.count),
      [1, 2],
    );
  });

  void it('quantile bins keep tied scores together, so there may be fewer bins than asked', () => {
    const s = [0.1, 0.1, 0.1, 0.2, 0.3, 0.4];
    const y = [0, 0, 1, 0, 1, 1];
    assert.deepEqual(
      reliabilityCurve(s, y, { bins: 2, strategy: 'quantile' }).map((b) => [b.lower, b.upper, b.count, b.positives]),
      [
        [0.1, 0.2, 3, 1],
        [0.2, 0.4, 3, 2],
      ],
    );
    assert.deepEqual(
      reliabilityCurve(s, y, { bins: 3, strategy: 'quantile' }).map((b) => [b.lower, b.count]),
      [
        [0.1, 4],
        [0.3, 2],
      ],
    );
  });

  void it('ECE matches a naive per-bin computation on random data', () => {
    for (const seed of [1, 2, 3, 4]) {
      const { scores, labels } = randomScored(seed, 2000, { decimals: 3 });
      close(expectedCalibrationError(scores, labels), eceNaive(scores, labels), 1e-12);
      close(expectedCalibrationError(scores, labels, { bins: 15 }), eceNaive(scores, labels, 15), 1e-12);
      // ECE is the count-weighted mean gap of the reliability bins.
      const bins = reliabilityCurve(scores, labels);
      const weighted = bins.reduce((a, b) => a + b.count * Math.abs(b.observedRate - b.meanPredicted), 0) / scores.length;
      close(expectedCalibrationError(scores, labels), weighted, 1e-12);
      const quantile = reliabilityCurve(scores, labels, { strategy: 'quantile' });
      assert.equal(
        quantile.reduce((a, b) => a + b.count, 0),
        scores.length,
      );
      for (const b of quantile) assert.ok(b.count > 100 && b.count < 300, `quantile bin of ${b.count} rows`);
    }
  });

  void it('a perfectly calibrated predictor per bin has ECE 0', () => {
    // 10 rows at 0.3 with 3 positives, 10 at 0.7 with 7.
    const s = [...new Array<number>(10).fill(0.3), ...new Array<number>(10).fill(0.7)];
    const y = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
    close(expectedCalibrationError(s, y), 0, 1e-15);
  });

  void it('rejects bad options and non-probabilities', () => {
    assert.throws(() => reliabilityCurve([0.5], [1], { bins: 0 }), (e: unknown) => e instanceof InvalidInputError && /bins is 0/.test(e.message));
    assert.throws(
      () => reliabilityCurve([0.5], [1], { strategy: 'kmeans' as 'uniform' }),
      (e: unknown) => e instanceof InvalidInputError && /strategy is kmeans/.test(e.message),
    );
    assert.throws(
      () => expectedCalibrationError([0.5, -0.1], [1, 0]),
      (e: unknown) => e instanceof InvalidInputError && /scores\[1\] is -0.1/.test(e.message),
    );
  });
});
