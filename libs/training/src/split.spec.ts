import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS } from '@clickwise/features';
import { fitPlatt } from './calibration.js';
import { mulberry32 } from '@clickwise/evaluation';
import { expectedCalibrationError as ece, rocAuc } from '@clickwise/evaluation';
import { splitBounds, SplitError } from './split.js';

void describe('time split rule', () => {
  void it('a week or more: test the last 2 days, validation the day before, the rest training', () => {
    const first = Date.UTC(2015, 8, 11);
    const last = first + 7 * DAY_MS + 16 * 60_000;
    assert.deepEqual(splitBounds(first, last), { testFromMs: last - 2 * DAY_MS, validationFromMs: last - 3 * DAY_MS, rule: 'fixed' });
    const long = splitBounds(first, first + 30 * DAY_MS);
    assert.equal(long.testFromMs, first + 28 * DAY_MS);
  });

  void it('shorter: the same shape in proportion (4/7, 1/7, 2/7); under 7 h refused with the reason', () => {
    const b = splitBounds(0, 7 * 3_600_000 * 10);
    assert.equal(b.rule, 'proportional');
    assert.equal(b.validationFromMs, 40 * 3_600_000);
    assert.equal(b.testFromMs, 50 * 3_600_000);
    assert.throws(() => splitBounds(0, 3_600_000), SplitError);
    assert.throws(() => splitBounds(0, 3_600_000), /span 1.0 h; a time split needs at least 7 h/);
  });
});

void describe('calibration', () => {
  void it('Platt scaling fixes over-confident scores (ECE goes down) and keeps the order', () => {
    const rand = mulberry32(5);
    const z: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = rand() * 6 - 5;
      z.push(3 * t + 4); // logits three times too sharp, shifted
      y.push(rand() < 1 / (1 + Math.exp(-t)) ? 1 : 0);
    }
    const raw = z.map((v) => 1 / (1 + Math.exp(-v)));
    const c = fitPlatt(z, y);
    const calibrated = z.map((v) => 1 / (1 + Math.exp(-(c.a * v + c.b))));
    assert.ok(Math.abs(c.a - 1 / 3) < 0.05, `a ${c.a}`);
    assert.ok(ece(calibrated, y) < 0.02 && ece(raw, y) > 0.1, `ECE ${ece(raw, y)} → ${ece(calibrated, y)}`);
    assert.equal(rocAuc(calibrated, y), rocAuc(raw, y));
  });
});
