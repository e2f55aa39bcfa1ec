import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { featureDefinitions, type Entity } from './definitions.js';
import { FeatureEngine, sameFeatureValue as sameValue, type FeatureValue, type SentimentScorer } from './engine.js';
import { itemKeysOf, type FeatureEvent } from './event.js';
import { naiveValue } from './testing/naive.js';
import { OfflineExecutor, sessionEntityKey } from './offline.js';
import { randomEvents, rng } from './testing/random-events.js';
import { DAY_MS } from './windows.js';


/** The naive side: the admitted events of each entity, kept as a plain list. */
class NaiveLog {
  readonly shoppers = new Map<string, FeatureEvent[]>();
  readonly sessions = new Map<string, FeatureEvent[]>();
  readonly items = new Map<string, FeatureEvent[]>();
  readonly categories = new Map<string, FeatureEvent[]>();
  private readonly clocks = new Map<number, number>();

  constructor(
    private readonly latenessMs: number,
    private readonly sentiment?: SentimentScorer,
  ) {}

  /** Returns whether the event was admitted (not older than max seen − lateness). */
  add(e: FeatureEvent, partition: number): boolean {
    const clock = this.clocks.get(partition) ?? -Infinity;
    if (e.timeMs < clock - this.latenessMs) return false;
    this.clocks.set(partition, Math.max(clock, e.timeMs));
    push(this.shoppers, e.shopperKey, e);
    if (e.sessionId !== '') push(this.sessions, sessionEntityKey(e.shopperKey, e.sessionId), e);
    for (const item of itemKeysOf(e)) push(this.items, item, e);
    if (e.categoryId !== '') push(this.categories, e.categoryId, e);
    return true;
  }

  map(entity: Entity): Map<string, FeatureEvent[]> {
    return entity === 'shopper' ? this.shoppers : entity === 'session' ? this.sessions : entity === 'item' ? this.items : this.categories;
  }

  values(entity: Entity, key: string, refMs: number): FeatureValue[] {
    const events = this.map(entity).get(key) ?? [];
    return featureDefinitions.filter((d) => d.entity === entity).map((d) => naiveValue(d, events, refMs, this.sentiment));
  }
}

function push(map: Map<string, FeatureEvent[]>, key: string, e: FeatureEvent): void {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  list.push(e);
}

function assertSameVector(entity: Entity, key: string, refMs: number, engine: FeatureValue[], naive: FeatureValue[], context: string): void {
  const names = featureDefinitions.filter((d) => d.entity === entity).map((d) => d.name);
  for (let i = 0; i < names.length; i++) {
    if (!sameValue(engine[i]!, naive[i]!)) {
      assert.fail(
        `${context}: ${entity} ${JSON.stringify(key)} ${names[i]} at ${refMs}: engine ${JSON.stringify(engine[i])} ≠ naive ${JSON.stringify(naive[i])}`,
      );
    }
  }
}

/** A plain fake sentiment model: a fixed score per word, averaged (any deterministic function of the text will do). */
const fakeSentiment: SentimentScorer = {
  version: 'fake-1',
  score: (text) => {
    const words = text.split(' ');
    return words.reduce((acc, w) => acc + ((w.length * 37) % 11) / 10, 0) / words.length;
  },
};

void describe('FeatureEngine against the naive reference on random streams', () => {
  const engine = new FeatureEngine();
  const scored = new FeatureEngine(undefined, { sentiment: fakeSentiment });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    void it(`seed ${seed} with a sentiment model: the same as the naive reference scoring the texts itself`, () => {
      const events = randomEvents({ seed, events: 600 });
      const offline = new OfflineExecutor(scored);
      const naive = new NaiveLog(scored.allowedLatenessMs, fakeSentiment);
      let sentimentSeen = 0;
      for (const e of events) {
        if (!naive.add(e, 0)) {
          assert.equal(offline.apply(e, 0).status, 'too_late');
          continue;
        }
        const v = offline.apply(e, 0, { vector: true }).vector!;
        if (e.itemId !== '') {
          assertSameVector('item', e.itemId, v.refMs, v.item, naive.values('item', e.itemId, v.refMs), `seed ${seed} after ${e.eventId}`);
          const at = scored.plans.item.features.findIndex((f) => f.definition.name === 'item_review_sentiment_mean_30d');
          if (typeof v.item[at] === 'number') sentimentSeen++;
        }
      }
      assert.ok(sentimentSeen > 0, 'some items have a sentiment mean');
    });

    void it(`seed ${seed}: every vector right after each event, and every entity at the end`, () => {
      const events = randomEvents({ seed, events: 600 });
      const offline = new OfflineExecutor(engine);
      const naive = new NaiveLog(engine.allowedLatenessMs);
      let tooLate = 0;
      for (const e of events) {
        const admitted = naive.add(e, 0);
        const result = offline.apply(e, 0, { vector: true });
        assert.equal(result.status === 'too_late', !admitted, `${e.eventId}: lateness decision`);
        if (!admitted) {
          tooLate++;
          continue;
        }
        const v = result.vector!;
        const ctx = `seed ${seed} after ${e.eventId}`;
        assertSameVector('shopper', e.shopperKey, v.refMs, v.shopper, naive.values('shopper', e.shopperKey, v.refMs), ctx);
        if (e.sessionId !== '') {
          const sk = sessionEntityKey(e.shopperKey, e.sessionId);
          assertSameVector('session', sk, v.refMs, v.session, naive.values('session', sk, v.refMs), ctx);
        }
        if (e.itemId !== '') assertSameVector('item', e.itemId, v.refMs, v.item, naive.values('item', e.itemId, v.refMs), ctx);
        if (e.categoryId !== '') {
          assertSameVector('category', e.categoryId, v.refMs, v.category, naive.values('category', e.categoryId, v.refMs), ctx);
        }
      }
      assert.ok(tooLate > 0, 'the stream has events beyond the lateness');
      // At the final stream time, and later (windows drain as time passes).
      const end = offline.streamTimeMs;
      const r = rng(seed);
      for (const refMs of [end, end + Math.floor(r() * 2 * DAY_MS), end + Math.floor(r() * 40 * DAY_MS)]) {
        for (const entity of ['shopper', 'session', 'item', 'category'] as const) {
          for (const key of naive.map(entity).keys()) {
            assertSameVector(entity, key, refMs, engine.evaluate(entity, offline.mapOf(entity).get(key), refMs), naive.values(entity, key, refMs), `seed ${seed} end`);
          }
        }
      }
    });
  }

  void it('partitions have their own clocks: a partition far ahead makes no event of another late', () => {
    const a = randomEvents({ seed: 11, events: 200, disorder: 0 });
    const b = randomEvents({ seed: 12, events: 200, disorder: 0, startMs: 1_800_000_000_000 });
    const offline = new OfflineExecutor(engine);
    const naive = new NaiveLog(engine.allowedLatenessMs);
    // Interleave: all of partition 1 (far in the future) first, then partition 0.
    for (const e of b) assert.equal(offline.apply({ ...e, shopperKey: `b-${e.shopperKey}` }, 1).status, naive.add({ ...e, shopperKey: `b-${e.shopperKey}` }, 1) ? 'applied' : 'too_late');
    for (const e of a) {
      assert.equal(offline.apply(e, 0).status, 'applied');
      naive.add(e, 0);
    }
    const end = offline.streamTimeMs;
    for (const entity of ['shopper', 'session', 'item', 'category'] as const) {
      for (const key of naive.map(entity).keys()) {
        assertSameVector(entity, key, end, engine.evaluate(entity, offline.mapOf(entity).get(key), end), naive.values(entity, key, end), 'two partitions');
      }
    }
  });

  void it('folding a stream in any order of partitions gives the same item and category state', () => {
    const events = randomEvents({ seed: 21, events: 500, disorder: 0 });
    const byPartition = [0, 1, 2].map((p) => events.filter((_, i) => i % 3 === p));
    const forward = new OfflineExecutor(engine);
    const backward = new OfflineExecutor(engine);
    for (let p = 0; p < 3; p++) for (const e of byPartition[p]!) forward.apply(e, p);
    for (let p = 2; p >= 0; p--) for (const e of byPartition[p]!) backward.apply(e, p);
    const end = Math.max(forward.streamTimeMs, backward.streamTimeMs);
    for (const entity of ['item', 'category'] as const) {
      for (const key of forward.mapOf(entity).keys()) {
        const x = engine.evaluate(entity, forward.mapOf(entity).get(key), end);
        const y = engine.evaluate(entity, backward.mapOf(entity).get(key), end);
        assertSameVector(entity, key, end, x, y, 'order');
      }
    }
  });
});
