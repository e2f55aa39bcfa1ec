import { InvalidInputError } from '@clickwise/errors';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hitRateAtK, mrrAtK, ranksOf } from './ranking.js';

void describe('ranking metrics', () => {
  void it('HR@K and MRR@K, hand-computed', () => {
    const ranks = [1, 3, Infinity, 20, 21];
    assert.equal(hitRateAtK(ranks, 20), 3 / 5);
    assert.equal(mrrAtK(ranks, 20), (1 + 1 / 3 + 1 / 20) / 5);
    assert.equal(hitRateAtK(ranks, 1), 1 / 5);
    assert.equal(mrrAtK(ranks, 2), 1 / 5);
  });

  void it('ranks from ranked lists: 1-based, first occurrence, Infinity when absent', () => {
    const ranks = ranksOf(
      [
        ['a', 'b', 'c'],
        ['c', 'b', 'b'],
        ['x', 'y'],
        [],
      ],
      ['a', 'b', 'z', 'a'],
    );
    assert.deepEqual([...ranks], [1, 2, Infinity, Infinity]);
    assert.equal(hitRateAtK(ranks, 2), 0.5);
    assert.equal(mrrAtK(ranks, 20), (1 + 0.5) / 4);
  });

  void it('rejects bad ranks and k', () => {
    const bad = (f: () => unknown, m: RegExp) => assert.throws(f, (e: unknown) => e instanceof InvalidInputError && m.test(e.message));
    bad(() => hitRateAtK([1, 0], 5), /ranks\[1\] is 0/);
    bad(() => mrrAtK([1.5], 5), /ranks\[0\] is 1.5/);
    bad(() => hitRateAtK([1], 0), /k is 0/);
    bad(() => hitRateAtK([], 20), /no ranks/);
    bad(() => ranksOf([['a']], []), /1 ranked lists but 0 labels/);
  });
});
