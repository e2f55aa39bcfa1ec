import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeCatalogItem, encodeCatalogItem } from './catalog-record.js';
import { itemsSeenIn } from './catalog-seed.js';
import { CatalogState } from './catalog-state.js';
import type { CatalogItem } from './catalog-view.js';

/** A small seeded generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const item = (itemId: string, overrides: Partial<CatalogItem> = {}): CatalogItem => ({ itemId, available: true, ...overrides });

void describe('CatalogState', () => {
  void it('answers for an unknown item: available, no category, no price', () => {
    const state = new CatalogState();
    assert.equal(state.get('nope'), undefined);
    assert.equal(state.isAvailable('nope'), true);
    assert.equal(state.categoryOf('nope'), undefined);
    assert.equal(state.priceOf('nope'), undefined);
    assert.equal(state.size, 0);
  });

  void it('the latest record of an item decides, whole (a record replaces the one before)', () => {
    const state = new CatalogState();
    state.apply([item('a', { categoryId: 'c1', price: 10, currency: 'EUR', title: 'A' })]);
    assert.equal(state.categoryOf('a'), 'c1');
    assert.deepEqual(state.priceOf('a'), { price: 10, currency: 'EUR' });
    state.apply([item('a', { available: false })]);
    assert.equal(state.isAvailable('a'), false);
    assert.equal(state.categoryOf('a'), undefined, 'the new record has no category: it replaced the old one');
    assert.equal(state.priceOf('a'), undefined);
    state.apply([item('a', { categoryId: 'c2' }), item('a', { available: false, categoryId: 'c3' })]);
    assert.equal(state.isAvailable('a'), false, 'later entries of one batch win');
    assert.equal(state.categoryOf('a'), 'c3');
    assert.equal(state.size, 1);
    assert.equal(state.unavailableCount(), 1);
  });

  void it('a price without a currency is a price', () => {
    const state = CatalogState.of([item('p', { price: 0 })]);
    assert.deepEqual(state.priceOf('p'), { price: 0 });
  });

  void it('ready() resolves once setReady is called, and of() is ready at once', async () => {
    const state = new CatalogState();
    let resolved = false;
    const ready = state.ready().then(() => (resolved = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(resolved, false);
    assert.equal(state.caughtUp, false);
    state.setReady();
    state.setReady();
    await ready;
    assert.equal(state.caughtUp, true);
    await CatalogState.of([]).ready();
  });

  void it('onChange hears every applied batch until removed; an empty batch is no change', () => {
    const state = new CatalogState();
    const heard: string[][] = [];
    const off = state.onChange((changed) => heard.push(changed.map((c) => `${c.itemId}:${c.available}`)));
    state.apply([item('a'), item('b', { available: false })]);
    state.apply([]);
    state.apply([item('a', { available: false })]);
    off();
    state.apply([item('c')]);
    assert.deepEqual(heard, [['a:true', 'b:false'], ['a:false']]);
  });

  void it('matches a naive reference (last record per id in a list) on random update streams', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = random(seed);
      const state = new CatalogState();
      const log: CatalogItem[] = [];
      for (let batch = 0; batch < 30; batch++) {
        const records: CatalogItem[] = [];
        const n = Math.floor(rnd() * 5);
        for (let i = 0; i < n; i++) {
          const id = `i${Math.floor(rnd() * 25)}`;
          const categoryId = rnd() < 0.5 ? `c${Math.floor(rnd() * 4)}` : undefined;
          records.push(item(id, { available: rnd() < 0.7, ...(categoryId ? { categoryId } : {}), ...(rnd() < 0.5 ? { price: Math.round(rnd() * 1000) / 10 } : {}) }));
        }
        state.apply(records);
        log.push(...records);
      }
      const latest = (id: string) => log.filter((r) => r.itemId === id).at(-1);
      for (let k = 0; k < 30; k++) {
        const id = `i${k}`;
        assert.deepEqual(state.get(id), latest(id), `seed ${seed} ${id}`);
        assert.equal(state.isAvailable(id), latest(id)?.available ?? true, `seed ${seed} ${id}`);
        assert.equal(state.categoryOf(id), latest(id)?.categoryId, `seed ${seed} ${id}`);
      }
      assert.equal(state.size, new Set(log.map((r) => r.itemId)).size);
    }
  });
});

void describe('catalog record codec', () => {
  void it('round-trips every field, and keeps absent fields absent', () => {
    const full: CatalogItem = { itemId: 'sku-1', available: false, price: 12.5, currency: 'EUR', categoryId: '1483', title: 'Mug ☕', updatedAtMs: 1_796_000_000_123 };
    assert.deepEqual(decodeCatalogItem(encodeCatalogItem(full)), full);
    const bare: CatalogItem = { itemId: 'sku-2', available: true };
    assert.deepEqual(decodeCatalogItem(encodeCatalogItem(bare)), bare);
    assert.deepEqual(decodeCatalogItem(encodeCatalogItem({ itemId: 'free', available: true, price: 0 })), { itemId: 'free', available: true, price: 0 });
  });

  void it('takes the record key when the value carries no item id', () => {
    assert.equal(decodeCatalogItem(encodeCatalogItem({ itemId: '', available: true }), 'from-key').itemId, 'from-key');
  });

  void it('reads a tombstone (empty value; Clickwise writes none) as the key\'s item, unavailable', () => {
    assert.deepEqual(decodeCatalogItem(new Uint8Array(0), 'gone'), { itemId: 'gone', available: false });
  });
});

void describe('itemsSeenIn', () => {
  void it('every item once, available, with the category of its latest row naming one', () => {
    assert.deepEqual(
      itemsSeenIn([
        { itemId: 'a', categoryId: 'c1', timeMs: 10 },
        { itemId: 'b', timeMs: 11 },
        { timeMs: 12 },
        { itemId: 'a', categoryId: 'c2', timeMs: 30 },
        { itemId: 'a', categoryId: 'c0', timeMs: 5 },
        { itemId: 'a', timeMs: 40 },
        { itemId: 'b', categoryId: 'c9', timeMs: 50 },
        { itemId: 'c', timeMs: 60 },
      ]),
      [
        { itemId: 'a', available: true, categoryId: 'c2' },
        { itemId: 'b', available: true, categoryId: 'c9' },
        { itemId: 'c', available: true },
      ],
    );
  });
});
