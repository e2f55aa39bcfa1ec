import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { RecommendationSchema, RecommendResponseSchema, SimilarItemsResponseSchema } from '@clickwise/contracts';
import { recommendationMessage, responseCarrying, similarResponseCarrying } from './recommender.grpc.js';

const recommendation = recommendationMessage({
  recommendationId: 'r1.live.0123456789ab',
  shopperKey: 'u-1',
  sessionId: 's-1',
  modelVersion: 'live',
  createdAtMs: 1_764_000_000_000,
  items: [
    { itemId: 'i-1', score: 0.75, reasons: [{ kind: 'co-visited', text: 'viewed together with i-9', itemId: 'i-9' }, { kind: 'popular', text: 'popular now' }] },
    { itemId: 'i-2', score: 1e-9, reasons: [{ kind: 'popular-category', text: 'popular in c-3 now', categoryId: 'c-3' }] },
  ],
});

void test('a response carrying an encoded recommendation is byte-identical to one built around the message', () => {
  const carried = toBinary(RecommendResponseSchema, responseCarrying(toBinary(RecommendationSchema, recommendation)));
  const built = toBinary(RecommendResponseSchema, create(RecommendResponseSchema, { recommendation }));
  assert.deepEqual(Buffer.from(carried), Buffer.from(built));
  const decoded = fromBinary(RecommendResponseSchema, carried).recommendation!;
  assert.equal(decoded.items.length, 2);
  assert.equal(decoded.items[0]!.reason!.anchorItemId, 'i-9');
  assert.equal(decoded.items[1]!.reasons[0]!.categoryId, 'c-3');
});

void test('a SimilarItems response carrying an encoded recommendation is byte-identical to one built around the message', () => {
  const carried = toBinary(SimilarItemsResponseSchema, similarResponseCarrying('i-0', toBinary(RecommendationSchema, recommendation)));
  const built = toBinary(SimilarItemsResponseSchema, create(SimilarItemsResponseSchema, { itemId: 'i-0', recommendation }));
  assert.deepEqual(Buffer.from(carried), Buffer.from(built));
  const decoded = fromBinary(SimilarItemsResponseSchema, carried);
  assert.equal(decoded.itemId, 'i-0');
  assert.deepEqual(decoded.recommendation!.items.map((i) => i.itemId), ['i-1', 'i-2']);
  assert.equal(decoded.recommendation!.items[0]!.reasons[1]!.text, 'popular now');
});
