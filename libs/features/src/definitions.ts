import { EventType } from '@clickwise/contracts';
import { aggregatorOf, type Aggregation } from './aggregations/index.js';
import { EVENT_TYPES, eventTypeName } from './event.js';
import type { TypeWeights } from './inputs.js';
import { MINUTE_MS, windows, type Window } from './windows.js';

export type { Aggregation } from './aggregations/index.js';
export type { KeyOf, Measure, TypeWeights } from './inputs.js';

/** What a feature describes. Shopper and session state has one writer (the partition of the
 * shopper key); item and category state is written by every partition. */
export type Entity = 'shopper' | 'session' | 'item' | 'category';
export const ENTITIES: readonly Entity[] = ['shopper', 'session', 'item', 'category'];

/** Entities whose state is written by many partitions: only commutative increments allowed. */
export function isSharedEntity(entity: Entity): boolean {
  return entity === 'item' || entity === 'category';
}

/** Which events a feature reads, by type. Events that lack the measure or key are skipped too. */
export interface EventFilter {
  readonly types: readonly EventType[];
}

export interface FeatureDefinition {
  /** snake_case, unique; the name in features.updated.v1 and the reader. */
  readonly name: string;
  readonly entity: Entity;
  readonly aggregation: Aggregation;
  readonly window: Window;
  readonly filter: EventFilter;
  /** One line for people. */
  readonly description: string;
}

/** Whether a feature's value is a number or a list of strings. */
export function valueKind(def: FeatureDefinition): 'number' | 'list' {
  return aggregatorOf(def.aggregation).value;
}

/**
 * Allowed lateness: an event whose time is older than its partition's stream clock (the highest
 * event time seen on the partition) minus this goes to the DLQ as too late.
 */
export const ALLOWED_LATENESS_MS = 15 * MINUTE_MS;

/**
 * Bump when the meaning of the engine's code changes (not just the catalogue), so the definitions
 * version changes and state is rebuilt.
 */
export const ENGINE_REVISION = 2; // 2: query terms from @clickwise/text (diacritics folded, stopwords dropped)

const T = EventType;
const ALL = EVENT_TYPES;
const VIEW = [T.PRODUCT_VIEW];
const CART = [T.ADD_TO_CART];
const BUY = [T.PURCHASE];
const AFFINITY: TypeWeights = { [T.PRODUCT_VIEW]: 1, [T.ADD_TO_CART]: 3, [T.PURCHASE]: 5 };

function def(
  name: string,
  entity: Entity,
  window: Window,
  types: readonly EventType[],
  aggregation: Aggregation,
  description: string,
): FeatureDefinition {
  return { name, entity, window, filter: { types }, aggregation, description };
}

const count = { kind: 'count' } as const;

function shopperDefinitions(): FeatureDefinition[] {
  const out: FeatureDefinition[] = [];
  for (const w of [windows.m5, windows.h1, windows.h24, windows.d7]) {
    for (const type of EVENT_TYPES) {
      const name = eventTypeName(type);
      out.push(def(`shopper_${name}_count_${w.label}`, 'shopper', w, [type], count, `${name} events of the shopper in the last ${w.label}`));
    }
  }
  for (const w of [windows.h1, windows.h24, windows.d7]) {
    out.push(def(`shopper_events_${w.label}`, 'shopper', w, ALL, count, `all events of the shopper in the last ${w.label}`));
  }
  out.push(
    def('shopper_seconds_since_last_event_30d', 'shopper', windows.d30, ALL, { kind: 'seconds_since_last' }, 'seconds since the shopper\'s latest event (30 d when none)'),
    def('shopper_seconds_since_last_add_to_cart_30d', 'shopper', windows.d30, CART, { kind: 'seconds_since_last' }, 'seconds since the shopper\'s latest cart add (30 d when none)'),
    def('shopper_seconds_since_last_purchase_30d', 'shopper', windows.d30, BUY, { kind: 'seconds_since_last' }, 'seconds since the shopper\'s latest purchase (30 d when none)'),
    def('shopper_distinct_items_viewed_24h', 'shopper', windows.h24, VIEW, { kind: 'distinct_count', key: 'item' }, 'distinct items the shopper viewed in 24 h'),
    def('shopper_distinct_items_viewed_7d', 'shopper', windows.d7, VIEW, { kind: 'distinct_count', key: 'item' }, 'distinct items the shopper viewed in 7 d'),
    def('shopper_distinct_categories_viewed_7d', 'shopper', windows.d7, VIEW, { kind: 'distinct_count', key: 'category' }, 'distinct categories the shopper viewed in 7 d'),
    def('shopper_sessions_7d', 'shopper', windows.d7, ALL, { kind: 'distinct_count', key: 'session' }, 'distinct sessions of the shopper in 7 d'),
    def('shopper_viewed_price_mean_7d', 'shopper', windows.d7, VIEW, { kind: 'mean', measure: 'price' }, 'mean price of the items the shopper viewed in 7 d (0 when none)'),
    def('shopper_viewed_price_min_7d', 'shopper', windows.d7, VIEW, { kind: 'min', measure: 'price' }, 'lowest price the shopper viewed in 7 d (0 when none)'),
    def('shopper_viewed_price_max_7d', 'shopper', windows.d7, VIEW, { kind: 'max', measure: 'price' }, 'highest price the shopper viewed in 7 d (0 when none)'),
    def('shopper_viewed_price_stddev_7d', 'shopper', windows.d7, VIEW, { kind: 'stddev', measure: 'price' }, 'standard deviation of viewed prices in 7 d'),
    def('shopper_top_categories_30d', 'shopper', windows.d30, [T.PRODUCT_VIEW, T.ADD_TO_CART, T.PURCHASE], { kind: 'top_weighted', key: 'category', n: 5, weights: AFFINITY }, 'category affinity: 5 categories with most weight (view 1, cart 3, purchase 5) in 30 d'),
    def('shopper_latest_category_affinity_30d', 'shopper', windows.d30, [T.PRODUCT_VIEW, T.ADD_TO_CART, T.PURCHASE], { kind: 'share_of_latest', key: 'category', weights: AFFINITY }, 'share of the shopper\'s 30 d category weight that is in the category of their latest interaction'),
    def('shopper_recent_search_terms_7d', 'shopper', windows.d7, [T.SEARCH], { kind: 'last_distinct', key: 'query_terms', n: 10 }, 'the 10 most recent distinct search terms of the shopper in 7 d'),
    def('shopper_distinct_search_terms_7d', 'shopper', windows.d7, [T.SEARCH], { kind: 'distinct_count', key: 'query_terms' }, 'distinct search terms of the shopper in 7 d'),
    def('shopper_recommendation_ctr_7d', 'shopper', windows.d7, [T.RECOMMENDATION_CLICKED, T.RECOMMENDATION_SHOWN], { kind: 'ratio', numerator: [T.RECOMMENDATION_CLICKED], denominator: [T.RECOMMENDATION_SHOWN] }, 'recommendation clicks per recommendation shown in 7 d'),
    def('shopper_view_to_cart_rate_7d', 'shopper', windows.d7, [T.ADD_TO_CART, T.PRODUCT_VIEW], { kind: 'ratio', numerator: CART, denominator: VIEW }, 'cart adds per product view of the shopper in 7 d'),
    def('shopper_cart_to_purchase_rate_30d', 'shopper', windows.d30, [T.PURCHASE, T.ADD_TO_CART], { kind: 'ratio', numerator: BUY, denominator: CART }, 'purchases per cart add of the shopper in 30 d'),
    def('shopper_purchase_value_30d', 'shopper', windows.d30, BUY, { kind: 'sum', measure: 'value' }, 'Σ price × quantity of the shopper\'s purchases in 30 d'),

    // Purchase propensity (ADR 0054): the shopper's buying history and open carts.
    def('shopper_purchase_sessions_30d', 'shopper', windows.d30, BUY, { kind: 'distinct_count', key: 'session' }, 'distinct sessions of the shopper with a purchase in 30 d'),
    def('shopper_distinct_items_carted_7d', 'shopper', windows.d7, CART, { kind: 'distinct_count', key: 'item' }, 'distinct items the shopper added to a cart in 7 d'),
    def('shopper_distinct_items_purchased_30d', 'shopper', windows.d30, BUY, { kind: 'distinct_count', key: 'item' }, 'distinct items the shopper bought in 30 d'),
    def('shopper_carted_items_7d', 'shopper', windows.d7, CART, { kind: 'last_distinct', key: 'item', n: 20 }, 'the 20 items the shopper most recently added to a cart in 7 d'),
    def('shopper_purchased_items_30d', 'shopper', windows.d30, BUY, { kind: 'last_distinct', key: 'item', n: 20 }, 'the 20 items the shopper most recently bought in 30 d'),
  );
  return out;
}

function sessionDefinitions(): FeatureDefinition[] {
  const w = windows.h24;
  return [
    def('session_events_24h', 'session', w, ALL, count, 'events in the session (24 h)'),
    def('session_product_views_24h', 'session', w, VIEW, count, 'product views in the session (24 h)'),
    def('session_add_to_carts_24h', 'session', w, CART, count, 'cart adds in the session (24 h)'),
    def('session_searches_24h', 'session', w, [T.SEARCH], count, 'searches in the session (24 h)'),
    def('session_checkouts_24h', 'session', w, [T.CHECKOUT], count, 'checkouts started in the session (24 h)'),
    def('session_length_seconds_24h', 'session', w, ALL, { kind: 'span_seconds' }, 'seconds between the session\'s first and latest event'),
    def('session_mean_dwell_seconds_24h', 'session', w, ALL, { kind: 'mean_gap_seconds' }, 'mean seconds between consecutive events of the session'),
    def('session_last_dwell_seconds_24h', 'session', w, ALL, { kind: 'last_gap_seconds' }, 'seconds between the session\'s two latest events'),
    def('session_distinct_items_viewed_24h', 'session', w, VIEW, { kind: 'distinct_count', key: 'item' }, 'distinct items viewed in the session'),
    def('session_distinct_categories_viewed_24h', 'session', w, VIEW, { kind: 'distinct_count', key: 'category' }, 'distinct categories viewed in the session'),
    def('session_last_items_24h', 'session', w, [T.PRODUCT_VIEW, T.ADD_TO_CART, T.REMOVE_FROM_CART, T.PURCHASE, T.REVIEW, T.RECOMMENDATION_CLICKED], { kind: 'last_distinct', key: 'item', n: 10 }, 'the session\'s 10 most recent distinct items'),
    def('session_last_categories_24h', 'session', w, [T.PRODUCT_VIEW, T.ADD_TO_CART, T.REMOVE_FROM_CART, T.PURCHASE, T.REVIEW, T.RECOMMENDATION_CLICKED], { kind: 'last_distinct', key: 'category', n: 5 }, 'the session\'s 5 most recent distinct categories'),
    def('session_cart_size_24h', 'session', w, [T.ADD_TO_CART, T.REMOVE_FROM_CART], { kind: 'sum', measure: 'signed_quantity', clampAtZero: true }, 'units in the cart: units added minus units removed (at least 0)'),
    def('session_cart_value_24h', 'session', w, [T.ADD_TO_CART, T.REMOVE_FROM_CART], { kind: 'sum', measure: 'signed_value', clampAtZero: true }, 'cart value: Σ price × quantity added minus removed (at least 0)'),
    def('session_viewed_price_mean_24h', 'session', w, VIEW, { kind: 'mean', measure: 'price' }, 'mean price of the items viewed in the session (0 when none)'),
    // Purchase propensity (ADR 0054): cart and purchase progress within the session.
    def('session_purchases_24h', 'session', w, BUY, count, 'purchases in the session (24 h)'),
    def('session_distinct_items_carted_24h', 'session', w, CART, { kind: 'distinct_count', key: 'item' }, 'distinct items added to the cart in the session'),
    def('session_seconds_since_last_add_to_cart_24h', 'session', w, CART, { kind: 'seconds_since_last' }, 'seconds since the session\'s latest cart add (24 h when none)'),
    def('session_seconds_since_last_purchase_24h', 'session', w, BUY, { kind: 'seconds_since_last' }, 'seconds since the session\'s latest purchase (24 h when none)'),
    def('session_carted_items_24h', 'session', w, CART, { kind: 'last_distinct', key: 'item', n: 10 }, 'the 10 items most recently added to the cart in the session'),
    def('session_purchased_items_24h', 'session', w, BUY, { kind: 'last_distinct', key: 'item', n: 10 }, 'the 10 items most recently bought in the session'),
    def('session_search_terms_24h', 'session', w, [T.SEARCH], { kind: 'last_distinct', key: 'query_terms', n: 10 }, 'the session\'s 10 most recent distinct search terms'),
    def('session_distinct_search_terms_24h', 'session', w, [T.SEARCH], { kind: 'distinct_count', key: 'query_terms' }, 'distinct search terms in the session'),
  ];
}

function itemDefinitions(): FeatureDefinition[] {
  return [
    def('item_views_1h', 'item', windows.h1, VIEW, count, 'product views of the item in 1 h'),
    def('item_views_24h', 'item', windows.h24, VIEW, count, 'product views of the item in 24 h'),
    def('item_views_7d', 'item', windows.d7, VIEW, count, 'product views of the item in 7 d'),
    def('item_add_to_carts_24h', 'item', windows.h24, CART, count, 'cart adds of the item in 24 h'),
    def('item_add_to_carts_7d', 'item', windows.d7, CART, count, 'cart adds of the item in 7 d'),
    def('item_purchases_24h', 'item', windows.h24, BUY, count, 'purchases of the item in 24 h'),
    def('item_purchases_7d', 'item', windows.d7, BUY, count, 'purchases of the item in 7 d'),
    def('item_view_to_cart_rate_7d', 'item', windows.d7, [T.ADD_TO_CART, T.PRODUCT_VIEW], { kind: 'ratio', numerator: CART, denominator: VIEW }, 'cart adds per view of the item in 7 d'),
    def('item_cart_to_purchase_rate_7d', 'item', windows.d7, [T.PURCHASE, T.ADD_TO_CART], { kind: 'ratio', numerator: BUY, denominator: CART }, 'purchases per cart add of the item in 7 d'),
    def('item_view_to_purchase_rate_7d', 'item', windows.d7, [T.PURCHASE, T.PRODUCT_VIEW], { kind: 'ratio', numerator: BUY, denominator: VIEW }, 'purchases per view of the item in 7 d'),
    def('item_reviews_30d', 'item', windows.d30, [T.REVIEW], count, 'reviews of the item in 30 d'),
    def('item_mean_rating_30d', 'item', windows.d30, [T.REVIEW], { kind: 'mean', measure: 'rating' }, 'mean review rating of the item in 30 d (0 when none)'),
    // Sentiment of review texts (ADR 0058): absent (null) until the engine has a sentiment model;
    // the mean is also absent while no scored review is in the window.
    def('item_review_sentiment_mean_7d', 'item', windows.d7, [T.REVIEW], { kind: 'mean', measure: 'sentiment', empty: 'absent' }, 'mean sentiment (probability positive) of the item\'s review texts in 7 d'),
    def('item_review_sentiment_mean_30d', 'item', windows.d30, [T.REVIEW], { kind: 'mean', measure: 'sentiment', empty: 'absent' }, 'mean sentiment (probability positive) of the item\'s review texts in 30 d'),
    def('item_scored_reviews_30d', 'item', windows.d30, [T.REVIEW], { kind: 'sum', measure: 'sentiment_scored' }, 'reviews of the item in 30 d whose text has a sentiment score'),
    def('item_mean_price_7d', 'item', windows.d7, VIEW, { kind: 'mean', measure: 'price' }, 'mean price seen on views of the item in 7 d (0 when none)'),
    def('item_recommendation_impressions_7d', 'item', windows.d7, [T.RECOMMENDATION_SHOWN], count, 'times the item was in a recommendation shown, 7 d'),
    def('item_recommendation_clicks_7d', 'item', windows.d7, [T.RECOMMENDATION_CLICKED], count, 'recommendation clicks on the item in 7 d'),
    // Purchase propensity (ADR 0054): the item's recent cart pull.
    def('item_add_to_carts_1h', 'item', windows.h1, CART, count, 'cart adds of the item in 1 h'),
    def('item_events_7d', 'item', windows.d7, ALL, count, 'events of every type on the item in 7 d'),
  ];
}

function categoryDefinitions(): FeatureDefinition[] {
  return [
    def('category_views_1h', 'category', windows.h1, VIEW, count, 'product views in the category in 1 h'),
    def('category_views_24h', 'category', windows.h24, VIEW, count, 'product views in the category in 24 h'),
    def('category_views_7d', 'category', windows.d7, VIEW, count, 'product views in the category in 7 d'),
    def('category_add_to_carts_7d', 'category', windows.d7, CART, count, 'cart adds in the category in 7 d'),
    def('category_purchases_7d', 'category', windows.d7, BUY, count, 'purchases in the category in 7 d'),
    def('category_view_to_cart_rate_7d', 'category', windows.d7, [T.ADD_TO_CART, T.PRODUCT_VIEW], { kind: 'ratio', numerator: CART, denominator: VIEW }, 'cart adds per view in the category in 7 d'),
    def('category_view_to_purchase_rate_7d', 'category', windows.d7, [T.PURCHASE, T.PRODUCT_VIEW], { kind: 'ratio', numerator: BUY, denominator: VIEW }, 'purchases per view in the category in 7 d'),
  ];
}

/** The feature catalogue: every feature, declared once. */
export const featureDefinitions: readonly FeatureDefinition[] = [
  ...shopperDefinitions(),
  ...sessionDefinitions(),
  ...itemDefinitions(),
  ...categoryDefinitions(),
];
