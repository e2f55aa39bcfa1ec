import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventType, RecommenderService, type Recommendation } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { childrenOf, cpuTicks } from '../support/proc.js';
import type { ServiceProcess } from '../support/service-process.js';
import { storefront, type Fixture } from './fixture.js';
import { metric, RecommenderScope, storeEvent, type RecommenderClient } from './harness.js';

const ids = (r: Recommendation | undefined) => (r?.items ?? []).map((i) => i.itemId);

/**
 * RECOMMENDER_WORKERS=2 (ADR 0048, the kit's runClustered): two node:cluster workers behind one
 * gRPC port, each a whole replica. Connections are handed out round-robin, so clients on their own
 * connections reach both; every worker answers from the one live index in Redis (a click indexed by
 * whichever worker's consumer has its partition is in every worker's next answer); the events
 * consumer's partitions are split between them and /metrics sums both (every event once, across
 * the second worker's join too); SIGTERM stops both, exit 0.
 */
void describe('recommender as two worker processes', () => {
  let scope: RecommenderScope;
  let service: ServiceProcess | undefined;
  let key: string;
  let f: Fixture;
  let workers: number[];
  const clients: RecommenderClient[] = [];
  const call = () => ({ metadata: { 'x-api-key': key }, timeoutMs: 5000 });

  before(async () => {
    const infra = testInfra();
    scope = new RecommenderScope('rec-workers', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    f = storefront(uniqueName('recw'));
    service = await scope.startRecommender({ RECOMMENDER_WORKERS: '2' });
    const pid = service.child.pid!;
    workers = await waitFor(
      () => {
        const found = childrenOf(pid);
        return found.length === 2 ? found : undefined;
      },
      { timeoutMs: 10_000, message: 'two worker processes' },
    );
    key = await scope.createKey(['read']);
    await scope.produce(f.events);
    await scope.waitIndexed(service);
    // Four clients, each on a connection of its own (no shared subchannel): two reach each worker.
    for (let c = 0; c < 4; c++) clients.push(createClient(RecommenderService, `127.0.0.1:${service.ports.grpc}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
  });
  after(async () => {
    for (const c of clients) c.close();
    if (service) assert.equal(await service.stop(), 0, 'SIGTERM stops both workers and the primary exits 0');
    await scope.dispose();
  });

  void it('both workers answer, each from the one live index; /metrics sums what both indexed', async (t) => {
    const before = workers.map(cpuTicks);
    const lists: string[][] = [];
    for (let round = 0; round < 40; round++) {
      for (const client of clients) {
        const { recommendation } = await client.recommend({ shopperKey: f.shopper('viewer'), k: 5 }, call());
        if (round === 0) lists.push(ids(recommendation));
      }
    }
    const after = workers.map(cpuTicks);
    for (let w = 0; w < 2; w++) assert.ok(after[w]! > before[w]!, `worker ${w} (pid ${workers[w]}) answered calls: ${before[w]} → ${after[w]} ticks`);
    assert.ok(lists[0]!.length > 0);
    for (const list of lists) assert.deepEqual(list, lists[0], 'every connection, whichever worker, gets the same list');
    assert.ok(lists[0]!.includes(f.item('a2')), `a1 is followed by a2: ${lists[0]!.join(', ')}`);
    // The second worker joined while the first was indexing: the group rebalanced, and a moved
    // partition's new owner re-read from the last commit; the index applied those records once (ADR 0048).
    assert.equal(await metric(service!, 'clickwise_recommender_events_indexed_total'), f.events.length, 'the sum over both workers: every event indexed once');
    t.diagnostic(`records read again after the rebalance and not indexed again: ${await metric(service!, 'clickwise_recommender_events_skipped_total', { reason: 'already_indexed' })}`);
  });

  void it('with both workers in the group, /metrics sums what each indexed: every new event once', async () => {
    // Settled: both workers have joined (the first rebalance is long over) and nothing is indexing.
    let last = -1;
    await waitFor(
      async () => {
        const now = await metric(service!, 'clickwise_recommender_events_indexed_total');
        const settled = now === last;
        last = now;
        return settled;
      },
      { timeoutMs: 30_000, intervalMs: 3000, message: 'the indexed count to settle' },
    );
    const sessions = Array.from({ length: 30 }, (_, i) => uniqueName(`recw-once-${i}`));
    await scope.produce(sessions.map((s, i) => storeEvent({ shopper: s, session: s, type: EventType.PRODUCT_VIEW, item: f.item('a5'), category: f.category('cA'), timeMs: Date.now() - 1000 + i })));
    await scope.waitIndexed(service);
    assert.equal(await metric(service!, 'clickwise_recommender_events_indexed_total'), last + sessions.length, 'the 30 new events, each indexed by one worker, once');
  });

  void it("a new click is in the session's next answer from every worker", async () => {
    const session = uniqueName('recw-new');
    await scope.produce([storeEvent({ shopper: session, session, type: EventType.PRODUCT_VIEW, item: f.item('b1'), category: f.category('cB'), timeMs: Date.now() })]);
    await scope.waitIndexed(service);
    for (const client of clients) {
      const { recommendation } = await client.recommend({ sessionId: session, k: 5 }, call());
      assert.ok(ids(recommendation).includes(f.item('b2')), `b1 is followed by b2 on every connection: ${ids(recommendation).join(', ')}`);
    }
  });
});
