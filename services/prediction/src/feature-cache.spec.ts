import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureRequest, FeatureSnapshot } from '@clickwise/feature-store';
import { mulberry32 } from '@clickwise/random';
import { FeatureCache } from './feature-cache.js';
import type { FeatureSource } from './predictor.js';

/** A store whose shopper and item states carry versions; reads answer when released. */
class FakeStore implements FeatureSource {
  readonly shopper = new Map<string, number>();
  readonly item = new Map<string, number>();
  reads = 0;
  private readonly waiting: (() => void)[] = [];
  held = false;

  read(request: FeatureRequest): Promise<FeatureSnapshot> {
    this.reads++;
    const answer = (): FeatureSnapshot => ({
      definitionsVersion: 'v',
      refMs: 0,
      snapshotVersion: this.shopper.get(request.shopperKey) ?? 0,
      found: { shopper: this.shopper.has(request.shopperKey), session: false, item: request.itemId ? this.item.has(request.itemId) : false, category: false },
      features: [{ name: 'item_version', entity: 'item', value: request.itemId ? (this.item.get(request.itemId) ?? 0) : null, ageMs: null }],
    });
    // The state is taken when the read reaches the store (now), answered when released.
    const snapshot = answer();
    if (!this.held) return Promise.resolve(snapshot);
    return new Promise((resolve) => this.waiting.push(() => resolve(snapshot)));
  }

  release(): void {
    for (const go of this.waiting.splice(0)) go();
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(options: { maxEntries?: number; maxAgeMs?: number; now?: () => number } = {}) {
  const store = new FakeStore();
  const cache = new FeatureCache(store, { maxEntries: options.maxEntries ?? 100, maxAgeMs: options.maxAgeMs ?? 60_000, ...(options.now ? { now: options.now } : {}) });
  cache.enable();
  return { store, cache };
}

void describe('FeatureCache', () => {
  void it('serves a snapshot from memory until a notice of its shopper arrives', async () => {
    const { store, cache } = setup();
    store.shopper.set('a', 1);
    assert.equal((await cache.read({ shopperKey: 'a' })).snapshotVersion, 1);
    assert.equal(cache.peek({ shopperKey: 'a' })?.snapshotVersion, 1);
    assert.equal(store.reads, 1);
    store.shopper.set('a', 2);
    assert.equal(cache.peek({ shopperKey: 'a' })?.snapshotVersion, 1, 'no notice yet: the cached state may be served');
    cache.invalidate('a', '');
    assert.equal(cache.peek({ shopperKey: 'a' }), undefined);
    assert.equal((await cache.read({ shopperKey: 'a' })).snapshotVersion, 2);
    assert.equal(store.reads, 2);
  });

  void it("drops every shopper's snapshot that names an item when a notice names the item", async () => {
    const { store, cache } = setup();
    store.shopper.set('a', 1).set('b', 1);
    store.item.set('i', 1);
    await cache.read({ shopperKey: 'a', itemId: 'i' });
    await cache.read({ shopperKey: 'b', itemId: 'i' });
    await cache.read({ shopperKey: 'b' });
    cache.invalidate('c', 'i');
    assert.equal(cache.peek({ shopperKey: 'a', itemId: 'i' }), undefined);
    assert.equal(cache.peek({ shopperKey: 'b', itemId: 'i' }), undefined);
    assert.notEqual(cache.peek({ shopperKey: 'b' }), undefined, 'the snapshot without the item stays');
  });

  void it('does not keep a read that a notice overtook, and shares a read under way', async () => {
    const { store, cache } = setup();
    store.shopper.set('a', 1);
    store.held = true;
    const first = cache.read({ shopperKey: 'a' });
    const joined = cache.read({ shopperKey: 'a' });
    assert.equal(store.reads, 1, 'the second call joined the first read');
    store.shopper.set('a', 2);
    cache.invalidate('a', '');
    const after = cache.read({ shopperKey: 'a' });
    assert.equal(store.reads, 2, 'a call after the notice does not join a spoiled read');
    store.release();
    assert.equal((await first).snapshotVersion, 1);
    assert.equal((await joined).snapshotVersion, 1);
    assert.equal((await after).snapshotVersion, 2);
    await flush();
    assert.equal(cache.peek({ shopperKey: 'a' })?.snapshotVersion, 2, 'only the read begun after the notice was kept');
  });

  void it('keeps at most maxEntries, least recently used out first, and none older than maxAgeMs', async () => {
    let now = 0;
    const { store, cache } = setup({ maxEntries: 2, maxAgeMs: 1000, now: () => now });
    for (const k of ['a', 'b', 'c']) store.shopper.set(k, 1);
    await cache.read({ shopperKey: 'a' });
    await cache.read({ shopperKey: 'b' });
    await flush();
    cache.peek({ shopperKey: 'a' });
    await cache.read({ shopperKey: 'c' });
    await flush();
    assert.equal(cache.size, 2);
    assert.equal(cache.peek({ shopperKey: 'b' }), undefined, 'b was the least recently used');
    assert.notEqual(cache.peek({ shopperKey: 'a' }), undefined);
    now = 1001;
    assert.equal(cache.peek({ shopperKey: 'a' }), undefined, 'older than maxAgeMs');
  });

  void it('reads through while disabled, for categories and for a reference time', async () => {
    const store = new FakeStore();
    store.shopper.set('a', 1);
    const cache = new FeatureCache(store, { maxEntries: 10, maxAgeMs: 60_000 });
    await cache.read({ shopperKey: 'a' });
    assert.equal(cache.peek({ shopperKey: 'a' }), undefined, 'not enabled');
    cache.enable();
    await cache.read({ shopperKey: 'a', categoryId: 'c' });
    await cache.read({ shopperKey: 'a', atMs: 5 });
    await flush();
    assert.equal(cache.size, 0);
    await cache.read({ shopperKey: 'a' });
    await flush();
    assert.equal(cache.size, 1);
    cache.disable();
    assert.equal(cache.size, 0);
    assert.equal(cache.peek({ shopperKey: 'a' }), undefined);
  });

  void it('serves nothing from memory while the store is down', async () => {
    const store = new FakeStore();
    store.shopper.set('a', 1);
    let up = true;
    const cache = new FeatureCache(store, { maxEntries: 10, maxAgeMs: 60_000, storeUp: () => up });
    cache.enable();
    await cache.read({ shopperKey: 'a' });
    await flush();
    assert.notEqual(cache.peek({ shopperKey: 'a' }), undefined);
    up = false;
    assert.equal(cache.peek({ shopperKey: 'a' }), undefined);
    await cache.read({ shopperKey: 'a' });
    assert.equal(store.reads, 2, 'read from the store (which answers as it does when down)');
  });

  void it('never serves a state older than a notice seen before the call (random interleavings against the naive rule)', async () => {
    const random = mulberry32(7);
    const shoppers = ['a', 'b', 'c', 'd'];
    const items = ['i', 'j', ''];
    for (let trial = 0; trial < 40; trial++) {
      const { store, cache } = setup({ maxEntries: 3 });
      // What the reader has seen: the versions announced by notices delivered so far.
      const seenShopper = new Map<string, number>();
      const seenItem = new Map<string, number>();
      // Written to the store, notice not yet delivered (a notice follows its state: ADR 0037).
      const pending: { shopper: string; item: string; version: number; itemVersion: number }[] = [];
      const calls: Promise<void>[] = [];
      for (let step = 0; step < 300; step++) {
        const r = random();
        store.held = random() < 0.3;
        if (r < 0.3) {
          const shopper = shoppers[Math.floor(random() * shoppers.length)]!;
          const item = items[Math.floor(random() * items.length)]!;
          const version = (store.shopper.get(shopper) ?? 0) + 1;
          store.shopper.set(shopper, version);
          const itemVersion = item ? (store.item.get(item) ?? 0) + 1 : 0;
          if (item) store.item.set(item, itemVersion);
          pending.push({ shopper, item, version, itemVersion });
        } else if (r < 0.5 && pending.length > 0) {
          const n = pending.shift()!;
          seenShopper.set(n.shopper, Math.max(seenShopper.get(n.shopper) ?? 0, n.version));
          if (n.item) seenItem.set(n.item, Math.max(seenItem.get(n.item) ?? 0, n.itemVersion));
          cache.invalidate(n.shopper, n.item);
        } else if (r < 0.6) {
          store.release();
          await flush();
        } else {
          const shopperKey = shoppers[Math.floor(random() * shoppers.length)]!;
          const itemId = items[Math.floor(random() * items.length)]!;
          const mustSee = seenShopper.get(shopperKey) ?? 0;
          const mustSeeItem = itemId ? (seenItem.get(itemId) ?? 0) : 0;
          calls.push(
            cache.read({ shopperKey, ...(itemId ? { itemId } : {}) }).then((s) => {
              assert.ok(s.snapshotVersion >= mustSee, `trial ${trial} step ${step}: shopper ${shopperKey} served version ${s.snapshotVersion} after a notice of ${mustSee}`);
              const itemVersion = s.features[0]!.value as number | null;
              if (itemId) assert.ok((itemVersion ?? 0) >= mustSeeItem, `trial ${trial} step ${step}: item ${itemId} served ${itemVersion} after a notice of ${mustSeeItem}`);
            }),
          );
        }
      }
      store.release();
      await Promise.all(calls);
    }
  });
});
