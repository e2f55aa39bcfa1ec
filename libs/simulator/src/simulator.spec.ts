import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseAlexaReviews, parseLabelledSentences } from '@clickwise/clickstream-files';
import { EVENT_TYPE_NAMES, shopperKey, type HttpEvent } from '@clickwise/contracts';
import { Rng, ZipfSampler } from './rng.js';
import { Simulator } from './simulator.js';

const REVIEWS = new URL('../../../../shared/data/reviews/', import.meta.url);
const corpus = [
  ...parseAlexaReviews(readFileSync(new URL('amazon_alexa.tsv', REVIEWS), 'utf8')),
  ...parseLabelledSentences(readFileSync(new URL('yelp_labelled.txt', REVIEWS), 'utf8')),
  ...parseLabelledSentences(readFileSync(new URL('amazon_cells_labelled.txt', REVIEWS), 'utf8')),
];

const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const NEEDS_ITEM = new Set(['product_view', 'add_to_cart', 'remove_from_cart', 'review', 'recommendation_clicked']);

/** The API's per-event rules (docs/specs/http-ingest.md) that a generator can break. */
function contractProblems(e: HttpEvent): string[] {
  const problems: string[] = [];
  if (!ID.test(e.eventId)) problems.push('eventId');
  if (!e.sessionId) problems.push('sessionId');
  if (!e.userId && !e.anonymousId) problems.push('userId/anonymousId');
  if (typeof e.eventTime !== 'number' || !Number.isInteger(e.eventTime)) problems.push('eventTime');
  if (NEEDS_ITEM.has(e.type) && !e.itemId) problems.push('itemId');
  if (e.type === 'search' && !e.searchQuery) problems.push('searchQuery');
  if (e.type === 'review' && !(Number.isInteger(e.reviewRating) && (e.reviewRating ?? 0) >= 1 && (e.reviewRating ?? 0) <= 5)) problems.push('reviewRating');
  if (e.price !== undefined && !(e.price >= 0)) problems.push('price');
  if (e.quantity !== undefined && !(Number.isInteger(e.quantity) && e.quantity >= 1)) problems.push('quantity');
  if (utf8(JSON.stringify(e)) > 32 * 1024) problems.push('size');
  return problems;
}

function utf8(text: string): number {
  return new TextEncoder().encode(text).length;
}

void describe('Simulator', () => {
  void test('the same seed gives the same events; another seed different ones', () => {
    const a = new Simulator({ seed: 42, reviews: corpus }).take(5000);
    const b = new Simulator({ seed: 42, reviews: corpus }).take(5000);
    const c = new Simulator({ seed: 43, reviews: corpus }).take(5000);
    assert.deepEqual(a, b);
    assert.notDeepEqual(
      a.map((e) => [e.type, e.itemId]),
      c.map((e) => [e.type, e.itemId]),
    );
    assert.equal(new Set([...a, ...c].map((e) => e.eventId)).size, 10_000, 'ids differ between seeds');
    assert.deepEqual(new Simulator({ seed: 'x', startTime: 5 }).take(3), new Simulator({ seed: 'x', startTime: 5 }).take(3));
  });

  void test('every event type appears within 5,000 events, and every event meets the API contract', () => {
    const sim = new Simulator({ seed: 7, reviews: corpus });
    const events = sim.take(5000);
    const types = new Set(events.map((e) => e.type));
    assert.deepEqual([...types].sort(), [...EVENT_TYPE_NAMES].sort());
    for (const e of events) assert.deepEqual(contractProblems(e), [], JSON.stringify(e));
    assert.equal(new Set(events.map((e) => e.eventId)).size, events.length);
    assert.ok(events.every((e) => e.source === 'simulator'));
    assert.equal(sim.stats().events, 5000);
  });

  void test('funnel invariants over 100k events', () => {
    const events = new Simulator({ seed: 11, rate: 200, reviews: corpus }).take(100_000);
    const sessions = new Map<string, HttpEvent[]>();
    let lastTime = 0;
    for (const e of events) {
      assert.ok((e.eventTime as number) >= lastTime, 'event time never goes back');
      lastTime = e.eventTime as number;
      const list = sessions.get(e.sessionId) ?? [];
      list.push(e);
      sessions.set(e.sessionId, list);
    }
    let purchases = 0;
    let removes = 0;
    let sessionsWithPurchase = 0;
    let sessionsWithCart = 0;
    for (const [id, list] of sessions) {
      const cart = new Set<string>();
      let checkedOut: Set<string> | undefined;
      let time = 0;
      const shoppers = new Set(list.map((e) => shopperKey(e)));
      assert.equal(shoppers.size, 1, `session ${id} has one shopper`);
      for (const e of list) {
        assert.ok((e.eventTime as number) >= time, `times non-decreasing in ${id}`);
        time = e.eventTime as number;
        if (e.type === 'add_to_cart') cart.add(e.itemId as string);
        else if (e.type === 'remove_from_cart') {
          removes++;
          assert.ok(cart.delete(e.itemId as string), `remove of ${e.itemId} follows its add in ${id}`);
        } else if (e.type === 'checkout') {
          assert.ok(cart.size > 0, 'checkout with a cart');
          assert.deepEqual(new Set(e.itemIds), cart, 'checkout lists the cart');
          checkedOut = new Set(cart);
        } else if (e.type === 'purchase') {
          purchases++;
          assert.ok(checkedOut?.has(e.itemId as string), `purchase of ${e.itemId} after its checkout in ${id}`);
        }
      }
      if (list.some((e) => e.type === 'purchase')) sessionsWithPurchase++;
      if (list.some((e) => e.type === 'add_to_cart')) sessionsWithCart++;
    }
    assert.ok(purchases > 100 && removes > 50);
    // Realistic funnel: a few percent of sessions buy; a minority add to cart (RetailRocket: 3.9 % and 12 %).
    const buyShare = sessionsWithPurchase / sessions.size;
    const cartShare = sessionsWithCart / sessions.size;
    assert.ok(buyShare > 0.01 && buyShare < 0.08, `purchase share ${buyShare}`);
    assert.ok(cartShare > 0.05 && cartShare < 0.25, `cart share ${cartShare}`);
    assert.ok(cartShare > buyShare);
  });

  void test('reviews quote the corpus, with its ratings; good items get better ratings', () => {
    const ratings = new Map<string, Set<number | boolean | undefined>>();
    for (const r of corpus) ratings.set(r.text, (ratings.get(r.text) ?? new Set()).add(r.rating ?? r.positive));
    const sim = new Simulator({ seed: 3, reviews: corpus, rate: 500 });
    const reviews = sim.take(200_000).filter((e) => e.type === 'review');
    assert.ok(reviews.length > 200);
    const quality = new Map(sim.catalogue.map((i) => [i.id, i.quality]));
    let good = 0;
    let goodSum = 0;
    let bad = 0;
    let badSum = 0;
    for (const r of reviews) {
      const known = ratings.get(r.reviewText as string);
      assert.ok(known, 'text from the corpus');
      assert.ok(known.has(r.reviewRating) || known.has((r.reviewRating as number) >= 4), `rating ${r.reviewRating} fits the corpus's`);
      const q = quality.get(r.itemId as string) as number;
      if (q > 0.8) {
        good++;
        goodSum += r.reviewRating as number;
      } else if (q < 0.55) {
        bad++;
        badSum += r.reviewRating as number;
      }
    }
    assert.ok(good > 0 && bad > 0);
    assert.ok(goodSum / good > badSum / bad + 0.5, `mean rating good ${goodSum / good} vs poor ${badSum / bad}`);
  });

  void test('searches carry query text; popularity is skewed; prices positive', () => {
    const sim = new Simulator({ seed: 5 });
    const events = sim.take(50_000);
    const queries = events.filter((e) => e.type === 'search').map((e) => e.searchQuery as string);
    assert.ok(queries.length > 1000);
    assert.ok(new Set(queries).size > 100);
    const views = new Map<string, number>();
    for (const e of events) if (e.type === 'product_view') views.set(e.itemId as string, (views.get(e.itemId as string) ?? 0) + 1);
    const counts = [...views.values()].sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top = counts.slice(0, Math.ceil(sim.catalogue.length * 0.05)).reduce((a, b) => a + b, 0);
    assert.ok(top / total > 0.3, `top 5 % of items get ${top / total} of views`);
    assert.ok(sim.catalogue.every((i) => i.price > 0));
    assert.equal(new Set(sim.catalogue.map((i) => i.id)).size, sim.catalogue.length);
  });

  void test('events arrive at the chosen rate of event time', () => {
    const sim = new Simulator({ seed: 9, rate: 250, startTime: 0 });
    const events = sim.take(25_000);
    const seconds = ((events.at(-1)?.eventTime as number) - 0) / 1000;
    const rate = events.length / seconds;
    assert.ok(Math.abs(rate - 250) / 250 < 0.05, `rate ${rate}`);
  });

  void test('a large run stays valid: 200k events, unique ids, non-decreasing event time', () => {
    // Its speed is a benchmark figure (`clickwise bench clients`), not an assertion here.
    const events = new Simulator({ seed: 3, rate: 10_000, reviews: corpus }).take(200_000);
    assert.equal(events.length, 200_000);
    assert.equal(new Set(events.map((e) => e.eventId)).size, events.length);
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.eventTime >= events[i - 1]!.eventTime, `event ${i} goes back in time`);
  });
});

void describe('rng', () => {
  void test('sfc32 is deterministic and roughly uniform', () => {
    const a = new Rng(1);
    const b = new Rng(1);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = a.float();
      assert.equal(x, b.float());
      const k = Math.floor(x * 10);
      buckets[k] = (buckets[k] ?? 0) + 1;
    }
    for (const n of buckets) assert.ok(Math.abs(n - 10_000) < 500);
  });

  void test('Zipf sampler follows 1/rank^s', () => {
    const rng = new Rng('z');
    const zipf = new ZipfSampler(100, 1);
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 200_000; i++) {
      const k = zipf.sample(rng);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const ratio = (counts[0] as number) / (counts[1] as number);
    assert.ok(ratio > 1.8 && ratio < 2.2, `rank 1 / rank 2 = ${ratio}`);
  });
});
