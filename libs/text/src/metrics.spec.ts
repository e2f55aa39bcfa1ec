import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labelFromRating, stratifiedSplit, type LabelledText } from './data.js';
import { accuracy, rocAuc } from './metrics.js';

void describe('metrics', () => {
  void it('ROC-AUC: perfect, reversed, ties counted half, NaN with one class', () => {
    assert.equal(rocAuc([0.1, 0.4, 0.6, 0.9], [false, false, true, true]), 1);
    assert.equal(rocAuc([0.9, 0.6, 0.4, 0.1], [false, false, true, true]), 0);
    assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [false, true, false, true]), 0.5);
    // Pairs (pos, neg): (0.8,0.2) win, (0.8,0.8) tie, (0.3,0.2) win, (0.3,0.8) loss → (2 + 0.5) / 4.
    assert.equal(rocAuc([0.8, 0.3, 0.2, 0.8], [true, true, false, false]), 0.625);
    assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [true, true])));
  });

  void it('accuracy at a threshold, and mismatched lengths named', () => {
    assert.equal(accuracy([0.2, 0.7, 0.5, 0.4], [false, true, true, true]), 0.75);
    assert.throws(() => accuracy([1], [true, false]), /1 scores for 2 labels/);
  });
});

void describe('labels and the split', () => {
  void it('Alexa ratings: ≥ 4 positive, ≤ 2 negative, 3 left out', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(labelFromRating), [false, false, undefined, true, true]);
  });

  void it('a stratified split keeps every source\'s class balance and is seeded', () => {
    const texts: LabelledText[] = [];
    for (let i = 0; i < 200; i++) texts.push({ source: i % 2 ? 'a' : 'b', text: `t${i}`, positive: i % 5 !== 0 });
    const { train, test } = stratifiedSplit(texts, 0.2, 3);
    assert.equal(train.length + test.length, 200);
    assert.equal(test.length, 40);
    for (const source of ['a', 'b']) {
      const part = test.filter((t) => t.source === source);
      assert.equal(part.filter((t) => !t.positive).length, 4, source);
    }
    assert.deepEqual(stratifiedSplit(texts, 0.2, 3).test, test);
    assert.notDeepEqual(stratifiedSplit(texts, 0.2, 4).test, test);
    assert.throws(() => stratifiedSplit(texts, 1, 1), /between 0 and 1/);
  });
});
