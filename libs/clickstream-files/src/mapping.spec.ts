import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MappingError, parseTime, parseTypeMap, retailRocketMapping, RowMapper, type ColumnMapping } from './mapping.js';

const header = ['Time', 'UserId', 'Type', 'ItemId', 'SessionId', 'CatId'];

void describe('RowMapper', () => {
  void test('RetailRocket rows map to events', () => {
    const mapper = RowMapper.create(header, retailRocketMapping);
    assert.deepEqual(mapper.map(['1442004589', '0', 'view', '285930', '1', '1188'], 1), {
      ok: true,
      row: { row: 1, timeMs: 1442004589000, type: 'product_view', sessionId: '1', userId: '0', itemId: '285930', categoryId: '1188' },
    });
    const cases: [string, string][] = [
      ['view', 'product_view'],
      ['addtocart', 'add_to_cart'],
      ['transaction', 'purchase'],
    ];
    for (const [from, to] of cases) {
      const r = mapper.map(['1', '2', from, '3', '4', '5'], 9);
      assert.ok(r.ok && r.row.type === to);
    }
  });

  void test('bad rows are skipped with a reason', () => {
    const mapper = RowMapper.create(header, retailRocketMapping);
    assert.deepEqual(mapper.map(['x', '0', 'view', '1', '1', '1'], 1), { ok: false, reason: 'unreadable time (s)' });
    assert.deepEqual(mapper.map(['1', '0', 'click', '1', '1', '1'], 1), { ok: false, reason: 'unmapped type "click"' });
    assert.deepEqual(mapper.map(['1', '0', 'view', '1', '', '1'], 1), { ok: false, reason: 'no session id' });
  });

  void test('a custom mapping by name, event type names pass through, optional price', () => {
    const mapping: ColumnMapping = {
      time: 'ts',
      timeUnit: 'iso',
      session: 'sess',
      type: 'action',
      item: 'sku',
      price: 'amount',
      typeMap: parseTypeMap('pv=page_view, buy=purchase'),
    };
    const mapper = RowMapper.create(['sess', 'ts', 'action', 'sku', 'amount'], mapping);
    const a = mapper.map(['s1', '2026-01-02T03:04:05Z', 'buy', 'A', '19.5'], 1);
    assert.deepEqual(a, { ok: true, row: { row: 1, timeMs: Date.parse('2026-01-02T03:04:05Z'), type: 'purchase', sessionId: 's1', itemId: 'A', price: 19.5 } });
    const b = mapper.map(['s1', '2026-01-02T03:04:06Z', 'search', '', ''], 2);
    assert.ok(b.ok && b.row.type === 'search' && b.row.itemId === undefined && b.row.price === undefined);
    assert.deepEqual(mapper.map(['s1', '2026-01-02T03:04:06Z', 'buy', 'A', 'cheap'], 3), { ok: false, reason: 'unreadable price' });
  });

  void test('columns by 1-based position when there is no header', () => {
    const mapper = RowMapper.create(undefined, { time: '1', timeUnit: 'ms', session: '2', type: '3', typeMap: {} });
    assert.deepEqual(mapper.map(['1700000000123', 's', 'page_view'], 4), { ok: true, row: { row: 4, timeMs: 1700000000123, type: 'page_view', sessionId: 's' } });
  });

  void test('missing columns are all listed', () => {
    assert.throws(
      () => RowMapper.create(['a', 'b'], { time: 'when', timeUnit: 's', session: 'b', type: 'kind', typeMap: {}, item: 'sku' }),
      (e: unknown) => e instanceof MappingError && e.problems.length === 3,
    );
  });
});

void test('parseTime', () => {
  assert.equal(parseTime('1442004589', 's'), 1442004589000);
  assert.equal(parseTime('1442004589.5', 's'), 1442004589500);
  assert.equal(parseTime('1442004589123', 'ms'), 1442004589123);
  assert.ok(Number.isNaN(parseTime('', 's')));
  assert.ok(Number.isNaN(parseTime('12a', 'ms')));
  assert.equal(parseTime('2015-09-11T02:42:00Z', 'iso'), Date.UTC(2015, 8, 11, 2, 42));
});

void test('parseTypeMap', () => {
  assert.deepEqual(parseTypeMap('a=page_view,b=search'), { a: 'page_view', b: 'search' });
  assert.throws(() => parseTypeMap('a=click'), /not an event type/);
  assert.throws(() => parseTypeMap('oops'), /source=event_type/);
});
