import { InvalidInputError } from '@clickwise/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brier, logLoss, prAuc, precisionAtTop, rocAuc, rocCurve } from './binary.js';
import {
  averagePrecisionNaive,
  brierNaive,
  logLossNaive,
  precisionAtTopByEveryOrder,
  randomScored,
  rocAucNaive,
  testRandom,
} from './testing/reference.js';

const close = (actual: number, expected: number, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

void describe('binary metrics, hand-computed', () => {
  // Positives at 0.9, 0.7, 0.5; negatives at 0.8, 0.6, 0.55; no ties.
  const s = [0.9, 0.8, 0.7, 0.6, 0.55, 0.5];
  const y = [1, 0, 1, 0, 0, 1];

  void it('ROC-AUC counts winning pairs: 3 + 2 + 0 of 9', () => close(rocAuc(s, y), 5 / 9));

  void it('AP without ties: (1/1 + 2/3 + 3/6) / 3', () => close(prAuc(s, y), 13 / 18));

  void it('ties: a tied pair counts half in ROC-AUC, and tied rows enter the PR curve together', () => {
    const ts = [0.8, 0.8, 0.4, 0.4, 0.4, 0.1];
    const ty = [1, 0, 1, 1, 0, 0];
    // pos@0.8: 0.5 + 1 + 1; each pos@0.4: 0 + 0.5 + 1 → 5.5 of 9 pairs.
    close(rocAuc(ts, ty), 11 / 18);
    // Thresholds 0.8 (P = 1/2, R = 1/3) and 0.4 (P = 3/5, R = 1): 1/3·1/2 + 2/3·3/5.
    close(prAuc(ts, ty), 17 / 30);
    // Input order does not matter (a position-based tie-break would make it matter).
    close(prAuc([...ts].reverse(), [...ty].reverse()), 17 / 30);
  });

  void it('log loss and Brier', () => {
    close(logLoss([0.9, 0.2], [1, 0]), -(Math.log(0.9) + Math.log(0.8)) / 2);
    close(brier([0.9, 0.2], [1, 0]), 0.025);
    // A certain wrong answer is clipped at 1e-15 (and 1 − 1e-15, as a double), not infinite.
    close(logLoss([0, 1], [1, 0]), (-Math.log(1e-15) - Math.log(1 - (1 - 1e-15))) / 2, 1e-12);
    assert.ok(logLoss([0], [1]) === -Math.log(1e-15));
  });

  void it('precision at the top: ties at the cut count with their positive share', () => {
    const ps = [0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1];
    const py = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    // top 20% of 10 = 2 rows: the 0.9 (a hit) and one of four tied 0.5s (1 positive in 4).
    close(precisionAtTop(ps, py, 0.2), (1 + 0.25) / 2);
    // top 1% of 10 rows is ⌈0.1⌉ = 1 row.
    close(precisionAtTop(ps, py, 0.01), 1);
    close(precisionAtTop(ps, py, 1), 0.2);
  });

  void it('ROC curve points, one per distinct score', () => {
    const pts = rocCurve([0.8, 0.8, 0.4, 0.4, 0.4, 0.1], [1, 0, 1, 1, 0, 0]);
    assert.deepEqual(
      pts.map((p) => [p.fpr, p.tpr, p.threshold]),
      [
        [0, 0, Infinity],
        [1 / 3, 1 / 3, 0.8],
        [2 / 3, 1, 0.4],
        [1, 1, 0.1],
      ],
    );
  });
});

void describe('binary metrics against naive references on random data', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    void it(`seed ${seed}`, () => {
      const { scores, labels } = randomScored(seed, 300 + seed * 37, { decimals: seed % 3 });
      close(rocAuc(scores, labels), rocAucNaive(scores, labels));
      close(prAuc(scores, labels), averagePrecisionNaive(scores, labels));
      close(logLoss(scores, labels), logLossNaive(scores, labels));
      close(brier(scores, labels), brierNaive(scores, labels));
      // The area under the (full) ROC curve by trapezoids is the Mann–Whitney AUC.
      const pts = rocCurve(scores, labels, { maxPoints: 100_000 });
      let area = 0;
      for (let i = 1; i < pts.length; i++) area += ((pts[i]!.fpr - pts[i - 1]!.fpr) * (pts[i]!.tpr + pts[i - 1]!.tpr)) / 2;
      close(area, rocAuc(scores, labels));
    });
  }

  void it('precision at the top is the mean over every order of the rows (small inputs with ties)', () => {
    const r = testRandom(11);
    for (let trial = 0; trial < 40; trial++) {
      const n = 2 + (trial % 6);
      const s = Array.from({ length: n }, () => Math.floor(r() * 3) / 2);
      const y = Array.from({ length: n }, () => (r() < 0.4 ? 1 : 0));
      for (const f of [0.01, 0.3, 0.5, 0.75]) close(precisionAtTop(s, y, f), precisionAtTopByEveryOrder(s, y, f), 1e-12);
    }
  });

  void it('the ROC curve is downsampled to at most maxPoints, keeping both ends and the area', () => {
    const { scores, labels } = randomScored(9, 20_000, { decimals: 6 });
    const full = rocCurve(scores, labels, { maxPoints: 1_000_000 });
    const pts = rocCurve(scores, labels);
    assert.ok(full.length > 5000, `${full.length} distinct scores`);
    assert.ok(pts.length <= 500 && pts.length >= 400, `${pts.length} points`);
    assert.deepEqual([pts[0]!.fpr, pts[0]!.tpr], [0, 0]);
    assert.deepEqual([pts.at(-1)!.fpr, pts.at(-1)!.tpr], [1, 1]);
    for (let i = 1; i < pts.length; i++) assert.ok(pts[i]!.fpr >= pts[i - 1]!.fpr && pts[i]!.tpr >= pts[i - 1]!.tpr);
    let area = 0;
    for (let i = 1; i < pts.length; i++) area += ((pts[i]!.fpr - pts[i - 1]!.fpr) * (pts[i]!.tpr + pts[i - 1]!.tpr)) / 2;
    close(area, rocAuc(scores, labels), 1e-3);
  });
});

void describe('binary metrics reject bad input with a clear error', () => {
  const fails = (f: () => unknown, message: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof InvalidInputError && message.test(e.message));

  void it('names what is wrong', () => {
    fails(() => rocAuc([0.1, 0.2], [1]), /rocAuc: scores has 2 rows but labels has 1/);
    fails(() => rocAuc([], []), /no rows/);
    fails(() => rocAuc([0.1, Number.NaN, 0.3], [0, 1, 0]), /scores\[1\] is NaN/);
    fails(() => prAuc([0.1, 0.2], [0, 2]), /labels\[1\] is 2; labels must be 0 or 1/);
    fails(() => rocAuc([0.1, 0.2], [0, 0]), /ROC|rocAuc is undefined: the labels have no positives/);
    fails(() => prAuc([0.1, 0.2], [1, 1]), /no negatives/);
    fails(() => logLoss([0.5, 1.5], [0, 1]), /scores\[1\] is 1.5; logLoss needs probabilities in \[0, 1\]/);
    fails(() => precisionAtTop([0.5], [1], 0), /fraction is 0/);
    fails(() => rocCurve([0.1, 0.2], [0, 1], { maxPoints: 1 }), /maxPoints/);
  });

  void it('AUC of any finite scores, not only probabilities; log loss of one class is defined', () => {
    close(rocAuc([-3, 10, 2], [0, 1, 1]), 1);
    close(logLoss([0.5, 0.5], [0, 0]), Math.log(2));
  });
});
