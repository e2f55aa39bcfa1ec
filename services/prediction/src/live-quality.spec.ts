import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedCalibrationError, rocAuc } from '@clickwise/evaluation';
import { mulberry32 } from '@clickwise/random';
import { LiveQuality } from './live-quality.js';

const quality = () => new LiveQuality({ window: 1000, sessionGapMs: 30 * 60_000, maxShoppers: 100 });

void describe('LiveQuality', () => {
  void it("labels a session's predictions 1 when a purchase follows them, 0 when the session ends without one", () => {
    const q = quality();
    const v = 'propensity/1';
    // Shopper a: two clicks, then a click whose snapshot has one more purchase (the purchase itself).
    q.observe('a', 's1', 1000, 0, { modelVersion: v, probability: 0.8 });
    q.observe('a', 's1', 2000, 0, { modelVersion: v, probability: 0.7 });
    q.observe('a', 's1', 3000, 1, { modelVersion: v, probability: 0.9 });
    // Shopper b: a session without a purchase, then a new session.
    q.observe('b', 's2', 1000, 3, { modelVersion: v, probability: 0.2 });
    q.observe('b', 's2', 1500, 3, { modelVersion: v, probability: 0.3 });
    q.observe('b', 's3', 9000, 4, { modelVersion: v, probability: 0.4 });
    const [f] = q.figures();
    assert.equal(f!.modelVersion, v);
    // Joined: a's first two (1), b's s2 two (0: the purchase count rose with s3's first click, not in s2).
    assert.equal(f!.joined, 4);
    assert.equal(f!.positives, 2);
    assert.equal(f!.rocAuc, 1);
    assert.equal(f!.positiveRate, 0.5);
    // Open: a's purchase click and b's s3 click; an idle gap in event time ends them with 0.
    q.expire(3000 + 30 * 60_000 + 1);
    const [g] = q.figures();
    assert.equal(g!.joined, 5, "a's purchase click ended (b's s3 click, at 9 s, is not idle long enough yet)");
    q.expire(9000 + 30 * 60_000 + 1);
    assert.equal(q.figures()[0]!.joined, 6);
  });

  void it('keeps figures apart per model version and equal to libs/evaluation over the same outcomes', () => {
    const q = new LiveQuality({ window: 100_000, sessionGapMs: 1000, maxShoppers: 10_000 });
    const random = mulberry32(3);
    const expected = new Map<string, { scores: number[]; labels: number[] }>();
    for (let shopper = 0; shopper < 400; shopper++) {
      const version = shopper % 2 === 0 ? 'm/a' : 'm/b';
      const clicks = 1 + Math.floor(random() * 5);
      const buys = random() < 0.3;
      const e = expected.get(version) ?? { scores: [], labels: [] };
      expected.set(version, e);
      for (let c = 0; c < clicks; c++) {
        const p = Math.min(0.99, Math.max(0.01, (buys ? 0.5 : 0.2) + (random() - 0.5) * 0.4));
        q.observe(`s${shopper}`, 'x', c * 10, 0, { modelVersion: version, probability: p });
        e.scores.push(p);
        e.labels.push(buys ? 1 : 0);
      }
      // The purchase (its own prediction stays open) or nothing; the session ends later.
      if (buys) q.observe(`s${shopper}`, 'x', clicks * 10, 1, { modelVersion: 'm/after', probability: 0.5 });
    }
    q.expire(1_000_000);
    for (const f of q.figures().filter((x) => x.modelVersion !== 'm/after')) {
      const e = expected.get(f.modelVersion)!;
      assert.equal(f.joined, e.scores.length);
      assert.ok(Math.abs(f.rocAuc! - rocAuc(e.scores, e.labels)) < 1e-12, `${f.modelVersion} ROC-AUC`);
      assert.ok(Math.abs(f.ece! - expectedCalibrationError(e.scores, e.labels)) < 1e-12, `${f.modelVersion} ECE`);
    }
  });
});
