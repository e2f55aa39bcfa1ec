import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lexiconScore } from './lexicon.js';
import { queryTerms, textTerms, tokenize } from './tokenize.js';

void describe('tokenize', () => {
  void it('lower-cases, folds NFKC forms and keeps letters of any script', () => {
    assert.deepEqual(tokenize('Ｇｒｅａｔ Café, très BIEN! 日本'), ['great', 'café', 'très', 'bien', '日本']);
  });

  void it('negates the words after a negator up to the clause end or 3 words', () => {
    assert.deepEqual(tokenize('not good'), ['not_good']);
    assert.deepEqual(tokenize("It doesn't work well."), ['it', 'not_work', 'not_well']);
    assert.deepEqual(tokenize('never buy this junk again, awful'), ['not_buy', 'not_this', 'not_junk', 'again', 'awful']);
    assert.deepEqual(tokenize('Not bad. Good'), ['not_bad', 'good']);
    assert.deepEqual(tokenize('not good but fine'), ['not_good', 'fine']);
    assert.deepEqual(tokenize('absolutely not'), ['absolutely', 'not']);
    assert.deepEqual(tokenize('I don’t like it'), ['i', 'not_like', 'not_it']);
  });

  void it('adds bigrams within a clause only', () => {
    assert.deepEqual(textTerms('battery life great. not bad'), ['battery', 'life', 'great', 'battery life', 'life great', 'not_bad']);
    assert.deepEqual(textTerms('a b', { bigrams: false }), ['a', 'b']);
  });

  void it('scores a lexicon with negation flipping the side', () => {
    assert.ok(lexiconScore('great, I love it') > 0);
    assert.ok(lexiconScore('not good at all') < 0);
    assert.equal(lexiconScore('a speaker'), 0);
  });
});

void describe('queryTerms', () => {
  void it('normalises a query: case, diacritics, punctuation, stopwords, duplicates', () => {
    assert.deepEqual(queryTerms('Red Running-Shoes for MEN'), ['red', 'running', 'shoes', 'men']);
    assert.deepEqual(queryTerms('Café  CAFE crème'), ['cafe', 'creme']);
    assert.deepEqual(queryTerms('ＵＳＢ-C cable 2m'), ['usb', 'cable', '2m']);
    assert.deepEqual(queryTerms(''), []);
    assert.deepEqual(queryTerms('a i the'), []);
  });

  void it('keeps at most 8 terms of at most 32 characters', () => {
    assert.equal(queryTerms('aa bb cc dd ee ff gg hh ii jj').length, 8);
    assert.equal(queryTerms('x'.repeat(50))[0]!.length, 32);
  });
});
