import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { retailRocketMapping, type SourceRow } from './mapping.js';
import { baseName, ExportReader, replayEventId, ReplayClock, sortByTime, toHttpEvent } from './replay.js';

const RETAILROCKET = new URL('../../../../shared/data/retailrocket-week/events.tsv', import.meta.url);

function row(r: number, timeMs: number): SourceRow {
  return { row: r, timeMs, type: 'product_view', sessionId: 's', itemId: 'i' };
}

void describe('replay plan', () => {
  void test('ids are deterministic per file name + row + run id, and shaped for the API', () => {
    const a = replayEventId('events.tsv', 1);
    assert.equal(a, replayEventId('events.tsv', 1));
    assert.notEqual(a, replayEventId('events.tsv', 2));
    assert.notEqual(a, replayEventId('other.tsv', 1));
    assert.notEqual(a, replayEventId('events.tsv', 1, 'run-2'));
    assert.match(a, /^rp-[0-9a-f]{32}$/);
    assert.equal(baseName('/x/y/events.tsv'), 'events.tsv');
  });

  void test('sort is by time, then row number', () => {
    const rows = sortByTime([row(1, 30), row(2, 10), row(3, 20), row(4, 10)]);
    assert.deepEqual(
      rows.map((r) => r.row),
      [2, 4, 3, 1],
    );
  });

  void test('shift: the last event lands on now, gaps kept, no pacing', () => {
    const rows = [row(1, 1000), row(2, 5000), row(3, 9000)];
    const clock = new ReplayClock(rows, { mode: 'shift', now: 100_000 });
    assert.deepEqual(
      rows.map((r) => clock.eventTime(r)),
      [92_000, 96_000, 100_000],
    );
    assert.equal(clock.dueAt(rows[2] as SourceRow), 0);
    assert.equal(clock.paced, false);
  });

  void test('keep: original times', () => {
    const rows = [row(1, 1000), row(2, 9000)];
    const clock = new ReplayClock(rows, { mode: 'keep', now: 100_000 });
    assert.deepEqual(
      rows.map((r) => clock.eventTime(r)),
      [1000, 9000],
    );
  });

  void test('speed N: due at start + offset / N, stamped with the due time (or the original with keep)', () => {
    const rows = [row(1, 1000), row(2, 11_000), row(3, 21_000)];
    const live = new ReplayClock(rows, { mode: 'shift', speed: 10, now: 500_000 });
    assert.deepEqual(
      rows.map((r) => [live.dueAt(r), live.eventTime(r)]),
      [
        [500_000, 500_000],
        [501_000, 501_000],
        [502_000, 502_000],
      ],
    );
    const kept = new ReplayClock(rows, { mode: 'keep', speed: 10, now: 500_000 });
    assert.deepEqual(
      rows.map((r) => [kept.dueAt(r), kept.eventTime(r)]),
      [
        [500_000, 1000],
        [501_000, 11_000],
        [502_000, 21_000],
      ],
    );
    assert.throws(() => new ReplayClock(rows, { mode: 'shift', speed: 0, now: 0 }), /positive/);
  });

  void test('toHttpEvent', () => {
    assert.deepEqual(toHttpEvent({ row: 1, timeMs: 1, type: 'purchase', sessionId: '7', userId: '3', itemId: '9', categoryId: '2', price: 4 }, 'rp-x', 55), {
      eventId: 'rp-x',
      type: 'purchase',
      sessionId: '7',
      eventTime: 55,
      source: 'replay',
      userId: '3',
      itemId: '9',
      categoryId: '2',
      price: 4,
    });
    assert.equal(toHttpEvent({ row: 1, timeMs: 1, type: 'page_view', sessionId: '7' }, 'x', 1).anonymousId, 'session-7');
  });

  void test('the RetailRocket week: 38,741 events in time order, by type as documented', () => {
    const reader = new ExportReader({ delimiter: '\t', mapping: retailRocketMapping });
    const text = readFileSync(RETAILROCKET, 'utf8');
    for (let i = 0; i < text.length; i += 65_536) reader.push(text.slice(i, i + 65_536));
    const { rows, skipped, dataRows } = reader.finish();
    assert.equal(dataRows, 38_741);
    assert.deepEqual(skipped, {});
    assert.equal(rows.length, 38_741);
    const byType: Record<string, number> = {};
    for (const r of rows) byType[r.type] = (byType[r.type] ?? 0) + 1;
    assert.deepEqual(byType, { product_view: 36_003, add_to_cart: 2_128, purchase: 610 });
    for (let i = 1; i < rows.length; i++) assert.ok((rows[i - 1] as SourceRow).timeMs <= (rows[i] as SourceRow).timeMs);
    assert.equal(new Date((rows[0] as SourceRow).timeMs).toISOString().slice(0, 16), '2015-09-11T02:42');
    assert.equal(new Date((rows.at(-1) as SourceRow).timeMs).toISOString().slice(0, 16), '2015-09-18T02:58');
    assert.equal(new Set(rows.map((r) => r.row)).size, 38_741);
    const ids = new Set(rows.map((r) => replayEventId('events.tsv', r.row)));
    assert.equal(ids.size, 38_741);
  });
});
