import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Recommendation } from '@clickwise/contracts';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import type { ServiceProcess } from '../support/service-process.js';
import { storefront, type Fixture } from './fixture.js';
import { metric, RecommenderScope, type RecommenderClient } from './harness.js';

const ids = (r: Recommendation | undefined) => (r?.items ?? []).map((i) => i.itemId);
/** The items of a list the session has not viewed yet (libs/recs may return viewed ones). */
const fresh = (r: Recommendation | undefined, seen: readonly string[]) => ids(r).filter((i) => !seen.includes(i));

/**
 * The real pipeline: storefront → ingestion (HTTP) → clickstream.events.v1 → recommender → Redis
 * live index → Recommend; and the catalogue: PUT /v1/catalog/items → catalog.items.v1 →
 * recommender. Every process real, on the harness's Kafka and Redis.
 */
void describe('recommender: a click changes its session\'s next items within a second; unavailable items are never recommended', () => {
  let scope: RecommenderScope;
  let ingestion: ServiceProcess | undefined;
  let recommender: ServiceProcess | undefined;
  let client: RecommenderClient;
  let readKey: string;
  let f: Fixture;
  const call = () => ({ metadata: { 'x-api-key': readKey }, timeoutMs: 5000 });

  before(async () => {
    const infra = testInfra();
    scope = new RecommenderScope('recs-pipeline', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    f = storefront(uniqueName('pipe'));
    ingestion = await scope.startIngestion();
    recommender = await scope.startRecommender();
    client = scope.client(recommender);
    readKey = await scope.createKey(['read']);
    await scope.produce(f.events);
    await scope.waitIndexed(recommender);
  });
  after(async () => {
    await recommender?.stop();
    await ingestion?.stop();
    await scope.dispose();
  });

  /** POSTs one product view through ingestion; resolves when ingestion answered (Kafka acknowledged it). */
  async function click(key: string, shopper: string, session: string, item: string): Promise<number> {
    const response = await fetch(`${ingestion!.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ eventId: uniqueName('click'), type: 'product_view', userId: shopper, sessionId: session, itemId: item, categoryId: f.categoryOf(item), eventTime: Date.now() }),
    });
    const acceptedAt = performance.now();
    assert.ok(response.ok, `ingestion answered ${response.status}: ${await response.text()}`);
    return acceptedAt;
  }

  void it('each click is in the session\'s next recommendations within 1 s of ingestion accepting it', async () => {
    const ingestKey = await scope.createKey(['ingest']);
    const latencies: number[] = [];
    for (let trial = 0; trial < 8; trial++) {
      const shopper = f.shopper(`live${trial}`);
      const session = f.session(`live${trial}-s`);
      const cold = ids((await client.recommend({ shopperKey: shopper, sessionId: session, k: 3 }, call())).recommendation);
      assert.ok(!cold.slice(0, 1).includes(f.item('b2')), 'before the click: the cold-start list (b2 is not the most popular)');
      // b1 → b2 in 20 sessions: once b1 is in this session, b2 leads its list.
      const accepted = await click(ingestKey, shopper, session, f.item('b1'));
      let seen: string[] = [];
      await waitFor(
        async () => {
          seen = fresh((await client.recommend({ shopperKey: shopper, sessionId: session, k: 3 }, call())).recommendation, [f.item('b1')]);
          return seen[0] === f.item('b2');
        },
        { timeoutMs: 5000, intervalMs: 2, message: `b2 to lead ${session}'s list after the click on b1` },
      );
      latencies.push(performance.now() - accepted);
      // A second click moves the list again: a1 → a2.
      const second = await click(ingestKey, shopper, session, f.item('a1'));
      await waitFor(async () => fresh((await client.recommend({ shopperKey: shopper, sessionId: session, k: 4 }, call())).recommendation, [f.item('b1'), f.item('a1')])[0] === f.item('a2'), {
        timeoutMs: 5000,
        intervalMs: 2,
        message: 'a2 to lead after the click on a1',
      });
      latencies.push(performance.now() - second);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`click accepted → in the session's recommendations: ${latencies.length} clicks, p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
    assert.ok(sorted.at(-1)! < 1000, `every click within 1 s: ${sorted.map((x) => x.toFixed(0)).join(', ')} ms`);
    assert.ok((await metric(recommender!, 'clickwise_recommender_accept_to_indexed_seconds_count')) >= f.events.length + latencies.length);
  });

  void it('a second replica (same group, same Redis index) answers with what the first indexed', async () => {
    const second = await scope.startRecommender();
    try {
      const other = scope.client(second);
      for (let trial = 0; trial < 8; trial++) {
        const request = { shopperKey: f.shopper(`live${trial}`), sessionId: f.session(`live${trial}-s`), k: 5 };
        const a = (await client.recommend(request, call())).recommendation!;
        const b = (await other.recommend(request, call())).recommendation!;
        assert.deepEqual(ids(b), ids(a), `trial ${trial}: both replicas read one index`);
        assert.deepEqual(b.items.map((i) => i.score), a.items.map((i) => i.score));
        assert.notEqual(b.recommendationId, a.recommendationId);
      }
    } finally {
      await second.stop();
    }
  });

  void it('an item the catalogue marks unavailable is never recommended, by either call, until it is available again', async () => {
    const catalogKey = await scope.createKey(['catalog']);
    const put = async (available: boolean) => {
      const response = await fetch(`${ingestion!.url}/v1/catalog/items`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-api-key': catalogKey },
        body: JSON.stringify({ items: [{ itemId: f.item('a2'), available, categoryId: f.category('cA') }] }),
      });
      assert.ok(response.ok, `catalogue PUT answered ${response.status}: ${await response.text()}`);
    };
    const viewer = f.shopper('viewer');
    const lists = async () => [
      ids((await client.recommend({ shopperKey: viewer, k: 10 }, call())).recommendation),
      ids((await client.similarItems({ itemId: f.item('a1'), k: 10 }, call())).recommendation),
      ids((await client.recommend({ shopperKey: 'nobody', k: 20 }, call())).recommendation),
      ids((await client.recommend({ shopperKey: viewer, k: 10, filters: { categoryIds: [f.category('cA')] } }, call())).recommendation),
    ];
    const [first] = await lists();
    assert.equal(first!.filter((i) => i !== f.item('a1'))[0], f.item('a2'), 'a2 leads the new items while available');
    await put(false);
    await waitFor(async () => (await metric(recommender!, 'clickwise_recommender_catalog_unavailable_items')) === 1, { timeoutMs: 20_000, intervalMs: 20, message: 'the catalogue record followed' });
    for (let i = 0; i < 20; i++) {
      for (const list of await lists()) assert.ok(!list.includes(f.item('a2')), `a2 is unavailable: ${list.join(', ')}`);
    }
    const [without] = await lists();
    assert.ok(without!.length > 0 && without!.includes(f.item('a3')), 'the rest of the list stays');
    await put(true);
    await waitFor(async () => fresh((await client.recommend({ shopperKey: viewer, k: 10 }, call())).recommendation, [f.item('a1')])[0] === f.item('a2'), { timeoutMs: 20_000, intervalMs: 20, message: 'a2 back once available' });
  });
});
