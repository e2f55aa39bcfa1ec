import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_RECOMMENDATION_ID_CHARS, newRecommendationId, parseRecommendationId, RecommendationIds } from './recommendation-id.js';

void describe('recommendation ids', () => {
  void it('are r1.<version>.<12 hex>, unique, and name their version back', () => {
    const ids = new RecommendationIds();
    for (const version of ['live', '20261202T043012.345Z-1a2b3c4d', 'v1', 'a_b-c.d']) {
      const made = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const id = ids.next(version);
        assert.match(id, /^r1\.[A-Za-z0-9._-]+\.[0-9a-f]{12}$/);
        assert.equal(id, `r1.${version}.${id.slice(-12)}`);
        assert.equal(ids.versionOf(id), version);
        made.add(id);
      }
      assert.equal(made.size, 200, 'no id twice');
    }
  });

  void it('table: what parses and what does not', () => {
    const cases: [string, string | undefined][] = [
      ['r1.live.0123456789ab', 'live'],
      ['r1.a.b.c.0123456789ab', 'a.b.c'],
      ['r1.live.0123456789AB', undefined],
      ['r1.live.0123456789a', undefined],
      ['r1..0123456789ab', undefined],
      ['r2.live.0123456789ab', undefined],
      ['live.0123456789ab', undefined],
      ['r1.li ve.0123456789ab', undefined],
      ['r-1', undefined],
      ['', undefined],
    ];
    const ids = new RecommendationIds();
    for (const [id, want] of cases) assert.equal(ids.versionOf(id), want, id);
  });

  void it('a version too long for ingestion\'s 128 characters is hashed, and resolved by the ids that made or know it', () => {
    const long = `v${'x'.repeat(120)}`;
    const maker = new RecommendationIds();
    const id = maker.next(long);
    assert.ok(id.length <= MAX_RECOMMENDATION_ID_CHARS, `${id.length} characters`);
    assert.match(id, /^r1\.h[0-9a-f]{16}\.[0-9a-f]{12}$/);
    assert.deepEqual(parseRecommendationId(id), { versionPart: id.slice(3, 20), hashed: true });
    assert.equal(maker.versionOf(id), long);
    const other = new RecommendationIds();
    assert.equal(other.versionOf(id), undefined, 'a replica that never saw the version cannot say');
    other.know(long);
    assert.equal(other.versionOf(id), long, 'once it knows the version (from the registry)');
  });

  void it('refuses a model version that is not a version name', () => {
    assert.throws(() => newRecommendationId('has space'));
    assert.throws(() => newRecommendationId(''));
  });
});
