import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MemoryRecsStore } from './memory.store.js';
import { Recommender } from './recommender.js';
import { retailRocketWeek } from './testing/retailrocket.js';
import { DEFAULT_RECS_CONFIG, type CatalogView, type RecsEvent } from './types.js';

const DAY = 86_400_000;

void describe('Recommender on the RetailRocket week (in-memory store)', () => {
  let events: RecsEvent[];
  let recs: Recommender;
  let category: Map<string, string>;
  before(async () => {
    events = retailRocketWeek();
    recs = new Recommender(new MemoryRecsStore());
    for (let i = 0; i < events.length; i += 1000) await recs.ingest(events.slice(i, i + 1000));
    category = new Map(events.map((e) => [e.itemId, e.categoryId!]));
  });

  void it('cold start: an unknown shopper gets the popular items now, with that reason', async () => {
    const answer = await recs.recommend({ shopperKey: 'never-seen', k: 10 });
    assert.equal(answer.items.length, 10);
    for (const item of answer.items) assert.equal(item.reasons[0]!.kind, 'popular');
    assert.equal(answer.items[0]!.reasons[0]!.text, 'popular now');
    const scores = answer.items.map((i) => i.score);
    assert.deepStrictEqual(scores, [...scores].sort((a, b) => b - a));
  });

  void it('cold start: an unknown item gets popular items, never itself', async () => {
    const answer = await recs.similar('no-such-item', 5);
    assert.equal(answer.items.length, 5);
    assert.ok(answer.items.every((i) => i.itemId !== 'no-such-item' && i.reasons[0]!.kind === 'popular'));
  });

  void it('similar items of a viewed item: "viewed together with <item>" first, never the item itself', async () => {
    const views = new Map<string, number>();
    for (const e of events) views.set(e.itemId, (views.get(e.itemId) ?? 0) + 1);
    const item = [...views].sort((a, b) => b[1] - a[1])[0]![0];
    const answer = await recs.similar(item, 10);
    assert.equal(answer.items.length, 10);
    assert.ok(answer.items.every((i) => i.itemId !== item));
    const top = answer.items[0]!;
    assert.ok(top.reasons.some((r) => r.kind === 'co-visited' && r.itemId === item && r.text === `viewed together with ${item}`), JSON.stringify(top));
  });

  void it('category restriction keeps only items of the category; "popular in <category> now" explains the fill', async () => {
    // A session of 3+ views whose last item's category has many items.
    const size = new Map<string, number>();
    for (const c of category.values()) size.set(c, (size.get(c) ?? 0) + 1);
    const bySession = Map.groupBy(events, (e) => e.sessionId);
    const [sessionId, sessionEvents] = [...bySession].find(([, es]) => es.length >= 3 && (size.get(es.at(-1)!.categoryId!) ?? 0) > 200)!;
    const cat = sessionEvents.at(-1)!.categoryId!;
    const answer = await recs.recommend({ sessionId, k: 30, filters: { categories: [cat] } });
    assert.equal(answer.items.length, 30);
    for (const item of answer.items) assert.equal(category.get(item.itemId), cat, item.itemId);
    const reason = answer.items.flatMap((i) => i.reasons).find((r) => r.kind === 'popular-category');
    assert.deepStrictEqual(reason, { kind: 'popular-category', text: `popular in ${cat} now`, categoryId: cat });
    const unrestricted = await recs.recommend({ sessionId, k: 30 });
    assert.ok(unrestricted.items.some((i) => category.get(i.itemId) !== cat), 'without the filter other categories come too');
  });

  void it('already bought items are left out by default; excludeBought: false lets them back', async () => {
    const purchase = events.findLast((e) => e.kind === 'purchase')!;
    const bought = new Set(events.filter((e) => e.kind === 'purchase' && e.shopperKey === purchase.shopperKey).map((e) => e.itemId));
    const filtered = await recs.recommend({ shopperKey: purchase.shopperKey, k: 50 });
    assert.ok(filtered.items.length > 0);
    assert.ok(filtered.items.every((i) => !bought.has(i.itemId)));
    const unfiltered = await recs.recommend({ shopperKey: purchase.shopperKey, k: 50, filters: { excludeBought: false } });
    assert.ok(unfiltered.items.some((i) => bought.has(i.itemId)), 'the bought item is a candidate of its own session');
  });

  void it('explicit exclusions and the session\'s own items (excludeSeen) are left out', async () => {
    const last = events.at(-1)!;
    const first = await recs.recommend({ sessionId: last.sessionId, k: 10 });
    const excluded = first.items.slice(0, 3).map((i) => i.itemId);
    const second = await recs.recommend({ sessionId: last.sessionId, k: 10, filters: { exclude: excluded } });
    assert.ok(second.items.every((i) => !excluded.includes(i.itemId)));
    assert.equal(second.items[0]!.itemId, first.items[3]!.itemId);
    const seen = new Set(events.filter((e) => e.sessionId === last.sessionId).map((e) => e.itemId));
    const unseen = await recs.recommend({ sessionId: last.sessionId, k: 10, filters: { excludeSeen: true } });
    assert.ok(unseen.items.every((i) => !seen.has(i.itemId)));
  });

  void it('catalogue availability: an unavailable item is never returned, an item the catalogue never heard of is', async () => {
    const base = await recs.recommend({ shopperKey: 'never-seen', k: 10 });
    const gone = base.items[0]!.itemId;
    const catalog: CatalogView = {
      get: (id) => (id === gone ? { itemId: id, available: false } : undefined),
      isAvailable: (id) => id !== gone,
      categoryOf: () => undefined,
    };
    const withCatalog = new Recommender(recs.store, { catalog });
    const answer = await withCatalog.recommend({ shopperKey: 'never-seen', k: 10 });
    assert.ok(!answer.items.some((i) => i.itemId === gone));
    assert.deepStrictEqual(answer.items.map((i) => i.itemId), base.items.slice(1).map((i) => i.itemId).concat(answer.items.at(-1)!.itemId));
  });

  void it('a click shows in its session\'s next recommendations as soon as it is ingested', async () => {
    const store = new MemoryRecsStore();
    const r = new Recommender(store);
    await r.ingest(events.slice(0, 30_000));
    const next = events[30_000]!;
    const before = await r.recommend({ sessionId: 'fresh-session', shopperKey: 'fresh-shopper', k: 10 });
    await r.ingest({ ...next, sessionId: 'fresh-session', shopperKey: 'fresh-shopper' });
    const after = await r.recommend({ sessionId: 'fresh-session', k: 10 });
    assert.notDeepStrictEqual(after.items.map((i) => i.itemId), before.items.map((i) => i.itemId));
    assert.ok(after.items.some((i) => i.reasons.some((x) => x.kind === 'co-visited' && x.itemId === next.itemId) || i.reasons.some((x) => x.kind === 'session-neighbours')));
  });
});

void describe('time decay (event time)', () => {
  const view = (sessionId: string, itemId: string, timeMs: number, categoryId = 'c1'): RecsEvent => ({ shopperKey: `u-${sessionId}`, sessionId, itemId, kind: 'view', timeMs, categoryId });

  void it('popular now: 30 recent views beat 100 views six days earlier (half-life 2 days); raw counts would not', async () => {
    const r = new Recommender(new MemoryRecsStore());
    const evts: RecsEvent[] = [];
    for (let i = 0; i < 100; i++) evts.push(view(`old${i}`, 'A', i * 1000));
    for (let i = 0; i < 30; i++) evts.push(view(`new${i}`, 'B', 6 * DAY + i * 1000));
    await r.ingest(evts);
    const answer = await r.recommend({ k: 2 });
    assert.deepStrictEqual(answer.items.map((i) => i.itemId), ['B', 'A']);
    // 30·2^3 against 100 (the views within each burst are seconds apart: a relative 1e-4).
    assert.ok(Math.abs(answer.items[1]!.score / answer.items[0]!.score - 100 / 240) < 1e-3);
  });

  void it('co-visitation decays: X viewed with A 10 times a month ago, with B 3 times today → B first', async () => {
    const r = new Recommender(new MemoryRecsStore(), { config: { ...DEFAULT_RECS_CONFIG, rank: { ...DEFAULT_RECS_CONFIG.rank, weights: { sessions: 0, covisitation: 1, popular: 0, sequence: 0 } } } });
    const evts: RecsEvent[] = [];
    for (let i = 0; i < 10; i++) evts.push(view(`a${i}`, 'X', i * 1000), view(`a${i}`, 'A', i * 1000 + 10));
    for (let i = 0; i < 3; i++) evts.push(view(`b${i}`, 'X', 30 * DAY + i * 1000), view(`b${i}`, 'B', 30 * DAY + i * 1000 + 10));
    await r.ingest(evts);
    const answer = await r.similar('X', 2);
    assert.deepStrictEqual(answer.items.map((i) => i.itemId), ['B', 'A']);
    assert.equal(answer.items[0]!.reasons[0]!.text, 'viewed together with X');
  });

  void it('event time, not arrival: the same events in other batches and arrival order give the same answers', async () => {
    const events = retailRocketWeek().slice(0, 8000);
    const one = new Recommender(new MemoryRecsStore());
    await one.ingest(events);
    const two = new Recommender(new MemoryRecsStore());
    // Landmark from the first batch; later batches of 777.
    for (let i = 0; i < events.length; i += 777) await two.ingest(events.slice(i, i + 777));
    for (const e of events.slice(-20)) {
      assert.deepStrictEqual(await two.recommend({ sessionId: e.sessionId, k: 10 }), await one.recommend({ sessionId: e.sessionId, k: 10 }));
    }
  });
});
