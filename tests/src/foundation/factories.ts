import { create } from '@bufbuild/protobuf';
import { EventContextSchema, EventSchema, EventSource, EventType, type Event } from '@clickwise/contracts';

let sequence = 0;

/**
 * An `Event` with every field of the envelope set (optional scalars, the repeated field, the nested
 * context, int64s beyond 2^53, non-ASCII text), so a round trip through Kafka checks all of them.
 */
export function fullEvent(overrides: Partial<Omit<Event, '$typeName'>> = {}): Event {
  const n = ++sequence;
  return create(EventSchema, {
    eventId: `ev-${process.pid}-${n}-${Math.random().toString(36).slice(2, 10)}`,
    type: EventType.ADD_TO_CART,
    userId: `user-${n % 7}`,
    anonymousId: `anon-${n % 11}`,
    sessionId: `sess-${n % 5}`,
    itemId: `item-${1000 + n}`,
    categoryId: `cat-${n % 13}`,
    price: 19.99 + n / 100,
    currency: 'EUR',
    quantity: 1 + (n % 4),
    searchQuery: 'blue running shoes — size 42 «eco»',
    reviewText: 'Très bien 👍 — would buy again\nsecond line',
    reviewRating: 1 + (n % 5),
    recommendationId: `rec-${n}`,
    itemIds: [`item-${n}`, `item-${n + 1}`, `item-${n + 2}`],
    eventTimeMs: 1_700_000_000_000n + BigInt(n),
    context: create(EventContextSchema, {
      device: 'mobile',
      referrer: 'https://example.com/?q=a&b=ü',
      page: `/p/${n}`,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      locale: 'de-DE',
    }),
    // Above Number.MAX_SAFE_INTEGER: a lossy int64 path would change it.
    ingestedAtMs: 9_007_199_254_740_993n + BigInt(n),
    source: EventSource.REPLAY,
    apiKeyId: `key-${n % 3}`,
    ...overrides,
  });
}
