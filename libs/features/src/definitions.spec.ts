import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ENTITIES, featureDefinitions } from './definitions.js';
import { FeatureEngine } from './engine.js';
import { LONGEST_WINDOW_MS } from './windows.js';

void describe('the feature catalogue', () => {
  void it('has at least 30 features, every entity, unique snake_case names, a window and a description each', () => {
    assert.ok(featureDefinitions.length >= 30, `${featureDefinitions.length} features`);
    for (const entity of ENTITIES) assert.ok(featureDefinitions.some((d) => d.entity === entity), entity);
    const names = new Set<string>();
    for (const d of featureDefinitions) {
      assert.match(d.name, /^[a-z][a-z0-9_]*$/);
      assert.ok(!names.has(d.name), `duplicate ${d.name}`);
      names.add(d.name);
      assert.ok(d.window.ms > 0 && d.window.ms <= LONGEST_WINDOW_MS, `${d.name} window`);
      assert.ok(d.filter.types.length > 0, `${d.name} filter`);
      assert.ok(d.description.length > 10 && !d.description.includes('\n'), `${d.name} description`);
    }
  });

  void it('covers what the issue lists', () => {
    const has = (name: string) => assert.ok(featureDefinitions.some((d) => d.name === name), name);
    for (const w of ['5m', '1h', '24h', '7d']) for (const t of ['page_view', 'product_view', 'search', 'add_to_cart', 'purchase']) has(`shopper_${t}_count_${w}`);
    for (const name of [
      'shopper_seconds_since_last_event_30d', 'shopper_seconds_since_last_add_to_cart_30d', 'session_length_seconds_24h',
      'session_events_24h', 'session_mean_dwell_seconds_24h', 'session_distinct_items_viewed_24h',
      'session_distinct_categories_viewed_24h', 'session_cart_value_24h', 'session_cart_size_24h', 'session_last_items_24h',
      'session_last_categories_24h', 'shopper_top_categories_30d', 'item_views_24h', 'category_views_24h',
      'item_view_to_cart_rate_7d', 'item_cart_to_purchase_rate_7d', 'category_view_to_purchase_rate_7d',
      'shopper_viewed_price_mean_7d', 'shopper_viewed_price_stddev_7d', 'shopper_recent_search_terms_7d',
      'item_reviews_30d', 'item_mean_rating_30d',
    ]) has(name);
  });

  void it('has a version that changes with the definitions and the lateness, and only then', () => {
    const a = new FeatureEngine();
    assert.match(a.version, /^[0-9a-f]{12}$/);
    assert.equal(new FeatureEngine().version, a.version);
    assert.notEqual(new FeatureEngine(featureDefinitions.slice(1)).version, a.version);
    assert.notEqual(new FeatureEngine(featureDefinitions, { allowedLatenessMs: 1 }).version, a.version);
  });

  void it('keeps item and category state to increments (they are written by every partition)', () => {
    const engine = new FeatureEngine();
    for (const entity of ['item', 'category'] as const) {
      for (const slot of engine.plans[entity].slots) assert.ok(['types', 'moments'].includes(slot.primitive), `${entity} ${slot.primitive}`);
    }
    assert.throws(
      () => new FeatureEngine([{ ...featureDefinitions.find((d) => d.name === 'shopper_viewed_price_max_7d')!, entity: 'item' }]),
      /written by many partitions/,
    );
  });
});
