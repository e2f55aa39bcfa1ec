import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { RecommendationReasonSchema, RecommendationSchema, RecommendedItemSchema } from '@clickwise/contracts';
import { recommendationRow, ServedRecommendations, type RecommendationRow } from './recommendations.js';

const row = (modelVersion: string, recommendationId: string): RecommendationRow => ({ recommendationId, shopperKey: 's', sessionId: '', items: [], modelVersion, atMs: 0 });

void test('a served list reads as a row: each item with its strongest reason, the list time (or the record time)', () => {
  const reason = create(RecommendationReasonSchema, { text: 'viewed together with 7' });
  const r = create(RecommendationSchema, {
    recommendationId: 'r1.live.abc',
    shopperKey: 'u1',
    sessionId: 's1',
    modelVersion: 'live',
    createdAtMs: 1234n,
    items: [create(RecommendedItemSchema, { itemId: '9', score: 0.5, reason, reasons: [reason] }), create(RecommendedItemSchema, { itemId: '8', score: 0.1 })],
  });
  assert.deepEqual(recommendationRow(r, 99), {
    recommendationId: 'r1.live.abc',
    shopperKey: 'u1',
    sessionId: 's1',
    modelVersion: 'live',
    atMs: 1234,
    items: [
      { itemId: '9', score: 0.5, reason: 'viewed together with 7' },
      { itemId: '8', score: 0.1, reason: '' },
    ],
  });
  assert.equal(recommendationRow(create(RecommendationSchema, {}), 99).atMs, 99);
});

void test('the feed keeps the newest lists; per version the lists per second in the window and the count since start', async () => {
  let now = 0;
  let handler: ((records: never[]) => void) | undefined;
  const feed = new ServedRecommendations(2, (h) => ((handler = h as never), Promise.resolve()), 10_000, () => now);
  await feed.start();
  assert.ok(handler, 'start follows the topic');
  assert.deepEqual(feed.panel(), { available: true, total: 0, rows: [] });
  feed.add(row('next-item/a', 'r1'));
  now = 5000;
  feed.add(row('next-item/a', 'r2'));
  feed.add(row('live', 'r3'));
  const panel = feed.panel();
  assert.ok(panel.available);
  assert.deepEqual(panel.rows.map((r) => r.recommendationId), ['r3', 'r2']);
  assert.equal(panel.total, 3);
  assert.deepEqual(feed.byVersion().map((v) => [v.modelVersion, v.perSecond, v.seen]), [['live', 0.1, 1], ['next-item/a', 0.2, 2]]);
  now = 12_000;
  assert.deepEqual(feed.byVersion().map((v) => [v.modelVersion, v.perSecond, v.seen]), [['live', 0.1, 1], ['next-item/a', 0.1, 2]]);
  now = 30_000;
  assert.deepEqual(feed.byVersion().map((v) => v.perSecond), [0, 0]);
});
