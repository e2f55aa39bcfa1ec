/**
 * `clickwise bench features [all|throughput|latency|memory] [--events N] [--rate N] [--seconds N] [--json]`:
 * figures of one features instance on this box (simulator events; trainer idle):
 * 1. throughput: the events topic is filled with simulator events first; then one features process
 *    applies all of them; events/s = events / (time from its first applied batch to caught up).
 * 2. latency at 1,000 events/s: events are produced at that rate while a consumer reads
 *    features.updated.v1; latency = notice received − the event's produce acknowledged ("accepted").
 * 3. memory: MEMORY USAGE of every shopper, session, item and category key after the RetailRocket
 *    week and a simulator run (20,000 events) were applied.
 * 4. restart: the instance is SIGKILLed --kills times while it works through a full events topic and
 *    restarted at once with the same FEATURES_INSTANCE_ID (static group membership where the client
 *    adapter supports it; ADR 0044); figure = spawn of the new process → its first applied batch.
 * Uses KAFKA_BROKERS (default: the local platform) and a Redis of its own.
 */
import { type Event } from '@clickwise/contracts';
import { LocalRedis, uniqueName, waitFor } from '@clickwise/testing';
import { parseArgs } from 'node:util';
import { FeaturesScope, retailRocketEvents, simulatorEvents } from '../features/harness.js';
import { describeHardware, hardware, report } from './common.js';

const mib = (bytes: string | undefined) => (bytes ? Math.round(Number(bytes) / 2 ** 20) : '?');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

async function redisStats(scope: FeaturesScope): Promise<string> {
  const info = await scope.redis.info('commandstats');
  const evalsha = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
  const cpu = /used_cpu_user:([\d.]+)/.exec(await scope.redis.info('cpu'));
  return evalsha ? `Redis: ${evalsha[1]} batch scripts, ${(Number(evalsha[2]) / Number(evalsha[1])).toFixed(0)} µs each; Redis CPU (user) ${cpu?.[1] ?? '?'} s` : '';
}

async function throughput(redisUrl: string, count: number): Promise<Record<string, number>> {
  const scope = new FeaturesScope('measure-tp', brokers, redisUrl);
  await scope.createTopics();
  const events = simulatorEvents(7, count, { shoppers: 50_000, items: 5_000, rate: 200 });
  const t0 = Date.now();
  await scope.produce(events, 5000);
  console.log(`produced ${count} simulator events in ${Date.now() - t0} ms`);
  const service = await scope.start({ LOG_LEVEL: 'warn' });
  while ((await scope.appliedOffsets()) === 0n) await new Promise((r) => setTimeout(r, 5));
  const first = Date.now();
  const firstApplied = await scope.appliedOffsets();
  await scope.waitCaughtUp(600_000, service);
  const ms = Date.now() - first;
  const applied = Number(BigInt(count) - firstApplied);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  const rss = /process_resident_memory_bytes\{[^}]*\} (\d+)/.exec(metrics)?.[1];
  const heap = /nodejs_heap_size_used_bytes\{[^}]*\} (\d+)/.exec(metrics)?.[1];
  const external = /nodejs_external_memory_bytes\{[^}]*\} (\d+)/.exec(metrics)?.[1];
  console.log(
    `throughput: ${applied} events in ${ms} ms = ${Math.round((applied / ms) * 1000)} events/s through one features instance ` +
      `(features RSS ${mib(rss)} MiB, JS heap used ${mib(heap)} MiB, external ${mib(external)} MiB). ${await redisStats(scope)}`,
  );
  await service.stop();
  await scope.dispose();
  return { events: applied, ms, eventsPerSec: Math.round((applied / ms) * 1000), rssMiB: Number(mib(rss)) };
}

async function latency(redisUrl: string, rate: number, seconds: number): Promise<Record<string, number>> {
  const scope = new FeaturesScope('measure-lat', brokers, redisUrl);
  await scope.createTopics();
  const service = await scope.start({ LOG_LEVEL: 'warn' });
  const events = simulatorEvents(8, rate * seconds, { shoppers: 20_000, items: 3_000, rate });
  const accepted = new Map<string, number>();
  const received = new Map<string, number>();
  const producer = scope.kafka.producer({ lingerMs: 0 });
  await producer.connect();
  const consumer = scope.kafka.consumerLoop({
    groupId: uniqueName('measure-reader'),
    topic: scope.kafka.topics.featuresUpdated,
    stage: 'bench-features',
    deadLetters: producer,
    maxWaitTimeMs: 5,
    handle: (records) => {
      const now = Date.now();
      // A notice can arrive before the producer's ack reached this process: then it counts as 0 ms.
      for (const r of records) if (!received.has(r.value.eventId)) received.set(r.value.eventId, now);
      return Promise.resolve();
    },
  });
  await consumer.start();
  await new Promise((r) => setTimeout(r, 3000));
  const started = Date.now();
  const perTick = rate / 100;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < events.length; i += perTick) {
    const due = started + (i / rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const slice: Event[] = events.slice(i, i + perTick);
    sends.push(
      producer.produce(scope.kafka.topics.events, slice).then(() => {
        const now = Date.now();
        for (const e of slice) accepted.set(e.eventId, now);
      }),
    );
  }
  await Promise.all(sends);
  const deadline = Date.now() + 30_000;
  while (received.size < events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const samples: number[] = [];
  for (const [id, at] of accepted) {
    const got = received.get(id);
    if (got !== undefined) samples.push(Math.max(0, got - at));
  }
  const sorted = samples.sort((a, b) => a - b);
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  const serviceSide = /clickwise_features_ingest_to_notice_seconds_bucket\{le="0.01"[^}]*\} (\d+)/.exec(metrics)?.[1];
  const serviceCount = /clickwise_features_ingest_to_notice_seconds_count\{[^}]*\} (\d+)/.exec(metrics)?.[1];
  console.log(
    `latency at ${rate} events/s for ${seconds} s: ${samples.length}/${events.length} notices; accepted → features.updated.v1 received: ` +
      `p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1)} ms` +
      (serviceSide && serviceCount ? `; service-side (append → notice acked) ≤ 10 ms for ${((Number(serviceSide) / Number(serviceCount)) * 100).toFixed(1)}%` : ''),
  );
  await consumer.stop();
  await producer.disconnect();
  await service.stop();
  await scope.dispose();
  return {
    rate,
    seconds,
    events: events.length,
    notices: samples.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

async function restart(redisUrl: string, count: number, kills: number, staticMembership: boolean): Promise<Record<string, number>> {
  const scope = new FeaturesScope('measure-restart', brokers, redisUrl);
  await scope.createTopics();
  await scope.produce(simulatorEvents(10, count, { shoppers: 50_000, items: 5_000, rate: 200 }), 5000);
  const extra: Record<string, string> = { LOG_LEVEL: 'warn', ...(staticMembership ? { FEATURES_INSTANCE_ID: uniqueName('features-instance') } : {}) };
  let service = await scope.start(extra);
  const readyMs: number[] = [];
  const firstMs: number[] = [];
  for (let k = 1; k <= kills; k++) {
    const threshold = (BigInt(count) * BigInt(k)) / BigInt(kills + 1);
    await waitFor(async () => (await scope.appliedOffsets()) >= threshold, { timeoutMs: 600_000, intervalMs: 20, message: `${threshold} events applied` });
    await service.kill();
    // A script sent just before the kill may still land: take the count once it stopped moving.
    let atKill = await scope.appliedOffsets();
    for (let again = await scope.appliedOffsets(); again !== atKill; again = await scope.appliedOffsets()) atKill = again;
    const spawned = Date.now();
    service = await scope.start(extra, { ready: false });
    const running = service;
    let ready: number | undefined;
    await waitFor(
      async () => {
        if (ready === undefined) {
          const ok = await fetch(`${running.url}/health/ready`, { signal: AbortSignal.timeout(500) }).then((r) => r.ok, () => false);
          if (ok) ready = Date.now() - spawned;
        }
        return (await scope.appliedOffsets()) > atKill;
      },
      { timeoutMs: 120_000, intervalMs: 10, message: `the restarted instance to apply a batch\n${running.output().slice(-3000)}` },
    );
    const first = Date.now() - spawned;
    firstMs.push(first);
    readyMs.push(ready ?? first);
    console.log(`restart ${k}/${kills}: killed at ${atKill}/${count} applied; spawn → first applied batch ${first} ms (→ ready ${ready ?? '≥ ' + String(first)} ms)`);
  }
  await service.stop();
  await scope.dispose();
  const sorted = [...firstMs].sort((a, b) => a - b);
  console.log(
    `restart (${scope.kafka.client}, ${staticMembership ? 'FEATURES_INSTANCE_ID set' : 'no FEATURES_INSTANCE_ID'}${scope.kafka.client === 'kafkajs' ? ', which kafkajs ignores' : ''}): spawn → first applied batch ` +
      `median ${percentile(sorted, 50)} ms, max ${sorted.at(-1)} ms over ${kills} SIGKILLs`,
  );
  return { kills, staticMembership: staticMembership ? 1 : 0, firstAppliedMedianMs: percentile(sorted, 50), firstAppliedMaxMs: sorted.at(-1) ?? Number.NaN, readyMedianMs: percentile([...readyMs].sort((a, b) => a - b), 50) };
}

async function memory(redisUrl: string): Promise<Record<string, number>> {
  const scope = new FeaturesScope('measure-mem', brokers, redisUrl);
  await scope.createTopics();
  const service = await scope.start({ LOG_LEVEL: 'warn' });
  await scope.produce(retailRocketEvents());
  await scope.produce(simulatorEvents(9, 20_000));
  await scope.waitCaughtUp(300_000, service);
  await service.stop();
  const lines: string[] = [];
  const means: Record<string, number> = {};
  const patterns = {
    shopper: scope.keys.pattern('shopper'),
    session: scope.keys.pattern('session'),
    'shopper session set': `${scope.keys.base}us:*`,
    item: scope.keys.pattern('item'),
    category: scope.keys.pattern('category'),
  };
  for (const [kind, pattern] of Object.entries(patterns)) {
    const sizes: number[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await scope.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      cursor = next;
      const usage = await Promise.all(keys.map((k) => scope.redis.memory('USAGE', k, 'SAMPLES', '0')));
      for (const u of usage) sizes.push(Number(u));
    } while (cursor !== '0');
    sizes.sort((a, b) => a - b);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    means[`${kind.replaceAll(' ', '_')}_mean_bytes`] = Math.round(mean);
    lines.push(`${kind}: ${sizes.length} keys, mean ${Math.round(mean)} B, p50 ${percentile(sizes, 50)} B, p95 ${percentile(sizes, 95)} B, max ${sizes.at(-1)} B`);
  }
  const used = /used_memory:(\d+)/.exec(await scope.redis.info('memory'))?.[1];
  console.log(`memory (RetailRocket week + 20,000 simulated events): ${lines.join('; ')}; Redis used_memory ${mib(used)} MiB`);
  await scope.dispose();
  return { ...means, redisUsedMiB: Number(mib(used)) };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    kills: { type: 'string', default: '3' },
    'dynamic-membership': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stderr.write(`Usage: clickwise bench features [all|throughput|latency|memory|restart] [--events N] [--rate N] [--seconds N] [--kills N] [--dynamic-membership] [--json]
  throughput  fill the events topic with --events simulator events, then time one features instance through them
  latency     produce at --rate events/s for --seconds; accepted (produce acked) → features.updated.v1 received
  memory      Redis bytes per shopper, session, item and category key after the RetailRocket week + 20,000 simulated events
  restart     SIGKILL one instance --kills times while it applies --events events, restart it with the same
              FEATURES_INSTANCE_ID (unless --dynamic-membership): spawn → first applied batch (KAFKA_CLIENT picks the client)
`);
  process.exit(0);
}
const hw = hardware();
console.log(`hardware: ${describeHardware(hw)}`);
// Redis of its own, so other work on the shared one does not blur the figures.
const redis = await LocalRedis.startOwn();
const results: Record<string, Record<string, number>> = {};
try {
  const what = positionals[0] ?? 'all';
  if (what === 'all' || what === 'throughput') results.throughput = await throughput(redis.url, Number(values.events));
  if (what === 'all' || what === 'latency') results.latency = await latency(redis.url, Number(values.rate), Number(values.seconds));
  if (what === 'all' || what === 'memory') results.memory = await memory(redis.url);
  // Not in `all`: it kills processes on purpose.
  if (what === 'restart') results.restart = await restart(redis.url, Number(values.events), Number(values.kills), !values['dynamic-membership']);
} finally {
  await redis.dispose();
}
report(
  'Features: one instance, Kafka and Redis on this machine',
  Object.entries(results).map(([name, r]) => ({ measure: name, figures: Object.entries(r).map(([k, v]) => `${k}=${v}`).join(' ') })),
  { bench: 'features', hardware: hw, ...results },
  values.json,
);
