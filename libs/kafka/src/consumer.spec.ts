import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deadLetterFor } from './consumer.js';

void describe('deadLetterFor', () => {
  const where = { topic: 't.clickstream.events.v1', partition: 4 };

  void test('keeps the reason, the position and the raw payload', () => {
    const before = Date.now();
    const payload = Buffer.from([0x0a, 0x10, 0x61, 0x62]);
    const letter = deadLetterFor('features', { key: Buffer.from('u-1'), value: payload, offset: '17' }, where, 'decode_failed', 'cannot decode');
    assert.equal(letter.stage, 'features');
    assert.equal(letter.source, where.topic);
    assert.equal(letter.originalTopic, where.topic);
    assert.equal(letter.originalPartition, 4);
    assert.equal(letter.originalOffset, 17n);
    assert.equal(letter.reasonCode, 'decode_failed');
    assert.equal(letter.reason, 'cannot decode');
    assert.deepStrictEqual(Buffer.from(letter.payload), payload);
    assert.equal(letter.truncated, false);
    assert.equal(letter.originalSize, 4);
    assert.ok(letter.rejectedAtMs >= BigInt(before) && letter.rejectedAtMs <= BigInt(Date.now()));
  });

  void test('cuts a payload above the limit and says so', () => {
    const payload = Buffer.alloc(100, 7);
    const letter = deadLetterFor('s', { key: null, value: payload, offset: '0' }, where, 'x', 'y', 10);
    assert.equal(letter.payload.length, 10);
    assert.equal(letter.truncated, true);
    assert.equal(letter.originalSize, 100);
    const exact = deadLetterFor('s', { key: null, value: Buffer.alloc(10), offset: '0' }, where, 'x', 'y', 10);
    assert.equal(exact.truncated, false);
  });

  void test('a null value becomes an empty payload; offsets beyond 2^53 stay exact', () => {
    const letter = deadLetterFor('s', { key: null, value: null, offset: '9007199254740993' }, where, 'x', 'y');
    assert.equal(letter.payload.length, 0);
    assert.equal(letter.originalSize, 0);
    assert.equal(letter.originalOffset, 9007199254740993n);
  });
});
