import { InvalidInputError } from '@clickwise/errors';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertModelName, assertVersionName, compareVersions, generateVersion, parseKey } from './names.js';
import { mulberry32 } from '@clickwise/random';

const random = mulberry32;

const hex = (next: () => number) => Array.from({ length: 64 }, () => Math.floor(next() * 16).toString(16)).join('');

void describe('generated versions', () => {
  void test('the creation time in UTC to the ms, then 8 hex digits of the artifact digest', () => {
    const sha = 'ab12cd34'.padEnd(64, '0');
    assert.equal(generateVersion(Date.UTC(2026, 11, 2, 4, 30, 12, 345), sha), '20261202T043012.345Z-ab12cd34');
    assert.equal(generateVersion(Date.UTC(2026, 0, 5, 0, 0, 0, 7), sha), '20260105T000000.007Z-ab12cd34');
    assertVersionName(generateVersion(Date.now(), sha));
  });

  void test('sorting the strings sorts by creation time (against a naive sort by ms, 2,000 random times)', () => {
    const next = random(20261202);
    const items = Array.from({ length: 2000 }, () => {
      // 1970 .. 2286; the two pushed below collide with (or sit 1 ms after) another on purpose.
      return { createdAtMs: Math.floor(next() * 10_000_000_000_000), sha: hex(next) };
    });
    items.push({ createdAtMs: items[0]!.createdAtMs, sha: hex(next) }, { createdAtMs: items[1]!.createdAtMs + 1, sha: hex(next) });
    const withVersions = items.map((i) => ({ ...i, version: generateVersion(i.createdAtMs, i.sha) }));
    const byString = [...withVersions].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
    const byTime = [...withVersions].sort((a, b) => a.createdAtMs - b.createdAtMs || (a.sha < b.sha ? -1 : 1));
    assert.deepEqual(
      byString.map((v) => v.createdAtMs),
      byTime.map((v) => v.createdAtMs),
    );
    // compareVersions agrees with both.
    const byCompare = [...withVersions].sort(compareVersions);
    assert.deepEqual(
      byCompare.map((v) => v.version),
      byString.map((v) => v.version),
    );
  });

  void test('compareVersions: creation time first, then the name (hand-given versions)', () => {
    const sorted = [
      { createdAtMs: 5, version: 'b' },
      { createdAtMs: 1, version: 'z' },
      { createdAtMs: 5, version: 'a' },
    ].sort(compareVersions);
    assert.deepEqual(
      sorted.map((v) => `${v.createdAtMs}${v.version}`),
      ['1z', '5a', '5b'],
    );
  });

  void test('times outside the years 1000–9999 are refused', () => {
    assert.throws(() => generateVersion(Date.UTC(10000, 0, 1), 'a'.repeat(64)), /outside the years/);
    assert.throws(() => generateVersion(Number.NaN, 'a'.repeat(64)), InvalidInputError);
  });
});

void describe('names and keys', () => {
  void test('model names: lowercase, digits, . _ -', () => {
    for (const ok of ['propensity', 'next-item', 'text.sentiment', 'seg_2']) assertModelName(ok);
    for (const bad of ['', 'Propensity', 'a/b', '-x', 'x'.repeat(65), 'with space']) {
      assert.throws(() => assertModelName(bad), (e: unknown) => e instanceof InvalidInputError && e.field === 'model' && e.message.includes(`"${bad}"`));
    }
  });

  void test('version names: no slash, not "champion"', () => {
    for (const ok of ['v1', '20261202T043012.345Z-ab12cd34', 'A_b-c.d']) assertVersionName(ok);
    for (const bad of ['', 'champion', 'a/b', '.x', 'x'.repeat(129)]) {
      assert.throws(() => assertVersionName(bad), (e: unknown) => e instanceof InvalidInputError && e.field === 'version');
    }
  });

  void test('keys split at the last slash', () => {
    assert.deepEqual(parseKey('propensity/v1'), { model: 'propensity', version: 'v1' });
    assert.deepEqual(parseKey('propensity/champion'), { model: 'propensity', version: 'champion' });
    for (const bad of ['propensity', '/v1', 'propensity/']) assert.equal(parseKey(bad), undefined);
  });
});
