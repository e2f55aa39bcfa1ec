/**
 * `clickwise bench recommend [--seconds N] [--inflight 1,8,64] [--events N] [--workers N] [--cpu-prof DIR] [--json]`:
 * Recommend throughput and latency with ghz (pinned; deploy/local/bench-tools.sh installs it) at
 * each in-flight count, one HTTP/2 connection per recommender process, shoppers round-robin over those the simulator made
 * (the live index filled by the real recommender from clickstream.events.v1), beside a trivial
 * grpc-js echo server of the same method (tests/src/bench/grpc-echo.ts) at the same concurrency:
 * ratio = recommender rps / echo rps, both measured in this run, one after the other. Then the same
 * for SimilarItems over the items. Also reported: the service's own histogram from an event's
 * acceptance (Kafka timestamp) to its batch applied to the index.
 * Also the recommender's CPU time per call (from /proc, summed over its workers); --cpu-prof DIR
 * writes a V8 CPU profile of each recommender process into DIR. --workers N runs the recommender as
 * N processes (RECOMMENDER_WORKERS, ADR 0048) and gives ghz N connections (the primary hands
 * connections to the workers round-robin), to the echo server too (one process either way).
 * Uses KAFKA_BROKERS (default: the local platform) and a Redis of its own; trainer idle.
 */
import { spawn, execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { LocalRedis, repoRoot, uniqueName } from '@clickwise/testing';
import { simulatorEvents } from '../features/harness.js';
import { RecommenderScope } from '../recommender/harness.js';
import { describeHardware, hardware, processCpuMs, report, round, CUT_OFF, goTool } from './common.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    inflight: { type: 'string', default: '1,8,64' },
    events: { type: 'string', default: '40000' },
    workers: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stderr.write('clickwise bench recommend [--seconds 10] [--inflight 1,8,64] [--events 40000] [--workers 1] [--cpu-prof DIR] [--json]\n');
  process.exit(0);
}
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new Error(`--workers must be a count 1-16, got "${values.workers}"`);
const hw = hardware();
console.error(describeHardware(hw));

interface GhzReport {
  count: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution?: Record<string, number> | null;
}

async function ghz(
  address: string,
  method: string,
  inflight: number,
  seconds: number,
  data: object[],
  key: string,
  connections: number,
): Promise<{ rps: number; p50Ms: number; p99Ms: number; ok: number; failed: number; cutOffAtEnd: number; statuses: Record<string, number> }> {
  const { stdout } = await run(
    goTool('ghz'),
    ['--insecure', '--call', method, '--concurrency', String(inflight), '--connections', String(connections), '--duration', `${seconds}s`, '--format', 'json', '-m', JSON.stringify({ 'x-api-key': key }), '-d', JSON.stringify(data), address],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout) as GhzReport;
  const at = (p: number) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? Number.NaN) / 1e6;
  const ok = r.statusCodeDistribution.OK ?? 0;
  // The calls ghz cut off itself when --duration ended (CUT_OFF) are not failures of the server.
  const cutOff = Object.entries(r.errorDistribution ?? {}).filter(([what]) => CUT_OFF.test(what)).reduce((n, [, count]) => n + count, 0);
  // The failures by status (RESOURCE_EXHAUSTED is the service's back-pressure, UNAVAILABLE a Redis timeout).
  const statuses: Record<string, number> = {};
  for (const [what, count] of Object.entries(r.errorDistribution ?? {})) {
    if (CUT_OFF.test(what)) continue;
    const code = /code = (\w+)/.exec(what)?.[1] ?? what.slice(0, 40);
    statuses[code] = (statuses[code] ?? 0) + count;
  }
  return { rps: round(r.rps, 0), p50Ms: round(at(50), 2), p99Ms: round(at(99), 2), ok, failed: r.count - ok - cutOff, cutOffAtEnd: cutOff, statuses };
}

async function startEcho(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(repoRoot(), 'tests/dist/bench/grpc-echo.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', (code) => reject(new Error(`echo server exited ${code}`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

const redis = await LocalRedis.startOwn();
const scope = new RecommenderScope(uniqueName('bench-recommend'), brokers, redis.url);
const rows: Record<string, string | number>[] = [];
const json: Record<string, unknown> = { bench: 'recommend', hardware: hw, workers, connections: workers };
try {
  await scope.createTopics();
  const profileDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
  const recommender = await scope.startRecommender({ LOG_LEVEL: 'warn', RECOMMENDER_WORKERS: String(workers), ...(profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}) });
  const events = simulatorEvents(31, Number(values.events), { shoppers: 3_000, items: 2_000, rate: 200 });
  const indexStarted = Date.now();
  await scope.produce(events, 5000);
  await scope.waitIndexed(recommender, 600_000);
  const indexSeconds = (Date.now() - indexStarted) / 1000;
  const shoppers = [...new Set(events.map((e) => e.userId || e.anonymousId))].slice(0, 1000);
  const items = [...new Set(events.map((e) => e.itemId).filter(Boolean))].slice(0, 1000);
  const indexed = await (await fetch(`${recommender.url}/metrics`)).text();
  const indexedEvents = Number(/^clickwise_recommender_events_indexed_total(?:\{[^}]*\})? (\S+)$/m.exec(indexed)?.[1] ?? 0);
  json.index = { events: events.length, indexedEvents, shoppers: new Set(events.map((e) => e.userId || e.anonymousId)).size, items: new Set(events.map((e) => e.itemId).filter(Boolean)).size, seconds: round(indexSeconds, 1) };
  rows.push({ measure: `index ${events.length} simulator events`, 'calls/s': `${round(events.length / indexSeconds, 0)} events/s`, 'p50 ms': '', 'p99 ms': '', failed: '', 'echo calls/s': '', 'echo p50/p99 ms': '', 'vs echo': '', 'CPU µs/call': '' });
  const key = await scope.createKey(['read']);

  const echo = await startEcho();
  const seconds = Number(values.seconds);
  const throughput: Record<string, unknown>[] = [];
  const calls = [
    { name: 'Recommend', method: 'clickwise.v1.RecommenderService/Recommend', data: shoppers.map((s) => ({ shopper_key: s, k: 10 })) },
    { name: 'SimilarItems', method: 'clickwise.v1.RecommenderService/SimilarItems', data: items.map((i) => ({ item_id: i, k: 10 })) },
  ];
  for (const call of calls) {
    for (const inflight of values.inflight.split(',').filter(Boolean).map(Number)) {
      const cpuBefore = processCpuMs(recommender.child.pid);
      const r = await ghz(`127.0.0.1:${recommender.ports.grpc}`, call.method, inflight, seconds, call.data, key, workers);
      const cpuUsPerCall = round(((processCpuMs(recommender.child.pid) - cpuBefore) * 1000) / Math.max(1, r.ok), 0);
      const e = await ghz(`127.0.0.1:${echo.port}`, call.method, inflight, seconds, call.data, key, workers);
      const ratio = round(r.rps / e.rps, 3);
      rows.push({ measure: `${call.name}, ${inflight} in flight`, 'calls/s': r.rps, 'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, failed: r.failed === 0 ? 0 : `${r.failed} (${Object.entries(r.statuses).map(([status, n]) => `${status} ${n}`).join(', ')})`, 'echo calls/s': e.rps, 'echo p50/p99 ms': `${e.p50Ms}/${e.p99Ms}`, 'vs echo': `${ratio}×`, 'CPU µs/call': cpuUsPerCall });
      throughput.push({ call: call.name, inflight, recommender: { ...r, cpuUsPerCall }, echo: e, ratio });
    }
  }
  json.throughput = throughput;
  echo.stop();
  const eight = throughput.find((t) => t.call === 'Recommend' && t.inflight === 8) as { recommender: { p50Ms: number; p99Ms: number } } | undefined;
  if (eight) json.targets = { inflight: 8, p50Ms: eight.recommender.p50Ms, p50TargetMs: 2, p99Ms: eight.recommender.p99Ms, p99TargetMs: 10, met: eight.recommender.p50Ms <= 2 && eight.recommender.p99Ms <= 10 };

  // The service's own share: its histogram from an event's acceptance to its batch in the index.
  const metrics = await (await fetch(`${recommender.url}/metrics`)).text();
  const buckets = [...metrics.matchAll(/^clickwise_recommender_accept_to_indexed_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm)].map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) }));
  const total = buckets.at(-1)?.count ?? 0;
  const bucketOf = (p: number) => buckets.find((b) => b.count >= total * p)?.le ?? Number.NaN;
  json.acceptToIndexedMs = { samples: total, p50AtMost: bucketOf(0.5) * 1000, p99AtMost: bucketOf(0.99) * 1000, note: 'includes the backlog of the bulk load' };
  await recommender.stop();
} finally {
  await scope.dispose().catch(() => undefined);
  await redis.dispose();
}
report('Recommender: one instance, Kafka, Redis and the load generator on this machine', rows, json, values.json);
