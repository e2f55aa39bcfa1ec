import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { ApiKeyStore } from '@clickwise/api-keys';
import { testInfra, waitFor } from '@clickwise/testing';
import type { ServiceProcess } from '../support/service-process.js';
import { logLines, metric, status, TrainerScope, type RunView, type TrainerStatus } from './harness.js';

/** Waits until the persisted last run satisfies `accept` (polling GET /status). */
async function lastRun(service: ServiceProcess, accept: (run: RunView) => boolean, message: string, timeoutMs = 60_000): Promise<RunView> {
  return waitFor(
    async () => {
      const run = (await status(service)).lastRun;
      return run && accept(run) ? run : undefined;
    },
    { timeoutMs, intervalMs: 100, message: `${message}\n--- service output ---\n${service.output().slice(-4000)}` },
  );
}

/**
 * The trainer as its own process (services/trainer, with the counting fixture job in place of the
 * real ones: it publishes what each run saw to models.published.v1) against real Kafka and Redis.
 */
void describe('trainer service', () => {
  const infra = testInfra();
  const started: ServiceProcess[] = [];
  const scopes: TrainerScope[] = [];
  const scope = async (name: string) => {
    const s = new TrainerScope(name, infra.kafkaBrokers, infra.redisUrl);
    scopes.push(s);
    await s.createTopics();
    return s;
  };
  const start = async (s: TrainerScope, env: Record<string, string>) => {
    const service = await s.start(env);
    started.push(service);
    return service;
  };

  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.kill()));
  });
  after(async () => {
    for (const s of scopes) await s.dispose();
  });

  void it('trains at start when no model exists, not before N new events, then after N new events on the whole history', async () => {
    const s = await scope('trainer-events');
    await s.produce(50);
    const service = await start(s, { TRAINER_RETRAIN_AFTER_EVENTS: '100', TRAINER_CHECK_MS: '300', TRAINER_INTERVAL: '1h' });

    const first = await lastRun(service, (r) => r.outcome === 'ok', 'the start-up run');
    assert.equal(first.trigger, 'no-model');
    assert.equal(first.events, 50);
    assert.deepEqual((await s.published()).map((p) => p.metrics.events), [50]);

    // 60 new events: under the threshold, no run (checked over several checks).
    await s.produce(60);
    const seenAt = Date.now();
    const quietStatus = await waitFor(
      async () => {
        const st = await status(service);
        return st.lastCheck && st.lastCheck.eventsSinceTrained === 60 && Date.parse(st.lastCheck.at) > seenAt + 1500 ? st : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'checks that count 60 new events' },
    );
    assert.equal(quietStatus.lastRun?.runId, first.runId, 'no run under the threshold');
    assert.equal((await s.published()).length, 1);

    // 40 more: 100 since the last run trained, so it retrains, on all 150 events.
    await s.produce(40);
    const second = await lastRun(service, (r) => r.runId !== first.runId, 'the run after 100 new events');
    assert.equal(second.trigger, 'events');
    assert.equal(second.outcome, 'ok');
    assert.equal(second.events, 150);
    assert.ok(second.token > first.token);
    assert.deepEqual((await s.published()).map((p) => p.metrics.events), [50, 150]);
    const st = await status(service);
    assert.deepEqual(st.trainedOffsets, second.ends);
    assert.deepEqual(st.champions, { 'event-count': `v${second.token}` }, 'published through the registry');
    assert.equal(Object.values(st.trainedOffsets).reduce((sum, o) => sum + Number(o), 0), 150);
    assert.equal(await metric(service, 'clickwise_trainer_runs_total', { trigger: 'events', outcome: 'ok' }), 1);
    assert.equal(await metric(service, 'clickwise_trainer_last_run_events'), 150);
  });

  void it('retrains on the schedule with no new events, and a restarted trainer keeps the schedule and the trained offsets', async () => {
    const s = await scope('trainer-schedule');
    await s.produce(20);
    const env = { TRAINER_RETRAIN_AFTER_EVENTS: '1000000', TRAINER_CHECK_MS: '300', TRAINER_INTERVAL: '4s' };
    let service = await start(s, env);
    const first = await lastRun(service, (r) => r.outcome === 'ok', 'the start-up run');
    assert.equal(first.trigger, 'no-model');

    const second = await lastRun(service, (r) => r.runId !== first.runId, 'a scheduled run', 30_000);
    assert.equal(second.trigger, 'schedule');
    assert.equal(second.outcome, 'ok');
    assert.equal(second.events, 20);
    assert.ok(second.startedAtMs - first.startedAtMs >= 4000, `scheduled ${second.startedAtMs - first.startedAtMs} ms after the first run`);

    // A new process reads the state from Redis: no start-up run (a champion exists, nothing new), the next one on schedule.
    assert.equal(await service.stop(), 0);
    service = await start(s, env);
    const third = await lastRun(service, (r) => r.runId !== second.runId, 'the next scheduled run after a restart', 30_000);
    assert.equal(third.trigger, 'schedule');
    assert.ok(third.startedAtMs - second.startedAtMs >= 4000, `scheduled ${third.startedAtMs - second.startedAtMs} ms after the one before`);
    assert.deepEqual((await s.published()).map((p) => p.metrics.events), [20, 20, 20]);
  });

  void it('POST /ops/train: ops scope only, 202 then 409 while it runs, the history ends where the run started; a failing job is logged with its reason and counted, and the service stays up', async () => {
    const s = await scope('trainer-ops');
    const store = new ApiKeyStore(s.redis, s.keys);
    await s.produce(10);
    const service = await start(s, { TRAINER_RETRAIN_AFTER_EVENTS: '1000000', TRAINER_CHECK_MS: '300', TRAINER_INTERVAL: '1h', TRAINER_FIXTURE_HOLD_MS: '1000', TRAINER_FIXTURE_READ_DELAY_MS: '1000' });
    const first = await lastRun(service, (r) => r.outcome === 'ok', 'the start-up run');

    const post = (key?: string) => fetch(`${service.url}/ops/train`, { method: 'POST', headers: key ? { 'x-api-key': key } : {} });
    assert.equal((await post()).status, 401);
    assert.equal((await post((await store.create({ name: 'storefront', scopes: ['ingest'] })).key)).status, 403);
    const ops = (await store.create({ name: 'operator', scopes: ['ops'] })).key;
    const accepted = await post(ops);
    assert.equal(accepted.status, 202);
    const run = (await accepted.json()) as { runId: string; token: number; events: number };
    assert.equal(run.events, 10);
    const busy = await post(ops);
    assert.equal(busy.status, 409);
    assert.equal(((await busy.json()) as { error: { code: string } }).error.code, 'running');
    // Events appended after the run started are not in its history (it reads up to the ends it captured).
    await s.produce(5);
    const manual = await lastRun(service, (r) => r.runId === run.runId, 'the manual run');
    assert.equal(manual.trigger, 'manual');
    assert.equal(manual.outcome, 'ok');
    assert.ok(manual.token > first.token);
    assert.equal(manual.events, 10);
    assert.deepEqual((await s.published()).map((p) => p.metrics.events), [10, 10], 'the 5 later events were not read');

    // A history the fixture refuses: the run fails, the reason is logged and counted, the service stays ready.
    await s.produce(1, 'fail-');
    const failing = await post(ops);
    assert.equal(failing.status, 202);
    const failedRun = ((await failing.json()) as { runId: string }).runId;
    const failed = await lastRun(service, (r) => r.runId === failedRun, 'the failing run');
    assert.equal(failed.outcome, 'failed');
    assert.match(failed.jobs[0]?.error ?? '', /holds event fail-\d+/);
    const logged = logLines(service, 'job failed');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.level, 'error');
    assert.equal(logged[0]?.job, 'event-count');
    assert.match(String(logged[0]?.reason), /holds event fail-\d+/);
    assert.equal(await metric(service, 'clickwise_trainer_job_errors_total', { job: 'event-count' }), 1);
    assert.equal(await metric(service, 'clickwise_trainer_runs_total', { trigger: 'manual', outcome: 'failed' }), 1);
    const st: TrainerStatus = await status(service);
    assert.deepEqual(st.trainedOffsets, manual.ends, 'a failed run does not move the trained offsets');
    assert.notEqual(st.triggers.backoffUntil, null);
    assert.equal((await fetch(`${service.url}/health/ready`)).status, 200);
  });

  void it('two replicas: one runs at a time; after the holder is SIGKILLed the other takes over once the lease lapses', async () => {
    const s = await scope('trainer-lease');
    await s.produce(30);
    const env = { TRAINER_RETRAIN_AFTER_EVENTS: '1000000', TRAINER_CHECK_MS: '200', TRAINER_INTERVAL: '1h', TRAINER_LEASE_MS: '2000', TRAINER_FIXTURE_HOLD_MS: '120000' };
    const [a, b] = await Promise.all([start(s, { ...env, TRAINER_INSTANCE_ID: 'replica-a' }), start(s, { ...env, TRAINER_INSTANCE_ID: 'replica-b' })]);
    const replicas = new Map([['replica-a', a], ['replica-b', b]]);

    const holderId = await waitFor(
      async () => {
        const [sa, sb] = await Promise.all([status(a), status(b)]);
        return sa.running ? sa.instanceId : sb.running ? sb.instanceId : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'a replica to start the run' },
    );
    const holder = replicas.get(holderId)!;
    const other = holderId === 'replica-a' ? b : a;
    // Over several lease renewals (3 s, lease 2 s): always exactly the holder runs, the other sees its lock.
    let token = 0;
    for (let i = 0; i < 15; i++) {
      const [h, o] = await Promise.all([status(holder), status(other)]);
      assert.ok(h.running, `sample ${i}: the holder runs`);
      assert.equal(o.running, null, `sample ${i}: the other does not`);
      assert.equal(o.lock?.holder, holderId);
      token = h.running.token;
      await new Promise((r) => setTimeout(r, 200));
    }

    const measuredAt = Date.now();
    const ttlMs = await s.redis.pttl(s.keys.trainerLease());
    assert.ok(ttlMs > 0 && ttlMs <= 2000, `lease TTL ${ttlMs} ms`);
    await holder.kill();
    const killedAt = Date.now();

    const takeover = await waitFor(
      async () => {
        const st = await status(other);
        return st.running ?? undefined;
      },
      { timeoutMs: 20_000, intervalMs: 50, message: 'the other replica to take over' },
    );
    const startedAt = Date.parse(takeover.startedAt);
    assert.ok(takeover.token > token, `fencing token ${takeover.token} after ${token}`);
    assert.equal(takeover.trigger, 'no-model');
    assert.ok(startedAt >= killedAt, 'not before the kill');
    // The lease still had ttlMs at measuredAt and nothing renewed it after the kill.
    assert.ok(startedAt >= measuredAt + ttlMs - 20, `took over ${startedAt - measuredAt} ms after the TTL was ${ttlMs} ms`);
    assert.equal((await status(other)).lock?.holder, takeover.runId.startsWith('replica-a') ? 'replica-a' : 'replica-b');
    assert.equal((await s.published()).length, 0, 'neither held run published (one was killed, one still holds)');

    // SIGTERM stops the run in progress and releases the lease at once.
    assert.equal(await other.stop(), 0);
    assert.equal(await s.redis.exists(s.keys.trainerLease()), 0);
    assert.deepEqual(
      logLines(other, 'run finished').map((l) => [l.outcome, l.error]),
      [['aborted', 'the trainer is shutting down']],
    );
  });
});
