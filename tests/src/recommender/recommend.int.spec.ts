import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { EventType, RecommendationReasonKind, type Recommendation } from '@clickwise/contracts';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import type { ServiceProcess } from '../support/service-process.js';
import { storefront, type Fixture } from './fixture.js';
import { metric, RecommenderScope, storeEvent, type RecommenderClient } from './harness.js';

const run = promisify(execFile);

function grpcurlPath(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')]) {
    const p = join(dir, 'grpcurl');
    if (dir && existsSync(p)) return p;
  }
  throw new Error('grpcurl is not installed: deploy/local/test-tools.sh installs it');
}

const ids = (r: Recommendation | undefined) => (r?.items ?? []).map((i) => i.itemId);
/** The items of a list the session has not viewed yet (libs/recs may return viewed ones: shoppers come back to them). */
const fresh = (r: Recommendation | undefined, seen: readonly string[]) => ids(r).filter((i) => !seen.includes(i));
const POPULAR = new Set([RecommendationReasonKind.POPULAR, RecommendationReasonKind.POPULAR_IN_CATEGORY]);

/**
 * Recommend and SimilarItems through gRPC against the real service process, its live index built
 * in Redis from clickstream.events.v1 (a storefront history with known structure produced to the
 * test's topic): answers, reasons and ids; auth and argument errors; cold start; each filter;
 * erasure; click-through per model version on /metrics; health and reflection with grpcurl.
 */
void describe('recommender: Recommend, SimilarItems, filters, cold start, auth, click-through, grpcurl', () => {
  let scope: RecommenderScope;
  let service: ServiceProcess | undefined;
  let client: RecommenderClient;
  let key: string;
  let f: Fixture;
  const call = () => ({ metadata: { 'x-api-key': key }, timeoutMs: 5000 });

  before(async () => {
    const infra = testInfra();
    scope = new RecommenderScope('recommend', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    f = storefront(uniqueName('rec'));
    service = await scope.startRecommender();
    client = scope.client(service);
    key = await scope.createKey(['read']);
    await scope.produce(f.events);
    await scope.waitIndexed(service);
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void it("a session's next items follow what it viewed, each with a score, its reasons, a recommendation id and the model version", async () => {
    const { recommendation: r } = await client.recommend({ shopperKey: f.shopper('viewer'), k: 5 }, call());
    assert.ok(r);
    assert.equal(r.shopperKey, f.shopper('viewer'));
    assert.equal(r.modelVersion, 'live', 'no sequence model is published: the live indexes answer');
    assert.match(r.recommendationId, /^r1\.live\.[0-9a-f]{12}$/);
    assert.ok(r.createdAtMs > 0n);
    assert.ok(r.items.length > 0 && r.items.length <= 5);
    assert.equal(fresh(r, [f.item('a1')])[0], f.item('a2'), 'a1 is followed by a2 in 30 sessions');
    const scores = r.items.map((i) => i.score);
    assert.deepEqual(scores, [...scores].sort((x, y) => y - x), 'highest score first');
    for (const item of r.items) {
      assert.ok(item.reasons.length > 0, `${item.itemId} has a reason`);
      assert.deepEqual(item.reason, item.reasons[0], 'reason is the strongest of reasons');
      assert.ok(item.reasons.every((x) => x.text !== ''), 'each reason reads as text');
    }
    const top = r.items.find((i) => i.itemId === f.item('a2'))!;
    assert.ok(
      top.reasons.some((x) => (x.kind === RecommendationReasonKind.CO_VIEWED && x.anchorItemId === f.item('a1')) || x.kind === RecommendationReasonKind.SESSION_NEIGHBOURS),
      `a2 is there because of a1: ${JSON.stringify(top.reasons.map((x) => [RecommendationReasonKind[x.kind], x.anchorItemId, x.text]))}`,
    );
    const again = (await client.recommend({ shopperKey: f.shopper('viewer'), k: 5 }, call())).recommendation!;
    assert.notEqual(again.recommendationId, r.recommendationId, 'every list gets its own id');
    const bySession = (await client.recommend({ sessionId: f.session('viewer-s'), k: 5 }, call())).recommendation!;
    assert.deepEqual(ids(bySession), ids(r), 'the session alone gives the same list');
  });

  void it('SimilarItems: items viewed together with the item, never the item itself', async () => {
    const { itemId, recommendation: r } = await client.similarItems({ itemId: f.item('b1'), k: 5 }, call());
    assert.equal(itemId, f.item('b1'));
    assert.ok(r && r.items.length > 0);
    assert.ok(!ids(r).includes(f.item('b1')));
    assert.ok(ids(r).slice(0, 2).includes(f.item('b2')), `b2 follows b1: ${ids(r).join(', ')}`);
    assert.match(r.recommendationId, /^r1\.live\./);
    assert.equal(r.shopperKey, '');
  });

  void it('cold start: an unknown shopper and an unknown item get what is popular now, said so', async () => {
    const shopper = (await client.recommend({ shopperKey: 'nobody-at-all', k: 5 }, call())).recommendation!;
    assert.ok(shopper.items.length > 0, 'not empty');
    assert.equal(shopper.items[0]!.itemId, f.item('a5'), 'a5 is the most viewed item');
    assert.ok(shopper.items.every((i) => i.reasons.every((x) => POPULAR.has(x.kind))), 'every reason is popularity');
    const item = (await client.similarItems({ itemId: 'no-such-item', k: 5 }, call())).recommendation!;
    assert.ok(item.items.length > 0);
    assert.ok(item.items.every((i) => i.reasons.every((x) => POPULAR.has(x.kind))));
    const session = (await client.recommend({ sessionId: 'no-such-session', k: 3 }, call())).recommendation!;
    assert.equal(session.items.length, 3);
  });

  void it('filters: exclude bought, exclude ids, categories (each alone and together)', async () => {
    const buyer = f.shopper('buyer');
    const plain = ids((await client.recommend({ shopperKey: buyer, k: 10 }, call())).recommendation);
    assert.ok(plain.includes(f.item('a2')), `without the filter the bought a2 is there (after a1): ${plain.join(', ')}`);
    const noBought = ids((await client.recommend({ shopperKey: buyer, k: 10, filters: { excludeBought: true } }, call())).recommendation);
    assert.ok(noBought.length > 0 && !noBought.includes(f.item('a2')), `exclude_bought drops a2: ${noBought.join(', ')}`);

    const viewer = f.shopper('viewer');
    const all = ids((await client.recommend({ shopperKey: viewer, k: 10 }, call())).recommendation);
    const excluded = [f.item('a2'), f.item('a5')];
    const without = ids((await client.recommend({ shopperKey: viewer, k: 10, filters: { excludeItemIds: excluded } }, call())).recommendation);
    assert.ok(without.length > 0 && excluded.every((x) => !without.includes(x)), `excluded ids are gone: ${without.join(', ')}`);
    assert.ok(without.includes(f.item('a3')) && all.includes(f.item('a3')), 'the rest stays');

    const inB = (await client.recommend({ shopperKey: viewer, k: 10, filters: { categoryIds: [f.category('cB')] } }, call())).recommendation!;
    assert.ok(inB.items.length > 0, 'items of cB even though the session viewed cA');
    assert.ok(inB.items.every((i) => f.categoryOf(i.itemId) === f.category('cB')), `only cB: ${ids(inB).join(', ')}`);
    const similarInA = ids((await client.similarItems({ itemId: f.item('b1'), k: 10, filters: { categoryIds: [f.category('cA')] } }, call())).recommendation);
    assert.ok(similarInA.length > 0 && similarInA.every((i) => f.categoryOf(i) === f.category('cA')), `SimilarItems honours categories: ${similarInA.join(', ')}`);

    const together = ids((await client.recommend({ shopperKey: buyer, k: 10, filters: { excludeBought: true, excludeItemIds: [f.item('a3')], categoryIds: [f.category('cA')] } }, call())).recommendation);
    assert.ok(together.length > 0);
    assert.ok(together.every((i) => f.categoryOf(i) === f.category('cA') && i !== f.item('a2') && i !== f.item('a3')), `all three at once: ${together.join(', ')}`);
  });

  void it('maps errors once: UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT (with the field), DEADLINE_EXCEEDED', async () => {
    const req = { shopperKey: f.shopper('viewer') };
    await assert.rejects(client.recommend(req), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
    await assert.rejects(client.recommend(req, { metadata: { 'x-api-key': 'cw_not_a_key' } }), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
    await assert.rejects(client.similarItems({ itemId: 'x' }), (e: grpc.ServiceError) => e.code === grpc.status.UNAUTHENTICATED);
    const ingestKey = await scope.createKey(['ingest']);
    await assert.rejects(client.recommend(req, { metadata: { 'x-api-key': ingestKey } }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.PERMISSION_DENIED);
      assert.match(e.details, /lacks the "read" scope/);
      return true;
    });
    // Authorization: Bearer works as x-api-key does.
    assert.ok((await client.recommend(req, { metadata: { authorization: `Bearer ${key}` } })).recommendation);
    const field = async (promise: Promise<unknown>, name: string) =>
      assert.rejects(promise, (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.INVALID_ARGUMENT, e.details);
        assert.equal(e.metadata.get('x-field')[0], name);
        return true;
      });
    await field(client.recommend({}, call()), 'shopper_key');
    await field(client.recommend({ ...req, k: 101 }, call()), 'k');
    await field(client.recommend({ shopperKey: 'x'.repeat(129) }, call()), 'shopper_key');
    await field(client.recommend({ ...req, filters: { categoryIds: [''] } }, call()), 'filters.category_ids[0]');
    await field(client.similarItems({ itemId: '' }, call()), 'item_id');
    await field(client.similarItems({ itemId: 'x', filters: { excludeBought: true } }, call()), 'filters.exclude_bought');
    await assert.rejects(client.recommend(req, { metadata: { 'x-api-key': key }, timeoutMs: 0 }), (e: grpc.ServiceError) => e.code === grpc.status.DEADLINE_EXCEEDED);
    assert.ok((await metric(service!, 'clickwise_grpc_server_duration_seconds_count', { method: 'Recommend', code: 'UNAUTHENTICATED' })) >= 2);
  });

  void it('k: the default when 0, at most what was asked', async () => {
    const r = (await client.recommend({ shopperKey: 'nobody-at-all' }, call())).recommendation!;
    assert.ok(r.items.length <= 10 && r.items.length > 3, `${r.items.length} items by default (10 at most; the fixture has ${new Set(f.events.map((e) => e.itemId)).size} items)`);
    assert.equal((await client.recommend({ shopperKey: 'nobody-at-all', k: 2 }, call())).recommendation!.items.length, 2);
  });

  void it('click-through per model version: recommendation shown / clicked events carrying the ids count for the version the id names', async () => {
    const lists = await Promise.all([0, 1, 2, 3].map(() => client.recommend({ shopperKey: f.shopper('viewer'), k: 3 }, call())));
    const rids = lists.map((l) => l.recommendation!.recommendationId);
    const now = Date.now();
    const shopper = f.shopper('ctr');
    await scope.produce([
      ...rids.map((rid, i) => storeEvent({ shopper, session: f.session('ctr-s'), type: EventType.RECOMMENDATION_SHOWN, recommendationId: rid, itemIds: ids(lists[i]!.recommendation), timeMs: now })),
      storeEvent({ shopper, session: f.session('ctr-s'), type: EventType.RECOMMENDATION_CLICKED, recommendationId: rids[0]!, item: ids(lists[0]!.recommendation)[0]!, timeMs: now + 1 }),
      storeEvent({ shopper, session: f.session('ctr-s'), type: EventType.RECOMMENDATION_CLICKED, recommendationId: 'not-one-of-ours', item: f.item('a1'), timeMs: now + 2 }),
    ]);
    await waitFor(async () => (await metric(service!, 'clickwise_recommender_recommendation_clicks_total')) >= 2, { timeoutMs: 20_000, intervalMs: 50, message: 'the clicks counted' });
    assert.equal(await metric(service!, 'clickwise_recommender_recommendations_shown_total', { model_version: 'live' }), 4);
    assert.equal(await metric(service!, 'clickwise_recommender_items_shown_total', { model_version: 'live' }), lists.reduce((n, l) => n + l.recommendation!.items.length, 0));
    assert.equal(await metric(service!, 'clickwise_recommender_recommendation_clicks_total', { model_version: 'live' }), 1);
    assert.equal(await metric(service!, 'clickwise_recommender_click_through_rate', { model_version: 'live' }), 0.25);
    assert.equal(await metric(service!, 'clickwise_recommender_recommendation_clicks_total', { model_version: 'unattributed' }), 1);
  });

  void it('an erased shopper leaves the index: their session and purchases are forgotten', async () => {
    const buyer = f.shopper('buyer');
    const before = (await client.recommend({ shopperKey: buyer, k: 5 }, call())).recommendation!;
    assert.equal(fresh(before, [f.item('a1'), f.item('a2')])[0], f.item('a3'), 'a1 (viewed) and a2 (bought): a3 follows');
    await scope.erase(buyer);
    await waitFor(async () => (await metric(service!, 'clickwise_recommender_erasures_applied_total')) >= 1, { timeoutMs: 20_000, intervalMs: 50, message: 'the erasure applied' });
    const after = (await client.recommend({ shopperKey: buyer, k: 5 }, call())).recommendation!;
    const cold = (await client.recommend({ shopperKey: 'nobody-at-all', k: 5 }, call())).recommendation!;
    assert.deepEqual(ids(after), ids(cold), 'the erased shopper gets the cold-start list');
    assert.deepEqual(ids((await client.recommend({ sessionId: f.session('buyer-s'), k: 5 }, call())).recommendation), ids(cold), 'their session is gone too');
    // Their events replayed later (a new group reading from the beginning) stay out: the service skips events up to the erasure.
    const other = await scope.startRecommender({ RECOMMENDER_GROUP_ID: `${scope.recommenderGroup}-2`, REDIS_KEY_PREFIX: `${scope.redisKeyPrefix}again:` });
    try {
      await waitFor(async () => (await scope.kafka.admin.groupLag(`${scope.recommenderGroup}-2`, scope.kafka.topics.events)).total === 0n, { timeoutMs: 60_000, intervalMs: 100, message: 'the second index built' });
      assert.ok((await metric(other, 'clickwise_recommender_events_skipped_total', { reason: 'erased' })) >= 3, "the buyer's three events were skipped");
    } finally {
      await other.stop();
    }
  });

  void it('health follows readiness; grpcurl lists the services by reflection and calls Recommend with only the address and a key', async () => {
    const ready = (await (await fetch(`${service!.url}/health/ready`)).json()) as Record<string, unknown>;
    assert.equal(ready.ready, true);
    for (const check of ['kafka', 'redis', 'registry', 'erasures', 'catalog', 'events']) assert.equal(ready[check], true, check);
    const grpcurl = grpcurlPath();
    const address = `127.0.0.1:${service!.ports.grpc}`;
    const list = await run(grpcurl, ['-plaintext', address, 'list']);
    assert.match(list.stdout, /clickwise\.v1\.RecommenderService/);
    assert.match(list.stdout, /grpc\.health\.v1\.Health/);
    const health = await run(grpcurl, ['-plaintext', '-d', '{"service":"clickwise.v1.RecommenderService"}', address, 'grpc.health.v1.Health/Check']);
    assert.equal((JSON.parse(health.stdout) as { status: string }).status, 'SERVING');
    const out = await run(grpcurl, ['-plaintext', '-H', `x-api-key: ${key}`, '-d', JSON.stringify({ shopper_key: f.shopper('viewer'), k: 3, filters: { exclude_item_ids: [f.item('a3')] } }), address, 'clickwise.v1.RecommenderService/Recommend']);
    const answer = JSON.parse(out.stdout) as { recommendation: { recommendationId: string; modelVersion: string; items: { itemId: string; score: number; reason: { kind: string; text: string } }[] } };
    assert.equal(answer.recommendation.modelVersion, 'live');
    assert.ok(answer.recommendation.items.some((i) => i.itemId === f.item('a2')), 'a2 follows a1');
    assert.ok(answer.recommendation.items.every((i) => i.itemId !== f.item('a3')));
    assert.match(answer.recommendation.items[0]!.reason.kind, /^RECOMMENDATION_REASON_KIND_/);
    const similar = await run(grpcurl, ['-plaintext', '-H', `x-api-key: ${key}`, '-d', JSON.stringify({ item_id: f.item('a1'), k: 2 }), address, 'clickwise.v1.RecommenderService/SimilarItems']);
    assert.equal((JSON.parse(similar.stdout) as { itemId: string }).itemId, f.item('a1'));
    await assert.rejects(run(grpcurl, ['-plaintext', '-d', '{"item_id":"x"}', address, 'clickwise.v1.RecommenderService/SimilarItems']), (e: { stderr: string }) => /Unauthenticated/.test(e.stderr));
  });
});
