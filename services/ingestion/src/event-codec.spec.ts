import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { EventSchema, EventSource, EventType, type Event } from '@clickwise/contracts';
import { EventEncoder } from './event-codec.js';
import { mulberry32 } from '@clickwise/random';

const rng = mulberry32;

const alphabet = ['a', 'Z', '0', '-', ' ', 'é', 'ß', '€', '日本', '🛒', '\u0000', '"'];

function randomEvent(r: () => number): Event {
  const str = (max: number) => {
    const len = Math.floor(r() * r() * max);
    let s = '';
    for (let i = 0; i < len; i++) s += r() < 0.8 ? String.fromCharCode(97 + Math.floor(r() * 26)) : alphabet[Math.floor(r() * alphabet.length)]!;
    return s;
  };
  const maybe = <T>(v: () => T): T | undefined => (r() < 0.5 ? v() : undefined);
  return create(EventSchema, {
    eventId: str(40),
    type: Math.floor(r() * 11) as EventType,
    userId: str(20),
    anonymousId: str(20),
    sessionId: str(20),
    itemId: str(12),
    categoryId: str(6),
    price: maybe(() => (r() < 0.1 ? 0 : r() * 1000)),
    currency: r() < 0.5 ? 'EUR' : '',
    quantity: maybe(() => Math.floor(r() * 20) - (r() < 0.05 ? 30 : 0)),
    searchQuery: str(60),
    reviewText: str(r() < 0.1 ? 3000 : 200),
    reviewRating: maybe(() => Math.floor(r() * 6)),
    recommendationId: str(10),
    itemIds: Array.from({ length: Math.floor(r() * 4) }, () => str(8)),
    eventTimeMs: BigInt(Math.floor(r() * 2_000_000_000_000)),
    context: maybe(() => ({ device: str(10), referrer: str(r() < 0.2 ? 400 : 40), page: str(30), userAgent: str(120), locale: str(5) })),
    ingestedAtMs: r() < 0.9 ? BigInt(Date.now()) : 0n,
    source: Math.floor(r() * 6) as EventSource,
    apiKeyId: str(16),
  });
}

void describe('EventEncoder', () => {
  void it('writes exactly what protobuf-es toBinary writes, on 5,000 random events', () => {
    const r = rng(42);
    const events = Array.from({ length: 5000 }, () => randomEvent(r));
    const encoder = new EventEncoder(1024);
    const encoded = encoder.encodeAll(events);
    for (let i = 0; i < events.length; i++) {
      const expected = Buffer.from(toBinary(EventSchema, events[i]!));
      assert.ok(encoded[i]!.equals(expected), `event ${i} differs: ${encoded[i]!.toString('hex')} vs ${expected.toString('hex')}`);
    }
  });

  void it('round-trips through fromBinary, with int64 extremes and an empty repeated string', () => {
    const event = create(EventSchema, {
      eventId: 'e-1',
      type: EventType.PURCHASE,
      userId: 'u',
      sessionId: 's',
      itemIds: ['', 'x'],
      eventTimeMs: 9_223_372_036_854_775_807n,
      ingestedAtMs: -1n,
      quantity: -5,
      source: EventSource.GRPC,
    });
    const bytes = new EventEncoder().encode(event);
    assert.ok(bytes.equals(Buffer.from(toBinary(EventSchema, event))));
    assert.deepEqual(fromBinary(EventSchema, bytes), event);
  });

  void it('grows past the per-event estimate (one large event in a small request)', () => {
    const event = create(EventSchema, { eventId: 'big', reviewText: 'é✓x'.repeat(5000), itemIds: Array.from({ length: 300 }, (_, i) => `item-${i}`) });
    const [bytes] = new EventEncoder().encodeAll([event]);
    assert.ok(bytes!.length > 256 * 10);
    assert.ok(bytes!.equals(Buffer.from(toBinary(EventSchema, event))));
  });

  void it('keeps earlier views intact when a later batch reuses the encoder', () => {
    const encoder = new EventEncoder(16);
    const a = encoder.encodeAll([create(EventSchema, { eventId: 'first' })]);
    encoder.encodeAll([create(EventSchema, { eventId: 'second' })]);
    assert.equal(fromBinary(EventSchema, a[0]!).eventId, 'first');
  });
});
