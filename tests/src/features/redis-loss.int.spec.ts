import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalRedis, testInfra, waitFor } from '@clickwise/testing';
import { assertParity, FeaturesScope, generatedEvents, retailRocketEvents, type FeaturesProcess } from './harness.js';

/**
 * Redis loss: the test's own Redis (no persistence) is flushed mid-replay, and later killed and
 * restarted empty. The service notices (sentinel gone), rebuilds from the beginning of the log,
 * and at the end Redis equals the offline executor again.
 */
void describe('features: Redis loses its data mid-replay; the state is rebuilt from Kafka', () => {
  let redis: LocalRedis;
  let scope: FeaturesScope;
  let service: FeaturesProcess | undefined;

  before(async () => {
    redis = await LocalRedis.startOwn();
    scope = new FeaturesScope('redis-loss', testInfra().kafkaBrokers, redis.url);
    await scope.createTopics();
  });
  after(async () => {
    await service?.stop();
    await scope.dispose().catch(() => undefined);
    await redis.dispose();
  });

  void it('FLUSHALL at ~40%, then a restart without persistence at ~75%: rebuilt, and parity at the end', async () => {
    const events = [...retailRocketEvents(), ...generatedEvents(5, 3000, { startMs: Date.UTC(2015, 8, 18, 3) })];
    const total = BigInt(events.length);
    service = await scope.start({ FEATURES_LOSS_CHECK_MS: '200' });
    // Produce in the background, so the losses happen while events still arrive.
    const producing = (async () => {
      for (let i = 0; i < events.length; i += 4000) {
        await scope.produce(events.slice(i, i + 4000));
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();
    const applied = (share: number) =>
      waitFor(async () => ((await scope.appliedOffsets()) >= (total * BigInt(share * 100)) / 100n ? true : false), {
        timeoutMs: 90_000,
        intervalMs: 20,
        message: `${share * 100}% applied\n${service?.output().slice(-3000) ?? ''}`,
      });
    await applied(0.4);
    const before1 = await scope.appliedOffsets();
    await scope.redis.flushall();
    // The rebuild starts from the beginning: the stored offsets fall back below what they were.
    await waitFor(async () => (await scope.appliedOffsets()) < before1, { timeoutMs: 30_000, intervalMs: 10, message: 'the rebuild to start' });

    await applied(0.75);
    await redis.kill();
    await redis.start();
    await producing;
    await scope.waitCaughtUp(120_000, service);

    const { offline } = await scope.offline();
    const report = await assertParity(scope, offline);
    const updates = await scope.readAll(scope.kafka.topics.featuresUpdated);
    const letters = await scope.readAll(scope.kafka.topics.deadLetters);
    const seen = new Set([...updates.map((u) => u.value.eventId), ...letters.map((l) => l.value.eventId)]);
    assert.equal(events.filter((e) => !seen.has(e.eventId)).length, 0, 'every event id is in features.updated.v1 or the DLQ');
    const losses = /state lost/g;
    const logged = service.output().match(losses)?.length ?? 0;
    assert.ok(logged >= 2, `the service reported the two losses (${logged})\n${service.output().slice(-3000)}`);
    console.log(
      `redis-loss: ${logged} losses noticed and rebuilt; ${report.shoppers} shoppers, ${report.sessions} sessions, ${report.items} items, ` +
        `${report.categories} categories equal; ${updates.length} notices for ${total} events (a rebuild repeats only notices past the group's last committed offset)`,
    );
  });
});
