import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CatalogItemSchema } from '@clickwise/contracts';
import { catalogItemFromJson, catalogItemFromProto, isCatalogRejection, type CatalogRejection } from './catalog-validation.js';
import type { CatalogItem } from './catalog-view.js';

const NOW = Date.parse('2026-12-02T16:00:00Z');
const ctx = { nowMs: NOW, maxFutureMs: 5 * 60_000 };

function ok(raw: unknown): CatalogItem {
  const result = catalogItemFromJson(raw, 0, ctx);
  if (isCatalogRejection(result)) assert.fail(`refused: ${result.field}: ${result.reason}`);
  return result;
}

function refused(raw: unknown, index = 0): CatalogRejection {
  const result = catalogItemFromJson(raw, index, ctx);
  if (!isCatalogRejection(result)) assert.fail(`accepted ${JSON.stringify(result)}`);
  return result;
}

void describe('catalogItemFromJson', () => {
  void it('accepts a full item; updatedAt as RFC 3339 or ms', () => {
    assert.deepEqual(ok({ itemId: 'sku-1', available: true, price: 9.99, currency: 'EUR', categoryId: '1483', title: 'Mug', updatedAt: '2026-12-02T15:00:00Z' }), {
      itemId: 'sku-1',
      available: true,
      price: 9.99,
      currency: 'EUR',
      categoryId: '1483',
      title: 'Mug',
      updatedAtMs: Date.parse('2026-12-02T15:00:00Z'),
    });
    assert.equal(ok({ itemId: 'a', available: false, updatedAt: NOW - 1 }).updatedAtMs, NOW - 1);
    assert.equal(ok({ itemId: 'a', available: false, updatedAtMs: String(NOW - 2) }).updatedAtMs, NOW - 2);
  });

  void it('fills updatedAt with the arrival time; null and empty strings are not set', () => {
    assert.deepEqual(ok({ itemId: 'a', available: true, price: null, categoryId: '', title: '' }), { itemId: 'a', available: true, updatedAtMs: NOW });
  });

  // Each bad item names its field.
  const cases: [string, unknown, string, CatalogRejection['code'], RegExp][] = [
    ['not an object', 'sku-1', 'items[0]', 'not_an_object', /JSON object/],
    ['an array', [], 'items[0]', 'not_an_object', /array/],
    ['no itemId', { available: true }, 'items[0].itemId', 'missing_field', /required/],
    ['itemId not a string', { itemId: 7, available: true }, 'items[0].itemId', 'invalid_field', /string/],
    ['itemId too long', { itemId: 'x'.repeat(129), available: true }, 'items[0].itemId', 'invalid_field', /129 characters/],
    ['itemId padded', { itemId: ' a', available: true }, 'items[0].itemId', 'invalid_field', /white space/],
    ['itemId control char', { itemId: 'a\nb', available: true }, 'items[0].itemId', 'invalid_field', /control/],
    ['no available', { itemId: 'a' }, 'items[0].available', 'missing_field', /required/],
    ['available as string', { itemId: 'a', available: 'yes' }, 'items[0].available', 'invalid_field', /true or false/],
    ['negative price', { itemId: 'a', available: true, price: -1 }, 'items[0].price', 'invalid_field', />= 0/],
    ['price as string', { itemId: 'a', available: true, price: '3' }, 'items[0].price', 'invalid_field', /number/],
    ['lower-case currency', { itemId: 'a', available: true, price: 1, currency: 'eur' }, 'items[0].currency', 'invalid_field', /ISO 4217/],
    ['currency without price', { itemId: 'a', available: true, currency: 'EUR' }, 'items[0].currency', 'invalid_field', /without a price/],
    ['category too long', { itemId: 'a', available: true, categoryId: 'c'.repeat(200) }, 'items[0].categoryId', 'invalid_field', /200 characters/],
    ['title too long', { itemId: 'a', available: true, title: 't'.repeat(513) }, 'items[0].title', 'invalid_field', /513 characters/],
    ['updatedAt in seconds', { itemId: 'a', available: true, updatedAt: 1_796_000_000 }, 'items[0].updatedAt', 'invalid_field', /seconds\?/],
    ['updatedAt far out', { itemId: 'a', available: true, updatedAt: -1e20 }, 'items[0].updatedAt', 'invalid_field', /before 2000/],
    ['updatedAt ahead', { itemId: 'a', available: true, updatedAt: NOW + 3_600_000 }, 'items[0].updatedAt', 'invalid_field', /after arrival/],
    ['updatedAt garbage', { itemId: 'a', available: true, updatedAt: 'yesterday' }, 'items[0].updatedAt', 'invalid_field', /RFC 3339/],
    ['both times', { itemId: 'a', available: true, updatedAt: NOW, updatedAtMs: NOW }, 'items[0].updatedAtMs', 'invalid_field', /not both/],
    ['unknown field', { itemId: 'a', available: true, stock: 3 }, 'items[0].stock', 'unknown_field', /unknown field/],
  ];
  for (const [name, raw, field, code, reason] of cases) {
    void it(`refuses ${name} at ${field}`, () => {
      const r = refused(raw);
      assert.equal(r.field, field);
      assert.equal(r.code, code);
      assert.match(r.reason, reason);
      assert.equal(r.index, 0);
    });
  }

  void it('keeps the index and the item id of a refused item', () => {
    const r = refused({ itemId: 'sku-9', available: true, price: -3 }, 4);
    assert.deepEqual([r.index, r.itemId, r.field], [4, 'sku-9', 'items[4].price']);
  });
});

void describe('catalogItemFromProto', () => {
  void it('applies the same rules; empty strings and 0 are absent', () => {
    const good = catalogItemFromProto(create(CatalogItemSchema, { itemId: 'a', available: true, categoryId: 'c', price: 2, currency: 'USD' }), 0, ctx);
    assert.deepEqual(good, { itemId: 'a', available: true, categoryId: 'c', price: 2, currency: 'USD', updatedAtMs: NOW });
    const noId = catalogItemFromProto(create(CatalogItemSchema, { available: true }), 2, ctx);
    assert.ok(isCatalogRejection(noId));
    assert.equal(noId.field, 'items[2].itemId');
    const nan = catalogItemFromProto(create(CatalogItemSchema, { itemId: 'a', price: Number.NaN }), 1, ctx);
    assert.ok(isCatalogRejection(nan));
    assert.equal(nan.field, 'items[1].price');
    const late = catalogItemFromProto(create(CatalogItemSchema, { itemId: 'a', updatedAtMs: 5n }), 0, ctx);
    assert.ok(isCatalogRejection(late));
    assert.equal(late.field, 'items[0].updatedAtMs');
  });
});
