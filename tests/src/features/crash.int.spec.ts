import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rng } from '@clickwise/features/testing';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { assertParity, FeaturesScope, generatedEvents, retailRocketEvents, type FeaturesProcess } from './harness.js';

/**
 * Crash: the features process is SIGKILLed at random moments while it replays the log (after a
 * random share of the events is applied, plus a random delay), and restarted each time. At the
 * end Redis equals the offline executor (nothing lost, nothing counted twice) and every event id
 * is in features.updated.v1 or the DLQ.
 */
void describe('features crash: SIGKILL during the replay, restart from the stored offsets', () => {
  let scope: FeaturesScope;
  let service: FeaturesProcess | undefined;
  const extra: Record<string, string> = {
    FEATURES_SESSION_TIMEOUT_MS: '6000',
    FEATURES_LOSS_CHECK_MS: '500',
    // One instance id across the restarts: static group membership (ADR 0044) hands a restarted
    // instance its partitions at once where the client supports it (confluent; kafkajs ignores it).
    FEATURES_INSTANCE_ID: uniqueName('crash-instance'),
    // CRASH_LOG_LEVEL=info shows the service's partition assignments and seeks on failure.
    ...(process.env.CRASH_LOG_LEVEL ? { LOG_LEVEL: process.env.CRASH_LOG_LEVEL } : {}),
  };

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('crash', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void it('4 kills at random moments; Redis = offline; every event id notified or dead-lettered', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
    const r = rng(seed);
    const events = [...retailRocketEvents(), ...generatedEvents(seed, 4000, { startMs: Date.UTC(2015, 8, 18, 3) })];
    await scope.produce(events);
    const total = BigInt(events.length);
    const thresholds = [0.05 + 0.15 * r(), 0.3 + 0.15 * r(), 0.55 + 0.15 * r(), 0.8 + 0.12 * r()];
    const kills: { atApplied: bigint; afterMs: number; window?: boolean; readyMs?: number; resumeMs?: number }[] = [];
    service = await scope.start(extra);
    /** Fails with the service's log as it is when the wait gives up. */
    const withOutput = <T>(running: FeaturesProcess, wait: Promise<T>) =>
      wait.catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- service output ---\n${running.output().slice(-6000)}`, { cause: error });
      });
    for (const [n, share] of thresholds.entries()) {
      const threshold = (total * BigInt(Math.round(share * 1000))) / 1000n;
      const running = service;
      const applied = await withOutput(
        running,
        waitFor(
          async () => {
            const n = await scope.appliedOffsets();
            return n >= threshold ? n : false;
          },
          { timeoutMs: 90_000, intervalMs: 5 + Math.floor(r() * 20), message: `${threshold} events applied` },
        ),
      );
      if (n === 1) {
        // One kill aims at the worst moment: a range's state written, its notices not yet
        // acknowledged by Kafka (its outbox still in Redis). The restart must send them.
        const inWindow = await waitFor(async () => ((await scope.pendingOutboxes()) > 0 ? scope.appliedOffsets() : false), { timeoutMs: 5_000, intervalMs: 1 }).catch(
          () => undefined,
        );
        await running.kill();
        const stillPending = (await scope.pendingOutboxes()) > 0;
        kills.push({ atApplied: inWindow ?? applied, afterMs: 0, window: inWindow !== undefined && stillPending });
      } else {
        const delay = Math.floor(r() * 40);
        await new Promise((resolve) => setTimeout(resolve, delay));
        await running.kill();
        kills.push({ atApplied: applied, afterMs: delay });
      }
      // Restart to resume: from the kill to the first batch the new process applies.
      const killedAt = Date.now();
      const appliedAtKill = await scope.appliedOffsets();
      service = await scope.start(extra);
      const kill = kills.at(-1)!;
      kill.readyMs = Date.now() - killedAt;
      const restarted = service;
      await withOutput(
        restarted,
        waitFor(async () => (await scope.appliedOffsets()) > appliedAtKill, { timeoutMs: 90_000, intervalMs: 10, message: 'the restarted process to apply a batch' }),
      );
      kill.resumeMs = Date.now() - killedAt;
      if (process.env.CRASH_LOG_LEVEL) console.log(`--- restart ${n + 1}: kill → ready ${kill.readyMs} ms, → first applied batch ${kill.resumeMs} ms ---\n${restarted.output()}`);
    }
    await scope.waitCaughtUp(90_000, service);

    const { offline } = await scope.offline();
    const report = await assertParity(scope, offline);
    const updates = await scope.readAll(scope.kafka.topics.featuresUpdated);
    const letters = await scope.readAll(scope.kafka.topics.deadLetters);
    const notified = new Set(updates.map((u) => u.value.eventId));
    const dead = new Set(letters.map((l) => l.value.eventId));
    const missing = events.filter((e) => !notified.has(e.eventId) && !dead.has(e.eventId));
    assert.deepEqual(missing.map((e) => e.eventId).slice(0, 10), [], `${missing.length} event ids in neither features.updated.v1 nor the DLQ`);
    assert.equal(kills.length, 4);
    console.log(
      `crash (seed ${seed}): killed at ${kills.map((k) => `${k.atApplied}/${total} +${k.afterMs}ms${k.window ? ' (state written, notices pending)' : ''}`).join(', ')}; ` +
        `kill → ready ${kills.map((k) => k.readyMs).join('/')} ms, kill → first applied batch ${kills.map((k) => k.resumeMs).join('/')} ms; ` +
        `${report.shoppers} shoppers, ${report.sessions} sessions, ${report.items} items equal; ` +
        `${updates.length} notices for ${notified.size} event ids (${updates.length - notified.size} repeats), ${dead.size} too late`,
    );
  });
});
