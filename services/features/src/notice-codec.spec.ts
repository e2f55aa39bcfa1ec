import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FeatureUpdateSchema, FeatureValueSchema } from '@clickwise/contracts';
import { NoticeEncoder, type NoticeFields } from './notice-codec.js';

function reference(n: NoticeFields): Uint8Array {
  return toBinary(
    FeatureUpdateSchema,
    create(FeatureUpdateSchema, {
      ...n,
      eventTimeMs: BigInt(n.eventTimeMs),
      snapshotVersion: BigInt(n.snapshotVersion),
      acceptedAtMs: BigInt(n.acceptedAtMs ?? 0),
      changed: n.changed.flatMap((v) =>
        v.value === null ? [] :
        typeof v.value === 'number' ? create(FeatureValueSchema, { name: v.name, value: v.value }) : create(FeatureValueSchema, { name: v.name, value: v.value.length, list: [...v.value] }),
      ),
    }),
  );
}

void describe('NoticeEncoder', () => {
  const encoder = new NoticeEncoder();
  const cases: [string, NoticeFields][] = [
    ['typical', { shopperKey: 'u-42', sessionId: 's-1', eventId: 'e1', eventTimeMs: 1_790_000_000_123, itemId: '123', definitionsVersion: 'b21587e035c7', snapshotVersion: 7, changed: [{ name: 'shopper_events_1h', value: 3 }, { name: 'session_cart_value_24h', value: 19.99 }, { name: 'session_last_items_24h', value: ['123', '7', ''] }], traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', acceptedAtMs: 1_790_000_000_456 }],
    ['zeros and empties are omitted', { shopperKey: 'a', sessionId: '', eventId: 'x', eventTimeMs: 0, itemId: '', definitionsVersion: 'v', snapshotVersion: 0, changed: [{ name: 'z', value: 0 }, { name: 'l', value: [] }, { name: 'neg', value: -0.5 }], traceparent: '' }],
    ['non-ASCII and long', { shopperKey: 'größe-ü'.repeat(40), sessionId: 'sess', eventId: 'é', eventTimeMs: 2 ** 52, itemId: '✓', definitionsVersion: 'v', snapshotVersion: 300, changed: Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, value: i % 3 === 0 ? [`x${i}`, 'ü'] : i * 1.5 - 7 })), traceparent: '' }],
    ['absent values (null) are left out', { shopperKey: 'a', sessionId: 's', eventId: 'e', eventTimeMs: 5, itemId: 'i', definitionsVersion: 'v', snapshotVersion: 2, changed: [{ name: 'a', value: null }, { name: 'b', value: 2 }, { name: 'c', value: null }], traceparent: '' }],
    ['negative time (int64)', { shopperKey: 'a', sessionId: 's', eventId: 'e', eventTimeMs: -5, itemId: '', definitionsVersion: 'v', snapshotVersion: 1, changed: [], traceparent: '' }],
  ];
  for (const [name, fields] of cases) {
    void it(`${name}: the same bytes as protobuf-es, and they decode back`, () => {
      const bytes = encoder.encode(fields);
      assert.deepEqual(new Uint8Array(bytes), reference(fields));
      const back = fromBinary(FeatureUpdateSchema, bytes);
      assert.equal(back.eventId, fields.eventId);
      assert.equal(back.acceptedAtMs, BigInt(fields.acceptedAtMs ?? 0));
      assert.equal(back.changed.length, fields.changed.filter((v) => v.value !== null).length);
    });
  }
});
