/**
 * `clickwise bench predict [--seconds N] [--inflight 1,8,64] [--rate N] [--click-seconds N] [--json]`:
 * 1. Predict throughput and latency with ghz (`go install github.com/bojand/ghz/cmd/ghz@latest`) at
 *    each in-flight count, one HTTP/2 connection, shoppers round-robin over those the simulator made
 *    (features filled by the real features service), beside a trivial grpc-js echo server of the
 *    same method (tests/src/bench/grpc-echo.ts) at the same concurrency: ratio = prediction rps /
 *    echo rps, both measured in this run, one after the other.
 * 2. click → prediction at --rate events/s for --click-seconds: events produced to
 *    clickstream.events.v1 at that rate; latency = the prediction covering the event read from
 *    predictions.updated.v1 − the event's produce acknowledged (Kafka's acceptance).
 * Uses KAFKA_BROKERS (default: the local platform) and a Redis of its own; trainer idle.
 */
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { Event } from '@clickwise/contracts';
import { LocalRedis, repoRoot, uniqueName, waitFor } from '@clickwise/testing';
import { simulatorEvents } from '../features/harness.js';
import { PredictionScope, propensityDocument } from '../prediction/harness.js';
import { describeHardware, hardware, percentile, report, round } from './common.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    inflight: { type: 'string', default: '1,8,64' },
    rate: { type: 'string', default: '1000' },
    'click-seconds': { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stderr.write('clickwise bench predict [--seconds 10] [--inflight 1,8,64] [--rate 1000] [--click-seconds 20] [--json]\n');
  process.exit(0);
}
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const hw = hardware();
console.error(describeHardware(hw));

function tool(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} is not installed: go install github.com/bojand/ghz/cmd/ghz@latest`);
}

interface GhzReport {
  count: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution?: Record<string, number> | null;
}

async function ghz(address: string, inflight: number, seconds: number, data: object[], key: string): Promise<{ rps: number; p50Ms: number; p99Ms: number; ok: number; failed: number; cutOffAtEnd: number }> {
  const { stdout } = await run(
    tool('ghz'),
    ['--insecure', '--call', 'clickwise.v1.PredictionService/Predict', '--concurrency', String(inflight), '--connections', '1', '--duration', `${seconds}s`, '--format', 'json', '-m', JSON.stringify({ 'x-api-key': key }), '-d', JSON.stringify(data), address],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const r = JSON.parse(stdout) as GhzReport;
  const at = (p: number) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? Number.NaN) / 1e6;
  const ok = r.statusCodeDistribution.OK ?? 0;
  // ghz cancels the calls still in flight when --duration ends ("Canceled"/"closing"): not failures of the server.
  const cutOff = Object.entries(r.errorDistribution ?? {}).filter(([what]) => /Canceled|closing/i.test(what)).reduce((n, [, count]) => n + count, 0);
  return { rps: round(r.rps, 0), p50Ms: round(at(50), 2), p99Ms: round(at(99), 2), ok, failed: r.count - ok - cutOff, cutOffAtEnd: cutOff };
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
const scope = new PredictionScope(uniqueName('bench-predict'), brokers, redis.url);
const rows: Record<string, string | number>[] = [];
const json: Record<string, unknown> = { bench: 'predict', hardware: hw };
try {
  await scope.createTopics();
  await scope.startRegistry();
  await scope.publishModel(propensityDocument());
  const features = await scope.start({ LOG_LEVEL: 'warn' });
  const events = simulatorEvents(23, 20_000, { shoppers: 2_000, items: 1_000, rate: 200 });
  await scope.produce(events, 5000);
  await scope.waitCaughtUp(300_000, features);
  const shoppers = [...new Set(events.map((e) => e.userId || e.anonymousId))].slice(0, 1000);
  const key = await scope.createKey(['read']);
  const data = shoppers.map((s) => ({ shopper_key: s }));

  // 1. Predict vs echo.
  const prediction = await scope.startPrediction({ PREDICTION_PER_CLICK: 'false', LOG_LEVEL: 'warn' });
  const echo = await startEcho();
  const seconds = Number(values.seconds);
  const throughput: Record<string, unknown>[] = [];
  for (const inflight of values.inflight.split(',').filter(Boolean).map(Number)) {
    const p = await ghz(`127.0.0.1:${prediction.ports.grpc}`, inflight, seconds, data, key);
    const e = await ghz(`127.0.0.1:${echo.port}`, inflight, seconds, data, key);
    const ratio = round(p.rps / e.rps, 3);
    rows.push({ measure: `Predict, ${inflight} in flight`, 'calls/s': p.rps, 'p50 ms': p.p50Ms, 'p99 ms': p.p99Ms, failed: p.failed, 'echo calls/s': e.rps, 'echo p50/p99 ms': `${e.p50Ms}/${e.p99Ms}`, 'vs echo': `${ratio}×` });
    throughput.push({ inflight, prediction: p, echo: e, ratio });
  }
  json.throughput = throughput;
  echo.stop();
  await prediction.stop();

  // 2. click → prediction at a steady rate.
  const rate = Number(values.rate);
  const clickSeconds = Number(values['click-seconds']);
  const perClick = await scope.startPrediction({ LOG_LEVEL: 'warn' });
  await new Promise((r) => setTimeout(r, 3000)); // the group's first assignment
  const acked = new Map<string, number>();
  const latencies: number[] = [];
  const producer = scope.kafka.producer({ lingerMs: 0 });
  await producer.connect();
  const watcher = scope.kafka.consumerLoop({
    groupId: uniqueName('bench-predictions'),
    topic: scope.kafka.topics.predictionsUpdated,
    stage: 'bench',
    deadLetters: producer,
    fromBeginning: false,
    maxWaitTimeMs: 5,
    handle: (records) => {
      const now = Date.now();
      for (const r of records) {
        for (const id of r.value.eventIds) {
          const at = acked.get(id);
          if (at !== undefined) {
            latencies.push(now - at);
            acked.delete(id);
          }
        }
      }
      return Promise.resolve();
    },
  });
  await watcher.start();
  await new Promise((r) => setTimeout(r, 3000));
  const live = simulatorEvents(29, rate * clickSeconds, { shoppers: 2_000, items: 1_000, rate });
  const started = Date.now();
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const pending: Promise<void>[] = [];
  for (let i = 0, tick = 0; i < live.length; i += perTick, tick++) {
    const wait = started + tick * tickMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const slice: Event[] = live.slice(i, i + perTick);
    pending.push(producer.produce(scope.kafka.topics.events, slice).then(() => {
      const now = Date.now();
      for (const e of slice) acked.set(e.eventId, now);
    }));
  }
  await Promise.all(pending);
  const sentSeconds = (Date.now() - started) / 1000;
  await waitFor(() => latencies.length >= live.length, { timeoutMs: 30_000, intervalMs: 100, message: 'predictions for the produced events' }).catch(() => undefined);
  const covered = latencies.length;
  rows.push({ measure: `click → prediction at ${rate}/s`, 'calls/s': `${round(live.length / sentSeconds, 0)} events/s sent`, 'p50 ms': percentile(latencies, 50), 'p99 ms': percentile(latencies, 99), failed: `${live.length - covered} not covered after 30 s`, 'echo calls/s': '', 'echo p50/p99 ms': '', 'vs echo': '' });
  json.clickToPrediction = { rate, seconds: clickSeconds, events: live.length, covered, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: Math.max(...latencies) };
  // The service's own share: its histogram from the notice's Kafka time to the prediction written.
  const metrics = await (await fetch(`${perClick.url}/metrics`)).text();
  const buckets = [...metrics.matchAll(/^clickwise_prediction_notice_to_prediction_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm)].map((m) => ({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: Number(m[2]) }));
  const total = buckets.at(-1)?.count ?? 0;
  const bucketOf = (p: number) => buckets.find((b) => b.count >= total * p)?.le ?? Number.NaN;
  json.noticeToPredictionMs = { samples: total, p50AtMost: bucketOf(0.5) * 1000, p99AtMost: bucketOf(0.99) * 1000 };
  rows.push({ measure: '  of which notice → prediction written', 'calls/s': `${total} predictions`, 'p50 ms': `≤ ${bucketOf(0.5) * 1000}`, 'p99 ms': `≤ ${bucketOf(0.99) * 1000}`, failed: '', 'echo calls/s': '', 'echo p50/p99 ms': '', 'vs echo': '' });
  await watcher.stop();
  await producer.disconnect();
  await perClick.stop();
  await features.stop();
} finally {
  await scope.dispose().catch(() => undefined);
  await redis.dispose();
}
report('Prediction: one instance, Kafka, Redis, features and the load generator on this machine', rows, json, values.json);
