import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAlexaReviews, parseLabelledSentences } from './reviews.js';

const DATA = new URL('../../../../shared/data/reviews/', import.meta.url);

void test('amazon_alexa.tsv: 3,150 reviews less the 79 empty texts, ratings 1..5, quoted texts unquoted', () => {
  const reviews = parseAlexaReviews(readFileSync(new URL('amazon_alexa.tsv', DATA), 'utf8'));
  assert.equal(reviews.length, 3150 - 79);
  assert.ok(reviews.every((r) => r.rating !== undefined && r.rating >= 1 && r.rating <= 5 && r.text.length > 0));
  assert.ok(reviews.some((r) => r.text.startsWith('Sometimes while playing a game')));
  assert.ok(!reviews.some((r) => r.text.startsWith('"')));
  assert.deepEqual(new Set(reviews.map((r) => r.rating)), new Set([1, 2, 3, 4, 5]));
});

void test('UCI labelled sentences: 1,000 each, half positive', () => {
  for (const file of ['yelp_labelled.txt', 'amazon_cells_labelled.txt']) {
    const reviews = parseLabelledSentences(readFileSync(new URL(file, DATA), 'utf8'));
    assert.equal(reviews.length, 1000, file);
    assert.equal(reviews.filter((r) => r.positive).length, 500, file);
  }
  assert.deepEqual(parseLabelledSentences('As for the "mains," also uninspired.\t0\r\n'), [{ text: 'As for the "mains," also uninspired.', positive: false }]);
});
