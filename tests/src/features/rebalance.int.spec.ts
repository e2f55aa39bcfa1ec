import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testInfra, waitFor } from '@clickwise/testing';
import { assertParity, FeaturesScope, retailRocketEvents, type FeaturesProcess } from './harness.js';

async function status(service: FeaturesProcess): Promise<{ assignedPartitions: number[] }> {
  return (await (await fetch(`${service.url}/status`)).json()) as { assignedPartitions: number[] };
}

/**
 * Rebalance: two features instances share the group; partitions move when the second joins and
 * again when the first leaves mid-replay. Each takes over from the offsets stored in Redis.
 */
void describe('features: two instances, partitions moving between them', () => {
  let scope: FeaturesScope;
  const running: FeaturesProcess[] = [];

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('rebalance', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
  });
  after(async () => {
    for (const s of running) await s.stop();
    await scope.dispose();
  });

  void it('a second instance joins, the first leaves mid-replay: Redis = offline, every event notified', async () => {
    const events = retailRocketEvents();
    const extra = { FEATURES_SESSION_TIMEOUT_MS: '6000' };
    const a = await scope.start(extra);
    running.push(a);
    await scope.produce(events.slice(0, 12_000));
    const b = await scope.start(extra);
    running.push(b);
    // The group splits the 6 partitions between the two.
    const split = await waitFor(
      async () => {
        const [sa, sb] = await Promise.all([status(a), status(b)]);
        return sa.assignedPartitions.length > 0 && sb.assignedPartitions.length > 0 && sa.assignedPartitions.length + sb.assignedPartitions.length === 6 ? [sa, sb] : false;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'both instances to hold partitions' },
    );
    await scope.produce(events.slice(12_000, 26_000));
    await a.stop();
    running.shift();
    await scope.produce(events.slice(26_000));
    await waitFor(async () => (await status(b)).assignedPartitions.length === 6, { timeoutMs: 60_000, intervalMs: 200, message: 'b to hold every partition' });
    await scope.waitCaughtUp(90_000, b);

    const { offline } = await scope.offline();
    const report = await assertParity(scope, offline);
    const updates = await scope.readAll(scope.kafka.topics.featuresUpdated);
    const letters = await scope.readAll(scope.kafka.topics.deadLetters);
    const seen = new Set([...updates.map((u) => u.value.eventId), ...letters.map((l) => l.value.eventId)]);
    assert.deepEqual(events.filter((e) => !seen.has(e.eventId)).map((e) => e.eventId), []);
    console.log(
      `rebalance: partitions split ${JSON.stringify(split.map((s) => s.assignedPartitions))}, then all to the second; ` +
        `${report.shoppers} shoppers, ${report.items} items equal; ${updates.length} notices for ${events.length} events`,
    );
  });
});
