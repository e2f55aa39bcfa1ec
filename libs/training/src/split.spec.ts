import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS } from '@clickwise/features';
import { fitPlatt } from './calibration.js';
import { mulberry32 } from '@clickwise/evaluation';
import { expectedCalibrationError as ece, rocAuc } from '@clickwise/evaluation';
import { boundsFor, logGaps, splitBounds, SplitError, SPLIT_GAP_MS, timeSplit } from './split.js';
import type { TrainingSet } from './training-set.js';

const HOUR = 3_600_000;

/** A training set of one example every `everyMs` over [fromMs, toMs), except inside `holes`; every 10th a positive, each its own session. */
function setOver(fromMs: number, toMs: number, everyMs: number, holes: [number, number][] = []): TrainingSet {
  const times: number[] = [];
  for (let t = fromMs; t < toMs; t += everyMs) if (!holes.some(([a, b]) => t > a && t < b)) times.push(t);
  const n = times.length;
  return {
    columns: ['x'],
    columnSpecs: [{ name: 'x', source: { kind: 'feature', entity: 'shopper', index: 0 }, absent: false }],
    rows: new Float32Array(n),
    labels: Uint8Array.from(times, (_, i) => (i % 10 === 0 ? 1 : 0)),
    groupKeys: times.map((_, i) => `s${i}`),
    timesMs: Float64Array.from(times),
    eventIds: times.map((_, i) => `e${i}`),
    eventTypes: new Uint8Array(n),
    featureDefinitionsVersion: 'v',
    capabilities: { price: true, category: true },
    stats: { events: n, examples: n, positives: Math.ceil(n / 10), sessions: n, purchases: 0, erasedEvents: 0, noSession: 0, openExamples: 0, firstTimeMs: times[0]!, lastTimeMs: times.at(-1)! },
  };
}

void describe('time split rule', () => {
  void it('a week or more: test the last 2 days, validation the day before, the rest training', () => {
    const first = Date.UTC(2015, 8, 11);
    const last = first + 7 * DAY_MS + 16 * 60_000;
    assert.deepEqual(splitBounds(first, last), { testFromMs: last - 2 * DAY_MS, validationFromMs: last - 3 * DAY_MS, rule: 'fixed', gapMs: 0 });
    const long = splitBounds(first, first + 30 * DAY_MS);
    assert.equal(long.testFromMs, first + 28 * DAY_MS);
  });

  void it('shorter: the same shape in proportion (4/7, 1/7, 2/7); under 7 h refused with the reason', () => {
    const b = splitBounds(0, 7 * 3_600_000 * 10);
    assert.equal(b.rule, 'proportional');
    assert.equal(b.validationFromMs, 40 * 3_600_000);
    assert.equal(b.testFromMs, 50 * 3_600_000);
    assert.throws(() => splitBounds(0, 3_600_000), SplitError);
    assert.throws(() => splitBounds(0, 3_600_000), /span 1.0 h; a time split needs at least 7 h/);
  });
});

void describe('time split: gaps in the log', () => {
  const first = Date.UTC(2015, 8, 11);

  void it('a log without gaps over 12 h gets exactly the plain rule (the RetailRocket week: its longest quiet stretch is 49 min)', () => {
    const set = setOver(first, first + 7 * DAY_MS + HOUR, 20 * 60_000, [[first + DAY_MS, first + DAY_MS + 11 * HOUR]]);
    assert.deepEqual(boundsFor(set), splitBounds(set.stats.firstTimeMs, set.stats.lastTimeMs));
  });

  void it('a dead stretch before the last days is left out: validation is the last day with events before it, not an empty day', () => {
    // 10 days of events with nothing on days 6.5 to 8 (an outage), then 2 days.
    const last = first + 10 * DAY_MS;
    const hole: [number, number] = [first + 6.5 * DAY_MS, first + 8 * DAY_MS];
    const set = setOver(first, last + 1, HOUR, [hole]);
    assert.equal(logGaps(set.timesMs).length, 1);
    // The plain rule's validation day (day 7 to 8) is inside the hole: that split would fail.
    const plain = splitBounds(set.stats.firstTimeMs, set.stats.lastTimeMs);
    assert.throws(() => timeSplit(set, plain), /the validation part \(0 examples/);
    const b = boundsFor(set);
    assert.equal(b.rule, 'fixed');
    assert.equal(b.testFromMs, last - 2 * DAY_MS, 'the last 2 days have events: test as before');
    // One day of active time before the test part: from 6.5 days, walking back over the 1.5-day hole.
    assert.equal(b.validationFromMs, hole[0] - (DAY_MS - (b.testFromMs - hole[1])));
    assert.ok(b.gapMs! > 1.4 * DAY_MS);
    const split = timeSplit(set);
    assert.ok(split.validation.stats.examples >= 23 && split.validation.stats.examples <= 25, `${split.validation.stats.examples} validation examples (a day of hourly ones)`);
    assert.equal(split.test.stats.examples, 49);
    assert.equal(split.train.stats.examples + split.validation.stats.examples + split.test.stats.examples, set.labels.length);
  });

  void it('gaps count against the span: 2 days of events around a week-long hole are split in proportion, not as a week', () => {
    const hole: [number, number] = [first + DAY_MS, first + 8 * DAY_MS];
    const set = setOver(first, first + 9 * DAY_MS, 10 * 60_000, [hole]);
    const b = boundsFor(set);
    assert.equal(b.rule, 'proportional', 'about 2 days of active time');
    const split = timeSplit(set);
    const n = set.labels.length;
    // 4/7, 1/7, 2/7 of the examples (they are evenly spaced in active time).
    assert.ok(Math.abs(split.test.stats.examples / n - 2 / 7) < 0.01, `test share ${split.test.stats.examples / n}`);
    assert.ok(Math.abs(split.validation.stats.examples / n - 1 / 7) < 0.01, `validation share ${split.validation.stats.examples / n}`);
    assert.ok(b.validationFromMs < hole[0] || b.validationFromMs >= hole[1], 'a bound never falls inside the hole');
  });

  void it('short of 7 h once the gaps are left out, it is refused naming the gaps', () => {
    const set = setOver(first, first + 3 * DAY_MS, 10 * 60_000, [[first + 3 * HOUR, first + 3 * DAY_MS - 3 * HOUR]]);
    assert.throws(() => boundsFor(set), /span \d+\.\d h \(not counting \d+\.\d h of gaps over 12 h without an event\); a time split needs at least 7 h/);
    assert.equal(SPLIT_GAP_MS, 12 * HOUR);
  });
});

void describe('calibration', () => {
  void it('Platt scaling fixes over-confident scores (ECE goes down) and keeps the order', () => {
    const rand = mulberry32(5);
    const z: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = rand() * 6 - 5;
      z.push(3 * t + 4); // logits three times too sharp, shifted
      y.push(rand() < 1 / (1 + Math.exp(-t)) ? 1 : 0);
    }
    const raw = z.map((v) => 1 / (1 + Math.exp(-v)));
    const c = fitPlatt(z, y);
    const calibrated = z.map((v) => 1 / (1 + Math.exp(-(c.a * v + c.b))));
    assert.ok(Math.abs(c.a - 1 / 3) < 0.05, `a ${c.a}`);
    assert.ok(ece(calibrated, y) < 0.02 && ece(raw, y) > 0.1, `ECE ${ece(raw, y)} → ${ece(calibrated, y)}`);
    assert.equal(rocAuc(calibrated, y), rocAuc(raw, y));
  });
});
