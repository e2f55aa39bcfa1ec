import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { EventSchema, EventType, type Event } from '@clickwise/contracts';
import { indexEventsOf } from './index-events.js';

const event = (fields: MessageInitShape<typeof EventSchema>): Event => create(EventSchema, { eventId: 'e1', userId: 'u1', sessionId: 's1', eventTimeMs: 1_000n, ...fields });

void describe('clickstream events as index events', () => {
  void it('views, cart adds and purchases of an item in a session', () => {
    assert.deepEqual(indexEventsOf(event({ type: EventType.PRODUCT_VIEW, itemId: 'i1', categoryId: 'c1' })), [{ shopperKey: 'u1', sessionId: 's1', itemId: 'i1', kind: 'view', timeMs: 1000, categoryId: 'c1' }]);
    assert.deepEqual(indexEventsOf(event({ type: EventType.ADD_TO_CART, itemId: 'i1', anonymousId: 'a1', userId: '' })), [{ shopperKey: 'a1', sessionId: 's1', itemId: 'i1', kind: 'cart', timeMs: 1000 }]);
    assert.deepEqual(
      indexEventsOf(event({ type: EventType.PURCHASE, itemId: 'i1', itemIds: ['i2', 'i1', 'i3'], categoryId: 'c1' })),
      [
        { shopperKey: 'u1', sessionId: 's1', itemId: 'i1', kind: 'purchase', timeMs: 1000, categoryId: 'c1' },
        { shopperKey: 'u1', sessionId: 's1', itemId: 'i2', kind: 'purchase', timeMs: 1000 },
        { shopperKey: 'u1', sessionId: 's1', itemId: 'i3', kind: 'purchase', timeMs: 1000 },
      ],
      'a multi-line purchase counts for each item once; the category belongs to item_id only',
    );
    assert.deepEqual(indexEventsOf(event({ type: EventType.PURCHASE, itemIds: ['i2'] })), [{ shopperKey: 'u1', sessionId: 's1', itemId: 'i2', kind: 'purchase', timeMs: 1000 }]);
  });

  void it('skips the rest, with the reason', () => {
    for (const type of [EventType.PAGE_VIEW, EventType.SEARCH, EventType.REMOVE_FROM_CART, EventType.CHECKOUT, EventType.REVIEW, EventType.RECOMMENDATION_SHOWN, EventType.RECOMMENDATION_CLICKED]) {
      assert.equal(indexEventsOf(event({ type, itemId: 'i1' })), 'type', String(type));
    }
    assert.equal(indexEventsOf(event({ type: EventType.PRODUCT_VIEW })), 'no_item');
    assert.equal(indexEventsOf(event({ type: EventType.PRODUCT_VIEW, itemId: 'i1', sessionId: '' })), 'no_session');
    assert.equal(indexEventsOf(event({ type: EventType.PRODUCT_VIEW, itemId: 'i1', userId: '' })), 'no_shopper');
  });
});
