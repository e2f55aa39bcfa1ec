import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeOutbox, encodeOutbox, type OutboxRecords } from './outbox-codec.js';

void describe('outbox codec', () => {
  void it('round-trips updates and dead letters: null and non-ASCII keys, binary values, headers', () => {
    const records: OutboxRecords = {
      updates: [
        { key: 'u-1', value: Buffer.from([0, 1, 2, 255, 10]), headers: { traceparent: '00-abc-def-01', tracestate: 'k=v' } },
        { key: 'shopper-é✓', value: Buffer.alloc(0), headers: {} },
      ],
      deadLetters: [{ key: null, value: Buffer.from('letter'), headers: {} }],
    };
    assert.deepEqual(decodeOutbox(encodeOutbox(records)), records);
    assert.deepEqual(decodeOutbox(encodeOutbox({ updates: [], deadLetters: [] })), { updates: [], deadLetters: [] });
  });

  void it('rejects truncated and trailing bytes', () => {
    const bytes = encodeOutbox({ updates: [{ key: 'k', value: Buffer.from('value'), headers: { a: 'b' } }], deadLetters: [] });
    assert.throws(() => decodeOutbox(bytes.subarray(0, bytes.length - 1)), /malformed outbox/);
    assert.throws(() => decodeOutbox(Buffer.concat([bytes, Buffer.from([0])])), /trailing/);
  });
});
