import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { retailRocketMapping, type ColumnMapping } from '@clickwise/clickstream-files';
import { EventType } from '@clickwise/contracts';
import { ErasureList, OfflineExecutor, type ApplyResult, type FeatureEngine, type FeatureEvent } from '@clickwise/features';
import { arraySource, fileSource, TrainingSourceError, type SourceEvent } from './events.js';
import { verifyPointInTime } from './leakage.js';
import { buildFromEvents, buildTrainingSet, collect, type VectorExecutor } from './training-set.js';

const RETAILROCKET = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', 'retailrocket-week', 'events.tsv');
const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 10);

let seq = 0;
function ev(shopper: string, session: string, type: EventType, minute: number, item = 'i1', extra: Partial<FeatureEvent> = {}): SourceEvent {
  seq++;
  return {
    event: { eventId: `e${seq}`, type, shopperKey: shopper, sessionId: session, itemId: item, itemIds: [], categoryId: 'c1', price: 10, quantity: undefined, searchQuery: '', reviewRating: undefined, timeMs: T0 + minute * MIN, ...extra },
    partition: 0,
    seq,
  };
}
const V = EventType.PRODUCT_VIEW;
const C = EventType.ADD_TO_CART;
const P = EventType.PURCHASE;

/** The first `n` RetailRocket events, as the file source gives them. */
function retailRocketSlice(n: number) {
  return fileSource(readFileSync(RETAILROCKET, 'utf8'), { file: RETAILROCKET, mapping: retailRocketMapping, delimiter: '\t', limit: n });
}

void describe('training set: examples and labels', () => {
  void it('one example per non-purchase event; label 1 iff the session purchases strictly later (same time: log order)', async () => {
    const events = [
      ev('a', 's1', V, 0),
      ev('a', 's1', C, 1),
      ev('a', 's1', P, 2),
      ev('a', 's1', V, 3), // after the last purchase: 0
      ev('b', 's2', V, 0),
      ev('b', 's2', V, 5), // same time as the purchase but before it in the log: 1
      ev('b', 's2', P, 5),
      ev('b', 's2', V, 5), // same time, after it in the log: 0
      ev('c', 's3', V, 1), // another session of nobody who buys: 0
      ev('b', 's4', V, 9), // b's next session does not buy: 0
      ev('z', 's9', V, 60), // the log's last event: its session may go on, so no label yet
    ];
    const set = await buildTrainingSet(arraySource('t', events));
    const label = Object.fromEntries(set.eventIds.map((id, i) => [id, set.labels[i]]));
    const id = (k: number) => events[k]!.event.eventId;
    assert.deepEqual(
      [0, 1, 3, 4, 5, 7, 8, 9].map((k) => label[id(k)]),
      [1, 1, 0, 1, 1, 0, 0, 0],
    );
    assert.equal(label[id(2)], undefined, 'purchases give no example');
    assert.equal(set.stats.examples, 8);
    assert.equal(label[id(10)], undefined, 'an open session at the log end gives no example');
    assert.equal(set.stats.openExamples, 1);
    assert.equal(set.stats.purchases, 2);
    assert.equal(set.rows.length, 8 * set.columns.length);
    assert.equal(set.groupKeys[set.eventIds.indexOf(id(0))], set.groupKeys[set.eventIds.indexOf(id(1))], 'one group per session');
  });

  void it('skips erased shoppers: no example, and their events feed no shopper features of anyone', async () => {
    const events = [ev('gone', 's1', V, 0), ev('gone', 's1', P, 1), ev('kept', 's2', V, 2)];
    const erasures = new ErasureList();
    erasures.add('gone', T0 + 60 * MIN);
    const set = await buildTrainingSet(arraySource('t', events), { erasures, openSessionMs: 0 });
    assert.deepEqual(set.eventIds, [events[2]!.event.eventId]);
    assert.equal(set.stats.erasedEvents, 2);
    // Item features are anonymous aggregates and keep the erased shopper's view (ADR 0034).
    assert.equal(set.rows[set.columns.indexOf('item_views_1h')], 2);
  });

  void it('reads the same order whatever order the source yields (time, shopper, log order)', async () => {
    const events = [ev('a', 's1', V, 0, 'x'), ev('b', 's2', V, 0, 'x'), ev('a', 's1', C, 1, 'x'), ev('b', 's2', P, 2, 'x')];
    const a = await buildTrainingSet(arraySource('t', events), { openSessionMs: 0 });
    const shuffled = [events[3]!, events[1]!, events[2]!, events[0]!].map((e, i) => ({ ...e, partition: i % 2 }));
    const b = await buildTrainingSet(arraySource('t', shuffled), { openSessionMs: 0 });
    assert.equal(a.stats.examples, 3);
    assert.deepEqual(b.eventIds, a.eventIds);
    assert.deepEqual([...b.rows], [...a.rows]);
  });
});

void describe('training set: clicks whose session may still go on at the log end', () => {
  void it('a click with a purchase after it is labelled 1 at once; without one, only once its session is over (30 min of log after its last event)', async () => {
    const events = [
      ev('a', 's1', V, 0), // session over (the log runs 100 min past it): 0
      ev('b', 's2', V, 70),
      ev('b', 's2', P, 71), // b's view before it: 1, known even though the session is recent
      ev('c', 's3', V, 50), // c's session ends at 75: 25 min before the log's end, still open
      ev('c', 's3', V, 75),
      ev('d', 's4', V, 69), // 31 min before the end: over, 0
      ev('e', 's5', V, 100),
    ];
    const set = await buildTrainingSet(arraySource('t', events));
    const label = Object.fromEntries(set.eventIds.map((id, i) => [id, set.labels[i]]));
    const id = (k: number) => events[k]!.event.eventId;
    assert.deepEqual(label, { [id(0)]: 0, [id(1)]: 1, [id(5)]: 0 });
    assert.equal(set.stats.openExamples, 3, "c's two views and e's");
    // The rule is a parameter: 10 min → c's session (25 min quiet) is over, e's is not.
    const shorter = await buildTrainingSet(arraySource('t', events), { openSessionMs: 10 * MIN });
    assert.equal(shorter.stats.examples, 5);
    assert.equal(shorter.stats.openExamples, 1);
    assert.equal(shorter.labels[shorter.eventIds.indexOf(id(3))], 0);
  });

  void it('on the RetailRocket week: every non-purchase click is an example or counted as open, none dropped silently', async () => {
    const events = await collect(fileSource(readFileSync(RETAILROCKET, 'utf8'), { file: RETAILROCKET, mapping: retailRocketMapping, delimiter: '\t' }));
    const set = buildFromEvents(events, { price: false, category: true });
    assert.equal(set.stats.examples + set.stats.openExamples, 38_131);
    assert.ok(set.stats.openExamples > 0 && set.stats.openExamples < 300, `${set.stats.openExamples} open`);
    // Treating every session as over (openSessionMs 0) gives the open clicks back, labelled 0, the rest unchanged.
    const closed = buildFromEvents(events, { price: false, category: true }, { openSessionMs: 0 });
    assert.equal(closed.stats.examples, 38_131);
    assert.equal(closed.stats.openExamples, 0);
    const kept = new Set(set.eventIds);
    const back = closed.eventIds.flatMap((id, i) => (kept.has(id) ? [] : [closed.labels[i]!]));
    assert.equal(back.length, set.stats.openExamples);
    assert.ok(back.every((y) => y === 0), 'only clicks with no purchase after them are open');
    assert.equal(closed.stats.positives, set.stats.positives);
  });
});

/**
 * An executor that peeks ahead: before it returns the vector of e it applies the next `ahead`
 * events of the log (and skips them when they come) — features that can see events after e.
 */
function peekingExecutor(ahead: number) {
  return (engine: FeatureEngine, erasures: ErasureList, events: readonly SourceEvent[]): VectorExecutor => {
    const inner = new OfflineExecutor(engine, { erasures });
    const position = new Map(events.map((e, i) => [e.event.eventId, i] as const));
    let appliedThrough = -1;
    return {
      apply(e, partition, options): ApplyResult {
        const i = position.get(e.eventId)!;
        // Already applied while peeking: no example of its own.
        if (i <= appliedThrough) return { status: 'too_late', reason: 'applied while peeking' };
        inner.apply(e, partition);
        for (let k = i + 1; k <= Math.min(events.length - 1, i + ahead); k++) inner.apply(events[k]!.event, events[k]!.partition);
        appliedThrough = Math.min(events.length - 1, i + ahead);
        // The vector of e, taken after the events that follow it (re-reading e's entities).
        return inner.apply({ ...e, eventId: `${e.eventId}-peek`, type: EventType.PAGE_VIEW }, partition, options);
      },
    };
  };
}

void describe('leakage: no feature sees the label event or anything after e', () => {
  const source = retailRocketSlice(3000);

  void it('the real pipeline: every sampled example equals its vector recomputed from the events up to e', async () => {
    const events = await collect(source);
    const set = buildFromEvents(events, source.capabilities);
    assert.ok(set.stats.positives > 20, `${set.stats.positives} positives in the slice`);
    const report = verifyPointInTime(set, events, { sample: 60 });
    assert.ok(report.checked >= 60, `checked ${report.checked}`);
    assert.deepEqual(report.mismatches, []);
  });

  void it('a leaking executor that peeks one event ahead is caught', async () => {
    const events = await collect(source);
    const set = buildFromEvents(events, source.capabilities, { executor: peekingExecutor(1) });
    const report = verifyPointInTime(set, events, { sample: 60 });
    assert.ok(report.mismatches.length > 0, 'the check must fail on a leaking executor');
    // The purchase that makes a label 1 shows up in the leaking features of the example before it.
    assert.ok(report.mismatches.some((m) => /purchase/.test(m.column)), JSON.stringify(report.mismatches.slice(0, 5)));
  });

  void it('a deliberately leaking feature (the label itself as a column) is caught', async () => {
    const events = await collect(source);
    const set = buildFromEvents(events, source.capabilities);
    const leaky = { ...set, rows: set.rows.slice() };
    const j = set.columns.indexOf('session_purchases_24h');
    const d = set.columns.length;
    for (let i = 0; i < set.labels.length; i++) leaky.rows[i * d + j] = set.labels[i]!;
    const report = verifyPointInTime(leaky, events, { sample: 60 });
    assert.ok(report.mismatches.some((m) => m.column === 'session_purchases_24h'), 'the label-as-feature column differs from the point-in-time one');
  });
});

void describe('a file without session, category or price columns', () => {
  const header = 'ts\tvisitor\tevent\titem';
  const rows = [
    // visitor 1: a session that buys, then 2 h of quiet, then a session that does not
    [0, '1', 'view', 'a'],
    [60, '1', 'addtocart', 'a'],
    [120, '1', 'transaction', 'a'],
    [7320, '1', 'view', 'b'],
    [7380, '1', 'view', 'c'],
    // visitor 2: 25 min gaps stay one session (30 min default), buys at the end
    [0, '2', 'view', 'a'],
    [1500, '2', 'view', 'b'],
    [3000, '2', 'transaction', 'b'],
    // visitor 3: the log's last event, 40 min after visitor 1's last: an open session (no label yet)
    [9780, '3', 'view', 'd'],
  ];
  const text = [header, ...rows.map((r) => r.join('\t'))].join('\n');
  const mapping: ColumnMapping = { time: 'ts', timeUnit: 's', session: '', type: 'event', user: 'visitor', item: 'item', typeMap: retailRocketMapping.typeMap };

  void it('sessionises by inactivity, labels per inferred session, and leaves category and price features absent (NaN), not 0', async () => {
    const source = fileSource(text, { file: 'no-session.tsv', mapping, delimiter: '\t' });
    assert.deepEqual(source.capabilities, { price: false, category: false });
    const set = await buildTrainingSet(source);
    assert.equal(set.stats.examples, 6);
    assert.equal(set.stats.openExamples, 1, "visitor 3's view");
    const byTime = set.eventIds.map((_, i) => ({ t: set.timesMs[i]!, g: set.groupKeys[i]!, y: set.labels[i]! }));
    const sessionsOf1 = new Set(byTime.filter((x) => x.g.startsWith('1')).map((x) => x.g));
    assert.equal(sessionsOf1.size, 2, 'visitor 1 has two sessions (a 2 h gap)');
    assert.equal(new Set(byTime.filter((x) => x.g.startsWith('2')).map((x) => x.g)).size, 1, 'visitor 2 has one (25 min gaps)');
    const label = (t: number, who: string) => byTime.find((x) => x.t === t * 1000 && x.g.startsWith(who))!.y;
    assert.deepEqual([label(0, '1'), label(60, '1'), label(7320, '1'), label(7380, '1'), label(0, '2'), label(1500, '2')], [1, 1, 0, 0, 1, 1]);
    const d = set.columns.length;
    for (const name of ['category_views_1h', 'session_distinct_categories_viewed_24h', 'shopper_viewed_price_mean_7d', 'session_cart_value_24h', 'item_mean_price_7d']) {
      const j = set.columns.indexOf(name);
      assert.ok(j >= 0, name);
      for (let i = 0; i < set.stats.examples; i++) assert.ok(Number.isNaN(set.rows[i * d + j]), `${name} is absent`);
    }
    for (const name of ['session_product_views_24h', 'item_views_1h', 'shopper_add_to_cart_count_1h']) {
      const j = set.columns.indexOf(name);
      assert.ok(Number.isFinite(set.rows[j]), `${name} is present`);
    }
  });

  void it('a shorter gap flag cuts more sessions', async () => {
    const set = await buildTrainingSet(fileSource(text, { file: 'no-session.tsv', mapping, delimiter: '\t', sessionGapMs: 20 * MIN }));
    assert.equal(new Set(set.groupKeys.filter((g) => g.startsWith('2'))).size, 2, '25 min gaps cut visitor 2 at 20 min');
  });

  void it('without a user column either it says what is missing', () => {
    assert.throws(() => fileSource(text, { file: 'x.tsv', mapping: { ...mapping, user: undefined }, delimiter: '\t' }), TrainingSourceError);
    assert.throws(() => fileSource(text, { file: 'x.tsv', mapping: { ...mapping, user: undefined }, delimiter: '\t' }), /needs a user column/);
  });
});
