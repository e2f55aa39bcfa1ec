import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PredictionFeed, type FeedRow } from './prediction-feed.js';

const row = (modelVersion: string, probability: number, shopperKey = 's'): FeedRow => ({
  shopperKey,
  sessionId: 'x',
  probability,
  segment: '',
  modelVersion,
  events: 1,
  topFeature: '',
  topContribution: 0,
  predictedAtMs: 0,
  noticeToPredictionMs: null,
});

void test('the feed keeps the newest; per version the window rate and mean probability, the total since start', () => {
  let now = 0;
  const feed = new PredictionFeed(2, 10_000, () => now);
  feed.add(row('propensity/a', 0.2, 's1'));
  now = 5000;
  feed.add(row('propensity/a', 0.4, 's2'));
  feed.add(row('propensity/b', 0.9, 's3'));
  assert.deepEqual(feed.newest().map((r) => r.shopperKey), ['s3', 's2']);
  assert.equal(feed.total, 3);
  let live = feed.byVersion();
  assert.deepEqual(live.map((v) => [v.modelVersion, v.seen, v.perSecond]), [['propensity/a', 2, 0.2], ['propensity/b', 1, 0.1]]);
  assert.ok(Math.abs(live[0]!.meanProbability - 0.3) < 1e-12);
  now = 12_000;
  live = feed.byVersion();
  assert.deepEqual(live.map((v) => [v.modelVersion, v.seen, v.perSecond, v.meanProbability]), [['propensity/a', 2, 0.1, 0.4], ['propensity/b', 1, 0.1, 0.9]]);
  now = 30_000;
  assert.deepEqual(feed.byVersion().map((v) => v.perSecond), [0, 0]);
});
