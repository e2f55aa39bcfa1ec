import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '@clickwise/random';
import { rank } from './rank.js';
import type { IndexSlice } from './store.js';
import { DEFAULT_RANK_CONFIG } from './types.js';

function popularOnly(weights: readonly number[]): IndexSlice {
  const popular = weights.map((weight, i) => ({ itemId: `i${(i * 7919) % weights.length}`, weight })).sort((a, b) => b.weight - a.weight);
  return { session: [], expanded: [], bought: [], neighbours: [], covisited: [], popular, popularByCategory: new Map(), categoryOf: new Map(), newestMs: 0 };
}

void describe('rank keeps the k best (against a sort of every candidate)', () => {
  void it('same items, scores and order as sorting all by score then item id, on random rows with ties', () => {
    const random = mulberry32(20261202);
    for (let round = 0; round < 50; round++) {
      const n = 1 + Math.floor(random() * 300);
      // Few distinct weights: many ties, broken by item id.
      const weights = Array.from({ length: n }, () => 1 + Math.floor(random() * 8));
      const slice = popularOnly(weights);
      const k = 1 + Math.floor(random() * 40);
      const got = rank({ slice, request: { k }, config: DEFAULT_RANK_CONFIG }).items.map((x) => [x.itemId, x.score]);
      const max = Math.max(...weights);
      const naive = slice.popular
        .map((p) => [p.itemId, 1e-9 * (p.weight / max)] as [string, number])
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .slice(0, k);
      assert.deepEqual(got, naive, `n ${n}, k ${k}`);
    }
  });
});
