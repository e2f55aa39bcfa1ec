import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  latestMerge,
  latestUpdate,
  top2Merge,
  top2Update,
  varianceMerge,
  varianceUpdate,
  type LatestEntry,
} from './partials.js';
import { rng } from './testing/random-events.js';

/** Splits inputs into random groups, folds each, merges the groups in a random order. */
function splitFoldMerge<I, P>(inputs: I[], r: () => number, empty: () => P, update: (p: P, x: I) => P, merge: (a: P, b: P) => P): P {
  const groups: I[][] = [[]];
  for (const x of inputs) {
    if (r() < 0.2) groups.push([]);
    groups[groups.length - 1]!.push(x);
  }
  const partials = groups.map((g) => g.reduce(update, empty()));
  partials.sort(() => r() - 0.5);
  return partials.reduce((acc, p) => merge(acc, p), empty());
}

void describe('partials merge like a single fold, in any grouping and order', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    void it(`seed ${seed}`, () => {
      const r = rng(seed);
      const xs = Array.from({ length: 60 }, () => Math.round(r() * 1000) / 10);
      // top2 keeps the two largest (a multiset).
      const top = splitFoldMerge(xs, r, (): number[] => [], top2Update, top2Merge);
      assert.deepEqual(top, [...xs].sort((a, b) => b - a).slice(0, 2));
      // variance: Welford + Chan merge equals the two-pass formula.
      const v = splitFoldMerge(xs, r, () => [0, 0, 0], varianceUpdate, varianceMerge);
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const m2 = xs.reduce((s, x) => s + (x - mean) ** 2, 0);
      assert.equal(v[0], xs.length);
      assert.ok(Math.abs(v[1]! - mean) <= 1e-9 * Math.abs(mean));
      assert.ok(Math.abs(v[2]! - m2) <= 1e-9 * m2);
      // latest: the n most recent distinct keys by (time, key).
      const pairs: LatestEntry[] = Array.from({ length: 60 }, () => [`k${Math.floor(r() * 12)}`, Math.floor(r() * 30)]);
      const n = 1 + Math.floor(r() * 6);
      const latest = splitFoldMerge(pairs, r, (): LatestEntry[] => [], (p, [k, t]) => latestUpdate(p, k, t, n), (a, b) => latestMerge(a, b, n));
      const best = new Map<string, number>();
      for (const [k, t] of pairs) best.set(k, Math.max(best.get(k) ?? -1, t));
      const expected = [...best].sort((a, b) => b[1] - a[1] || (b[0] > a[0] ? 1 : -1)).slice(0, n);
      assert.deepEqual(latest, expected);
    });
  }

  void it('variance of equal values is exactly 0', () => {
    const v = [19.99, 19.99, 19.99].reduce(varianceUpdate, [0, 0, 0]);
    assert.equal(v[2], 0);
  });
});
