import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventType } from '@clickwise/contracts';
import { FeatureEngine, sameFeatureValue, sharedField } from './engine.js';
import type { FeatureEvent } from './event.js';
import { OfflineExecutor, sessionEntityKey } from './offline.js';
import { randomEvents } from './testing/random-events.js';
import { decodeState, encodeState } from './state.js';
import { DAY_MS, MINUTE_MS, SECOND_MS } from './windows.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
let n = 0;

/** A small event factory: a product view of item i1 in category c1 unless told otherwise. */
function ev(at: number, type: EventType, extra: Partial<FeatureEvent> = {}): FeatureEvent {
  return {
    eventId: `t${n++}`,
    type,
    shopperKey: 'u1',
    sessionId: 's1',
    itemId: 'i1',
    itemIds: [],
    categoryId: 'c1',
    price: undefined,
    quantity: undefined,
    searchQuery: '',
    reviewRating: undefined,
    timeMs: T0 + at,
    ...extra,
  };
}

const engine = new FeatureEngine();

void describe('OfflineExecutor: table tests', () => {
  void it('a short session: counts, cart, dwell, last items, time since, affinity, search terms', () => {
    const offline = new OfflineExecutor(engine);
    const events = [
      ev(0, EventType.PAGE_VIEW, { itemId: '', categoryId: '' }),
      ev(10 * SECOND_MS, EventType.SEARCH, { itemId: '', categoryId: '', searchQuery: 'Red shoes, red!' }),
      ev(40 * SECOND_MS, EventType.PRODUCT_VIEW, { price: 10 }),
      ev(100 * SECOND_MS, EventType.PRODUCT_VIEW, { itemId: 'i2', categoryId: 'c2', price: 30 }),
      ev(130 * SECOND_MS, EventType.ADD_TO_CART, { itemId: 'i2', categoryId: 'c2', price: 30, quantity: 2 }),
      ev(150 * SECOND_MS, EventType.REMOVE_FROM_CART, { itemId: 'i2', categoryId: 'c2', price: 30 }),
      ev(200 * SECOND_MS, EventType.PRODUCT_VIEW, { price: 10 }),
    ];
    let last;
    for (const e of events) last = offline.apply(e, 0, { vector: true });
    const refMs = T0 + 200 * SECOND_MS;
    assert.equal(last?.vector?.refMs, refMs);
    assert.equal(last?.vector?.snapshotVersion, 7);
    const s = offline.values('session', sessionEntityKey('u1', 's1'), refMs);
    assert.equal(s.session_events_24h, 7);
    assert.equal(s.session_product_views_24h, 3);
    assert.equal(s.session_length_seconds_24h, 200);
    assert.equal(s.session_mean_dwell_seconds_24h, 200 / 6);
    assert.equal(s.session_last_dwell_seconds_24h, 50);
    assert.equal(s.session_cart_size_24h, 1);
    assert.equal(s.session_cart_value_24h, 30);
    assert.equal(s.session_distinct_items_viewed_24h, 2);
    assert.deepEqual(s.session_last_items_24h, ['i1', 'i2']);
    assert.deepEqual(s.session_last_categories_24h, ['c1', 'c2']);
    assert.equal(s.session_viewed_price_mean_24h, 50 / 3);
    const u = offline.values('shopper', 'u1', refMs);
    assert.equal(u.shopper_product_view_count_5m, 3);
    assert.equal(u.shopper_events_1h, 7);
    assert.equal(u.shopper_seconds_since_last_event_30d, 0);
    assert.equal(u.shopper_seconds_since_last_add_to_cart_30d, 70);
    assert.equal(u.shopper_seconds_since_last_purchase_30d, 30 * 24 * 3600);
    // Terms of one query share its time: ties go to the larger key.
    assert.deepEqual(u.shopper_recent_search_terms_7d, ['shoes', 'red']);
    assert.equal(u.shopper_viewed_price_min_7d, 10);
    assert.equal(u.shopper_viewed_price_max_7d, 30);
    assert.equal(u.shopper_viewed_price_mean_7d, 50 / 3);
    // weights: c1 views 2 (=2), c2 view 1 + cart 3 (=4); latest interaction is in c1.
    assert.deepEqual(u.shopper_top_categories_30d, ['c2', 'c1']);
    assert.equal(u.shopper_latest_category_affinity_30d, 2 / 6);
    assert.equal(u.shopper_view_to_cart_rate_7d, 1 / 3);
    const i = offline.values('item', 'i2', refMs);
    assert.equal(i.item_views_1h, 1);
    assert.equal(i.item_view_to_cart_rate_7d, 1);
    assert.equal(i.item_mean_price_7d, 30);
  });

  void it('windows slide in event time: the 5 min count drops hop by hop, the 7 d count stays', () => {
    const offline = new OfflineExecutor(engine);
    offline.apply(ev(0, EventType.PRODUCT_VIEW));
    const at = (ms: number) => offline.values('shopper', 'u1', T0 + ms);
    assert.equal(at(0).shopper_product_view_count_5m, 1);
    assert.equal(at(4 * MINUTE_MS).shopper_product_view_count_5m, 1);
    assert.equal(at(5 * MINUTE_MS).shopper_product_view_count_5m, 0);
    assert.equal(at(5 * MINUTE_MS).shopper_product_view_count_7d, 1);
    assert.equal(at(8 * DAY_MS).shopper_product_view_count_7d, 0);
    assert.equal(at(2 * DAY_MS).shopper_seconds_since_last_event_30d, 2 * 24 * 3600);
  });

  void it('late events: within the lateness counted where they belong; beyond it refused with the reason', () => {
    const offline = new OfflineExecutor(engine);
    assert.equal(offline.apply(ev(30 * MINUTE_MS, EventType.PRODUCT_VIEW), 3).status, 'applied');
    assert.equal(offline.apply(ev(20 * MINUTE_MS, EventType.ADD_TO_CART), 3).status, 'applied');
    const late = offline.apply(ev(14 * MINUTE_MS, EventType.PURCHASE), 3);
    assert.equal(late.status, 'too_late');
    assert.match(late.reason!, /behind the partition's stream clock/);
    // Another partition has its own clock.
    assert.equal(offline.apply(ev(0, EventType.PURCHASE, { shopperKey: 'u2' }), 4).status, 'applied');
    const u = offline.values('shopper', 'u1', T0 + 30 * MINUTE_MS);
    assert.equal(u.shopper_add_to_cart_count_1h, 1);
    assert.equal(u.shopper_purchase_count_24h, 0);
    assert.equal(u.shopper_seconds_since_last_add_to_cart_30d, 600);
    assert.deepEqual(offline.counts, { applied: 3, tooLate: 1, erased: 0 });
  });

  void it('erasure: the shopper\'s state goes, its earlier events never come back, items keep counting', () => {
    const offline = new OfflineExecutor(engine);
    offline.apply(ev(0, EventType.PRODUCT_VIEW));
    offline.erase('u1', T0 + MINUTE_MS);
    assert.equal(offline.shoppers.has('u1'), false);
    assert.equal(offline.sessions.size, 0);
    assert.equal(offline.apply(ev(30 * SECOND_MS, EventType.PRODUCT_VIEW)).status, 'erased');
    assert.equal(offline.shoppers.has('u1'), false);
    assert.equal(offline.apply(ev(2 * MINUTE_MS, EventType.PRODUCT_VIEW)).status, 'applied');
    assert.equal(offline.values('shopper', 'u1', T0 + 2 * MINUTE_MS).shopper_product_view_count_1h, 1);
    assert.equal(offline.values('item', 'i1', T0 + 2 * MINUTE_MS).item_views_1h, 3);
  });

  void it('shopper and session state survive a JSON round trip unchanged', () => {
    const offline = new OfflineExecutor(engine);
    for (const e of randomEvents({ seed: 9, events: 400 })) offline.apply(e);
    const refMs = offline.streamTimeMs;
    for (const entity of ['shopper', 'session'] as const) {
      for (const [key, state] of offline.mapOf(entity)) {
        const copy = decodeState(encodeState(state, 123));
        assert.equal(copy.writtenAtMs, 123);
        assert.deepEqual(engine.evaluate(entity, copy, refMs), engine.evaluate(entity, state, refMs), key);
      }
    }
  });
});

void describe('shared (item, category) state as hash fields', () => {
  void it('decodeShared rebuilds from summed increments the state the offline executor holds', () => {
    const offline = new OfflineExecutor(engine);
    const fields = new Map<string, Map<string, number>>();
    const latest = new Map<string, number>();
    for (const e of randomEvents({ seed: 31, events: 500 })) {
      if (offline.apply(e).status === 'too_late') continue;
      engine.sharedDeltas(e, {
        add: (entity, key, slot, bucket, index, delta) => {
          const id = `${entity}/${key}`;
          let f = fields.get(id);
          if (!f) fields.set(id, (f = new Map<string, number>()));
          const name = sharedField(slot, bucket, index);
          f.set(name, (f.get(name) ?? 0) + delta);
        },
        touch: (entity, key, timeMs) => latest.set(`${entity}/${key}`, Math.max(latest.get(`${entity}/${key}`) ?? -Infinity, timeMs)),
      });
    }
    const refMs = offline.streamTimeMs;
    for (const [id, f] of fields) {
      const [entity, key] = id.split('/') as ['item' | 'category', string];
      const hash: Record<string, string> = { _t: String(latest.get(id)), _w: '5' };
      for (const [name, value] of f) hash[name] = String(value);
      const state = engine.decodeShared(entity, hash);
      assert.equal(state.writtenAtMs, 5);
      const a = engine.evaluate(entity, state, refMs);
      const b = engine.evaluate(entity, offline.mapOf(entity).get(key), refMs);
      assert.ok(a.every((x, i) => sameFeatureValue(x, b[i]!)), id);
    }
  });
});

void describe('review sentiment through the definitions (ADR 0058)', () => {
  const model = { version: 'm1', score: (text: string) => (text.includes('great') ? 0.9 : 0.2) };
  const reviews = () => [
    ev(0, EventType.REVIEW, { reviewRating: 5, reviewText: 'great speaker' }),
    ev(MINUTE_MS, EventType.REVIEW, { reviewRating: 1, reviewText: 'it broke' }),
    ev(2 * MINUTE_MS, EventType.REVIEW, { reviewRating: 4 }),
  ];

  void it('is absent (null, not 0) without a sentiment model, and keeps no state', () => {
    const offline = new OfflineExecutor(engine);
    for (const e of reviews()) offline.apply(e);
    const item = offline.values('item', 'i1', T0 + 3 * MINUTE_MS);
    assert.equal(item.item_review_sentiment_mean_7d, null);
    assert.equal(item.item_review_sentiment_mean_30d, null);
    assert.equal(item.item_scored_reviews_30d, null);
    assert.equal(item.item_reviews_30d, 3);
    for (const f of engine.plans.item.features.filter((f) => f.definition.name.includes('sentiment') || f.definition.name.includes('scored'))) {
      assert.deepEqual(f.slots, [], f.definition.name);
    }
  });

  void it('with a model: the mean score of the reviews that have a text, and their count', () => {
    const scored = new FeatureEngine(undefined, { sentiment: model });
    const offline = new OfflineExecutor(scored);
    for (const e of reviews()) offline.apply(e);
    const item = offline.values('item', 'i1', T0 + 3 * MINUTE_MS);
    assert.ok(sameFeatureValue(item.item_review_sentiment_mean_7d!, (0.9 + 0.2) / 2));
    assert.equal(item.item_scored_reviews_30d, 2);
    assert.equal(offline.values('item', 'other', T0).item_review_sentiment_mean_7d, null, 'no review: absent');
    assert.equal(offline.values('item', 'i1', T0 + 8 * DAY_MS).item_review_sentiment_mean_7d, null, 'out of the window: absent');
  });

  void it('makes the sentiment model part of the definitions version', () => {
    const a = new FeatureEngine(undefined, { sentiment: model });
    assert.notEqual(a.version, engine.version);
    assert.notEqual(new FeatureEngine(undefined, { sentiment: { ...model, version: 'm2' } }).version, a.version);
    assert.equal(new FeatureEngine(undefined, { sentiment: { ...model } }).version, a.version);
    assert.equal(a.sentimentModelVersion, 'm1');
    assert.equal(engine.sentimentModelVersion, null);
  });
});

void describe('search terms of the session', () => {
  void it('lists and counts the session\'s normalised search terms', () => {
    const offline = new OfflineExecutor(engine);
    offline.apply(ev(0, EventType.SEARCH, { itemId: '', categoryId: '', searchQuery: 'Red Shoes for men' }));
    offline.apply(ev(SECOND_MS, EventType.SEARCH, { itemId: '', categoryId: '', searchQuery: 'café shoes' }));
    const session = offline.values('session', sessionEntityKey('u1', 's1'), T0 + SECOND_MS);
    assert.deepEqual(session.session_search_terms_24h, ['shoes', 'cafe', 'red', 'men'], 'most recent first; same time: by key descending');
    assert.equal(session.session_distinct_search_terms_24h, 4);
  });
});
