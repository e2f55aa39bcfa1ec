import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testInfra, waitFor } from '@clickwise/testing';
import { FeaturesScope, simulatorEvents, type FeaturesProcess } from '../features/harness.js';

/** `clickwise_kafka_consumer_lag` series of a Prometheus text page, as partition → lag per group. */
function lagSeries(text: string): Map<string, Map<number, number>> {
  const groups = new Map<string, Map<number, number>>();
  for (const m of text.matchAll(/^clickwise_kafka_consumer_lag\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    const partitions = groups.get(labels.group!) ?? new Map<number, number>();
    partitions.set(Number(labels.partition), Number(m[2]));
    groups.set(labels.group!, partitions);
  }
  return groups;
}

const total = (partitions: Map<number, number> | undefined) => [...(partitions ?? new Map<number, number>()).values()].reduce((a, b) => a + b, 0);

/**
 * Consumer lag on /metrics (issue 12: "consumer lag per partition"): the kit's gauge
 * (libs/service lag-metrics.ts) reads `KafkaPlatform.consumerLag()` at scrape time: end offset
 * minus committed offset for every group the platform's loops joined.
 */
void describe('observe: consumer lag per partition on /metrics', () => {
  let scope: FeaturesScope;
  const running: FeaturesProcess[] = [];

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('lag', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
  });
  after(async () => {
    for (const s of running) await s.stop();
    await scope.dispose();
  });

  void test('KafkaPlatform.consumerLag: a loop held mid-batch lags by every record per partition; once it commits, by 0', async () => {
    const events = simulatorEvents(12, 300);
    await scope.produce(events);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let batches = 0;
    const producer = scope.kafka.producer();
    await producer.connect();
    const loop = scope.kafka.consumerLoop({
      groupId: `${scope.groupId}-held`,
      topic: scope.kafka.topics.events,
      stage: 'lag-test',
      deadLetters: producer,
      handle: async () => {
        batches++;
        await held;
      },
    });
    const lagOf = async () => {
      const rows = (await scope.kafka.consumerLag()).filter((r) => r.groupId === `${scope.groupId}-held`);
      return new Map(rows.map((r) => [r.partition, r.lag]));
    };
    try {
      await loop.start();
      await waitFor(() => batches > 0, { timeoutMs: 30_000, message: 'a first batch handed to the loop' });
      const ends = await scope.endOffsets(scope.kafka.topics.events);
      const before = await lagOf();
      assert.deepStrictEqual([...before.keys()].sort(), [...ends.keys()].sort(), 'one series per partition');
      // Nothing is committed while the batch is held: every partition lags by all of its records.
      for (const [p, end] of ends) assert.equal(before.get(p), Number(end), `partition ${p} lags by its ${end} records`);
      assert.equal(total(before), events.length);
      release();
      await waitFor(async () => total(await lagOf()) === 0, { timeoutMs: 60_000, message: 'lag back to 0 after the commits' });
    } finally {
      release();
      await loop.stop();
      await producer.disconnect();
    }
  });

  void test('the features service reports its group on /metrics, at 0 once it has applied every event', async () => {
    await scope.produce(simulatorEvents(13, 200));
    const service = await scope.start();
    running.push(service);
    await scope.waitCaughtUp(120_000, service);
    await waitFor(
      async () => {
        const groups = lagSeries(await (await fetch(`${service.url}/metrics`)).text());
        return groups.has(scope.groupId) && groups.get(scope.groupId)!.size === 6 && total(groups.get(scope.groupId)) === 0;
      },
      { timeoutMs: 60_000, message: 'features /metrics: its group with 6 partitions at lag 0' },
    );
  });
});
