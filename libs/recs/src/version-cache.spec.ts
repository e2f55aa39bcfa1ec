import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VersionCache } from './version-cache.js';

const at = (version: string, erasures = '0') => ({ version, erasures });

void describe('VersionCache (item neighbourhoods validated by the writer version)', () => {
  void it('exact (maxStaleMs 0): serves only at the version it was read at', () => {
    let now = 0;
    const cache = new VersionCache<string>({ maxEntries: 10, maxStaleMs: 0 }, () => now);
    cache.set('a', 'A@1', at('1'));
    assert.equal(cache.get('a', at('1')), 'A@1');
    now = 1_000_000;
    assert.equal(cache.get('a', at('1')), 'A@1', 'an unchanged index keeps it however old');
    assert.equal(cache.get('a', at('2')), undefined, 'one batch later it is read again');
    assert.deepEqual({ hits: cache.hits, misses: cache.misses }, { hits: 2, misses: 1 });
  });

  void it('bounded staleness: an older version serves for maxStaleMs after the read, never past an erasure', () => {
    let now = 0;
    const cache = new VersionCache<string>({ maxEntries: 10, maxStaleMs: 500 }, () => now);
    cache.set('a', 'A', at('1'));
    now = 400;
    assert.equal(cache.get('a', at('7')), 'A');
    assert.equal(cache.get('a', at('7', '1')), undefined, 'an erasure drops it at once');
    now = 501;
    assert.equal(cache.get('a', at('7')), undefined);
    assert.equal(cache.get('a', at('1')), 'A', 'still exact at its own version');
  });

  void it('keeps maxEntries, dropping the oldest written; 0 keeps nothing', () => {
    const cache = new VersionCache<number>({ maxEntries: 3, maxStaleMs: 0 });
    for (let i = 0; i < 5; i++) cache.set(`k${i}`, i, at('1'));
    assert.equal(cache.size, 3);
    assert.deepEqual(['k0', 'k1', 'k2', 'k3', 'k4'].map((k) => cache.get(k, at('1'))), [undefined, undefined, 2, 3, 4]);
    cache.set('k2', 22, at('1'));
    cache.set('k5', 5, at('1'));
    assert.equal(cache.get('k2', at('1')), 22, 'a rewrite makes it the newest');
    assert.equal(cache.get('k3', at('1')), undefined);
    const none = new VersionCache<number>({ maxEntries: 0, maxStaleMs: 0 });
    none.set('a', 1, at('1'));
    assert.equal(none.get('a', at('1')), undefined);
  });
});
