import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError, UnavailableError } from '@clickwise/errors';
import type { Recommendation, RecommendRequest, RecsFilters } from '@clickwise/recs';
import { RecommendationIds } from './recommendation-id.js';
import { LIVE_VERSION, RecommendationService, type Filters, type RecsEngine } from './recommender.service.js';

/** Records what it was asked and answers a fixed list (the version given). */
class FakeEngine implements RecsEngine {
  readonly asked: unknown[] = [];
  constructor(private readonly version?: string, private readonly fail?: Error) {}
  private answer(k: number): Promise<Recommendation> {
    if (this.fail) return Promise.reject(this.fail);
    const items = Array.from({ length: k }, (_, i) => ({ itemId: `i${i}`, score: k - i, reasons: [{ kind: 'popular' as const, text: 'popular now' }] }));
    return Promise.resolve(this.version ? { items, modelVersion: this.version } : { items });
  }
  recommend(request: RecommendRequest): Promise<Recommendation> {
    this.asked.push(request);
    return this.answer(request.k);
  }
  similar(itemId: string, k: number, filters?: RecsFilters): Promise<Recommendation> {
    this.asked.push({ itemId, k, filters });
    return this.answer(k);
  }
}

const none: Filters = { excludeBought: false, exclude: [], categories: [] };

function field(fn: () => Promise<unknown>, name: string) {
  return assert.rejects(fn, (e: unknown) => e instanceof InvalidInputError && e.field === name);
}

void describe('RecommendationService', () => {
  void it('passes the request to libs/recs with the default k and the filters, and ids the answer by its model version', async () => {
    const engine = new FakeEngine();
    const ids = new RecommendationIds();
    const service = new RecommendationService(engine, ids, { defaultK: 7 }, () => 1234);
    const a = await service.recommend({ shopperKey: 's1', sessionId: '', k: 0, filters: { excludeBought: true, exclude: ['x'], categories: ['c'] } });
    assert.deepEqual(engine.asked[0], { shopperKey: 's1', k: 7, filters: { excludeBought: true, exclude: ['x'], categories: ['c'] } });
    assert.equal(a.items.length, 7);
    assert.equal(a.modelVersion, LIVE_VERSION);
    assert.equal(a.createdAtMs, 1234);
    assert.equal(ids.versionOf(a.recommendationId), LIVE_VERSION);
    const withModel = new RecommendationService(new FakeEngine('20261202T1'), ids, { defaultK: 7 });
    const b = await withModel.recommend({ shopperKey: '', sessionId: 'sess', k: 3, filters: none });
    assert.equal(b.modelVersion, '20261202T1');
    assert.equal(ids.versionOf(b.recommendationId), '20261202T1');
    const s = await service.similar({ itemId: 'i9', k: 2, filters: none });
    assert.deepEqual(engine.asked[1], { itemId: 'i9', k: 2, filters: { excludeBought: false, exclude: [], categories: [] } });
    assert.equal(s.shopperKey, '');
  });

  void it('table: every bad request names its field and reaches no store', async () => {
    const engine = new FakeEngine();
    const service = new RecommendationService(engine, new RecommendationIds(), { defaultK: 10 });
    const ok = { shopperKey: 's', sessionId: '', k: 5, filters: none };
    await field(() => service.recommend({ ...ok, shopperKey: '' }), 'shopper_key');
    await field(() => service.recommend({ ...ok, shopperKey: 'x'.repeat(129) }), 'shopper_key');
    await field(() => service.recommend({ ...ok, sessionId: 'x'.repeat(129) }), 'session_id');
    await field(() => service.recommend({ ...ok, k: 101 }), 'k');
    await field(() => service.recommend({ ...ok, filters: { ...none, exclude: Array.from({ length: 1001 }, (_, i) => `i${i}`) } }), 'filters.exclude_item_ids');
    await field(() => service.recommend({ ...ok, filters: { ...none, exclude: ['x'.repeat(129)] } }), 'filters.exclude_item_ids[0]');
    await field(() => service.recommend({ ...ok, filters: { ...none, categories: Array.from({ length: 101 }, (_, i) => `c${i}`) } }), 'filters.category_ids');
    await field(() => service.recommend({ ...ok, filters: { ...none, categories: ['c', ''] } }), 'filters.category_ids[1]');
    await field(() => service.similar({ itemId: '', k: 1, filters: none }), 'item_id');
    await field(() => service.similar({ itemId: 'i', k: 1, filters: { ...none, excludeBought: true } }), 'filters.exclude_bought');
    assert.equal(engine.asked.length, 0);
    const hundred = await service.recommend({ ...ok, k: 100 });
    assert.equal(hundred.items.length, 100, 'k = 100 is allowed');
  });

  void it('a store that does not answer is UNAVAILABLE; domain errors pass through', async () => {
    const down = new RecommendationService(new FakeEngine(undefined, new Error('Command timed out')), new RecommendationIds(), { defaultK: 10 });
    await assert.rejects(down.recommend({ shopperKey: 's', sessionId: '', k: 1, filters: none }), (e: unknown) => e instanceof UnavailableError && /Command timed out/.test(e.message));
    const refused = new RecommendationService(new FakeEngine(undefined, new InvalidInputError('k too big', 'k')), new RecommendationIds(), { defaultK: 10 });
    await assert.rejects(refused.similar({ itemId: 'i', k: 1, filters: none }), (e: unknown) => e instanceof InvalidInputError);
  });
});
