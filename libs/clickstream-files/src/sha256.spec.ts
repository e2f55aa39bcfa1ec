import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { sha256Hex } from './sha256.js';

void test('sha256Hex matches known vectors', () => {
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

void test('sha256Hex matches node:crypto on random strings of every length around block edges', () => {
  for (let length = 0; length < 300; length++) {
    const text = randomBytes(length).toString('base64').slice(0, length) + (length % 7 === 0 ? 'é€😀' : '');
    assert.equal(sha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'), `length ${length}`);
  }
});
