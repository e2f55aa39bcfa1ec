/**
 * `clickwise bench predict [--seconds N] [--rounds N] [--inflight 1,8,64] [--rate N] [--click-seconds N]
 *  [--warmup-seconds N] [--timeline FILE] [--parts throughput,clicks] [--cpu-prof DIR] [--json]`:
 * 1. Predict throughput and latency with ghz (pinned; deploy/local/bench-tools.sh installs it) at
 *    each in-flight count, one HTTP/2 connection, shoppers round-robin over those the simulator made
 *    (features filled by the real features service), beside a trivial grpc-js echo server of the
 *    same method (tests/src/bench/grpc-echo.ts, answering a Predict-sized message) at the same
 *    concurrency. --rounds N interleaves N echo and N Predict runs per in-flight count (the order
 *    alternates), so load from elsewhere on the box falls on both; the ratio is the median of the
 *    rounds' ratios. CPU per call: the server process's user+system time over the run / its calls.
 * 2. click → prediction at --rate events/s for --click-seconds, after --warmup-seconds at the same rate
 *    whose events are not measured (the services' first batches compile their code paths and
 *    size their heaps: steady state is measured, and the warm-up's own p50/p99 is printed beside
 *    it); events produced to
 *    clickstream.events.v1 at that rate; latency = the prediction covering the event read from
 *    predictions.updated.v1 − the event's produce acknowledged (Kafka's acceptance), with each
 *    stage: accepted → notice written (features: fetch, apply, notice produce; the notice's Kafka
 *    time), notice → scored (prediction: fetch, coalesce, read, score; the prediction's
 *    predicted_at), scored → read by a consumer (prediction's produce + Kafka + a consumer's fetch).
 * --timeline FILE writes one line per measured event: ms since the measured part began at its
 *    acceptance, then its click → prediction, accepted → notice and accepted → scored ms.
 * --cpu-prof DIR writes V8 CPU profiles of the prediction process (one per part) and of the features
 *    process into DIR.
 * Uses KAFKA_BROKERS (default: the local platform) and a Redis of its own; trainer idle.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { Event } from '@clickwise/contracts';
import { LocalRedis, repoRoot, uniqueName, waitFor } from '@clickwise/testing';
import { simulatorEvents } from '../features/harness.js';
import { PredictionScope, propensityDocument } from '../prediction/harness.js';
import { describeHardware, hardware, ownCpuMs, percentile, pidFrom, processCpuMs, report, round, CUT_OFF, goTool } from './common.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    inflight: { type: 'string', default: '1,8,64' },
    rate: { type: 'string', default: '1000' },
    'click-seconds': { type: 'string', default: '20' },
    'warmup-seconds': { type: 'string', default: '5' },
    timeline: { type: 'string' },
    parts: { type: 'string', default: 'throughput,clicks' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stderr.write('clickwise bench predict [--seconds 10] [--rounds 1] [--inflight 1,8,64] [--rate 1000] [--click-seconds 20] [--warmup-seconds 5] [--timeline FILE] [--parts throughput,clicks] [--cpu-prof DIR] [--json]\n');
  process.exit(0);
}
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const parts = new Set(values.parts.split(','));
const profileDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
if (profileDir) mkdirSync(profileDir, { recursive: true });
/** Node options that make a started process write a CPU profile when it exits. */
const profiling = (name: string): Record<string, string> => (profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${join(profileDir, name)}` } : {});
const hw = hardware();
console.error(describeHardware(hw));

interface GhzReport {
  count: number;
  rps: number;
  latencyDistribution: { percentage: number; latency: number }[] | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution?: Record<string, number> | null;
}

interface Run {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
  cutOffAtEnd: number;
  /** Server CPU per answered call (µs). */
  cpuUsPerCall: number;
}

async function ghz(address: string, pid: number, inflight: number, seconds: number, data: object[], key: string): Promise<Run> {
  const cpuBefore = processCpuMs(pid);
  const { stdout } = await run(
    goTool('ghz'),
    ['--insecure', '--call', 'clickwise.v1.PredictionService/Predict', '--concurrency', String(inflight), '--connections', '1', '--duration', `${seconds}s`, '--format', 'json', '-m', JSON.stringify({ 'x-api-key': key }), '-d', JSON.stringify(data), address],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const cpu = processCpuMs(pid) - cpuBefore;
  const r = JSON.parse(stdout) as GhzReport;
  const at = (p: number) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? Number.NaN) / 1e6;
  const ok = r.statusCodeDistribution.OK ?? 0;
  // The calls ghz cut off itself when --duration ended (CUT_OFF) are not failures of the server.
  const cutOff = Object.entries(r.errorDistribution ?? {}).filter(([what]) => CUT_OFF.test(what)).reduce((n, [, count]) => n + count, 0);
  return { rps: round(r.rps, 0), p50Ms: round(at(50), 2), p99Ms: round(at(99), 2), ok, failed: r.count - ok - cutOff, cutOffAtEnd: cutOff, cpuUsPerCall: round((cpu * 1000) / Math.max(1, ok), 1) };
}

async function startEcho(): Promise<{ port: number; pid: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(repoRoot(), 'tests/dist/bench/grpc-echo.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    child.once('exit', (code) => reject(new Error(`echo server exited ${code}`)));
  });
  return { port, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

const median = (xs: readonly number[]) => percentile(xs, 50);

const redis = await LocalRedis.startOwn();
const scope = new PredictionScope(uniqueName('bench-predict'), brokers, redis.url);
const rows: Record<string, string | number>[] = [];
const json: Record<string, unknown> = { bench: 'predict', hardware: hw, args: values };
try {
  await scope.createTopics();
  await scope.startRegistry();
  await scope.publishModel(propensityDocument());
  const features = await scope.start({ LOG_LEVEL: 'warn', ...profiling('features') });
  const events = simulatorEvents(23, 20_000, { shoppers: 2_000, items: 1_000, rate: 200 });
  await scope.produce(events, 5000);
  await scope.waitCaughtUp(300_000, features);
  const shoppers = [...new Set(events.map((e) => e.userId || e.anonymousId))].slice(0, 1000);
  const key = await scope.createKey(['read']);
  const data = shoppers.map((s) => ({ shopper_key: s }));

  // 1. Predict vs echo, interleaved rounds.
  if (parts.has('throughput')) {
    const prediction = await scope.startPrediction({ PREDICTION_PER_CLICK: 'false', LOG_LEVEL: 'warn', ...profiling('predict') });
    const echo = await startEcho();
    const seconds = Number(values.seconds);
    const rounds = Math.max(1, Number(values.rounds));
    const throughput: Record<string, unknown>[] = [];
    for (const inflight of values.inflight.split(',').filter(Boolean).map(Number)) {
      const ps: Run[] = [];
      const es: Run[] = [];
      for (let r = 0; r < rounds; r++) {
        const predict = () => ghz(`127.0.0.1:${prediction.ports.grpc}`, prediction.child.pid!, inflight, seconds, data, key);
        const anchor = () => ghz(`127.0.0.1:${echo.port}`, echo.pid, inflight, seconds, data, key);
        if (r % 2 === 0) {
          ps.push(await predict());
          es.push(await anchor());
        } else {
          es.push(await anchor());
          ps.push(await predict());
        }
      }
      const ratios = ps.map((p, i) => round(p.rps / es[i]!.rps, 3));
      const ratio = median(ratios);
      const p = { rps: median(ps.map((x) => x.rps)), p50Ms: median(ps.map((x) => x.p50Ms)), p99Ms: median(ps.map((x) => x.p99Ms)), failed: ps.reduce((n, x) => n + x.failed, 0), cpuUsPerCall: median(ps.map((x) => x.cpuUsPerCall)) };
      const e = { rps: median(es.map((x) => x.rps)), p50Ms: median(es.map((x) => x.p50Ms)), p99Ms: median(es.map((x) => x.p99Ms)), cpuUsPerCall: median(es.map((x) => x.cpuUsPerCall)) };
      rows.push({
        measure: `Predict, ${inflight} in flight`,
        'calls/s': p.rps,
        'p50 ms': p.p50Ms,
        'p99 ms': p.p99Ms,
        failed: p.failed,
        'CPU µs/call': p.cpuUsPerCall,
        'echo calls/s': e.rps,
        'echo p50/p99 ms': `${e.p50Ms}/${e.p99Ms}`,
        'echo CPU µs/call': e.cpuUsPerCall,
        'vs echo': `${ratio}×${rounds > 1 ? ` (${Math.min(...ratios)}–${Math.max(...ratios)})` : ''}`,
      });
      throughput.push({ inflight, rounds, prediction: p, echo: e, ratio, ratios, predictionRuns: ps, echoRuns: es });
    }
    json.throughput = throughput;
    echo.stop();
    await prediction.stop();
  }

  // 2. click → prediction at a steady rate, with its stages.
  if (parts.has('clicks')) {
    const rate = Number(values.rate);
    const clickSeconds = Number(values['click-seconds']);
    const perClick = await scope.startPrediction({ LOG_LEVEL: 'warn', ...profiling('clicks') });
    await new Promise((r) => setTimeout(r, 3000)); // the group's first assignment
    const acked = new Map<string, number>();
    /**
     * Event ids a prediction named before this process had seen their produce acknowledged (its
     * event loop behind the pipeline), with when that prediction was read and scored: counted
     * when the acknowledgement is seen, at 0 ms if it came after the prediction.
     */
    const readUnacked = new Map<string, { readAt: number; scoredAt: number }>();
    let readBeforeAck = 0;
    const noticed = new Map<string, number>();
    const total: number[] = [];
    const timeline: number[][] = [];
    const toNotice: number[] = [];
    const toScored: number[] = [];
    const toRead: number[] = [];
    const producer = scope.kafka.producer({ lingerMs: 0 });
    await producer.connect();
    const notices = scope.kafka.consumerLoop({
      groupId: uniqueName('bench-notices'),
      topic: scope.kafka.topics.featuresUpdated,
      stage: 'bench',
      deadLetters: producer,
      fromBeginning: false,
      maxWaitTimeMs: 5,
      handle: (records) => {
        for (const r of records) noticed.set(r.value.eventId, r.timestampMs);
        return Promise.resolve();
      },
    });
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
          const scoredAt = Number(r.value.predictedAtMs);
          for (const id of r.value.eventIds) {
            const at = acked.get(id);
            if (at === undefined) {
              const warmAt = warmAcked.get(id);
              if (warmAt !== undefined) warm.push(now - warmAt);
              else readUnacked.set(id, { readAt: now, scoredAt }); // a measured event's ack not seen yet, or an event of no one's
              warmAcked.delete(id);
              continue;
            }
            measure(id, at, now, scoredAt);
            acked.delete(id);
          }
        }
        return Promise.resolve();
      },
    });
    /** One measured event: acknowledged at `at`, its prediction scored at `scoredAt` and read at `readAt`. */
    const measure = (id: string, at: number, readAt: number, scoredAt: number): void => {
      total.push(Math.max(0, readAt - at));
      timeline.push([at, Math.max(0, readAt - at), (noticed.get(id) ?? NaN) - at, scoredAt - at]);
      const notice = noticed.get(id);
      if (notice !== undefined) {
        toNotice.push(notice - at);
        toScored.push(scoredAt - notice);
      }
      toRead.push(readAt - scoredAt);
    };
    await notices.start();
    await watcher.start();
    await new Promise((r) => setTimeout(r, 3000));
    const warmupSeconds = Number(values['warmup-seconds']);
    const warmCount = Math.round(rate * warmupSeconds);
    // One stream: its first warmCount events warm the path up, the rest are measured.
    const stream = simulatorEvents(29, warmCount + rate * clickSeconds, { shoppers: 2_000, items: 1_000, rate });
    const live = stream.slice(warmCount);
    const warm: number[] = [];
    const warmAcked = new Map<string, number>();
    // CPU per event of every process on the click path (the box has two cores: at 1,000 events/s
    // the sum must stay well under 2,000 µs per event, or the stages queue for a core).
    const kafkaPort = brokers[0]!.split(':')[1] ?? '9092';
    const processes: [string, () => number][] = [
      ['prediction', () => processCpuMs(perClick.child.pid)],
      ['features', () => processCpuMs(features.child.pid)],
      ['Kafka', () => { const pid = pidFrom(join(repoRoot(), `.clickwise/kafka-${kafkaPort}/kafka.pid`)); return pid === undefined ? Number.NaN : ownCpuMs(pid); }],
      ['Redis', () => { const pid = pidFrom(join(redis.dir, 'redis.pid')); return pid === undefined ? Number.NaN : ownCpuMs(pid); }],
      ['load generator and readers (this process)', () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }],
    ];
    let cpuAtStart = processes.map(([, read]) => read());
    let cpuBefore = cpuAtStart[0]!;
    const tickMs = 10;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    const pending: Promise<void>[] = [];
    const begun = Date.now();
    let started = begun;
    for (let i = 0, tick = 0; i < stream.length; tick++) {
      if (i >= warmCount && started === begun && warmCount > 0) {
        // The measured part starts: CPU from here on.
        started = Date.now();
        cpuAtStart = processes.map(([, read]) => read());
        cpuBefore = cpuAtStart[0]!;
      }
      const wait = begun + tick * tickMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const end = Math.min(i + perTick, i < warmCount ? warmCount : stream.length); // the warm-up's last tick ends at warmCount
      const slice: Event[] = stream.slice(i, end);
      const into = i < warmCount ? warmAcked : acked;
      i = end;
      pending.push(
        producer.produce(scope.kafka.topics.events, slice).then(() => {
          const now = Date.now();
          for (const e of slice) {
            const early = into === acked ? readUnacked.get(e.eventId) : undefined;
            if (early) {
              // Its prediction was read before this acknowledgement was seen: covered, at 0 ms.
              readUnacked.delete(e.eventId);
              readBeforeAck++;
              measure(e.eventId, now, early.readAt, early.scoredAt);
            } else into.set(e.eventId, now);
          }
        }),
      );
    }
    await Promise.all(pending);
    const sentSeconds = (Date.now() - started) / 1000;
    await waitFor(() => total.length >= live.length, { timeoutMs: 30_000, intervalMs: 100, message: 'predictions for the produced events' }).catch(() => undefined);
    const cpu = processCpuMs(perClick.child.pid) - cpuBefore;
    const cpuByProcess = Object.fromEntries(processes.map(([name, read], i) => [name, round(((read() - cpuAtStart[i]!) * 1000) / live.length, 0)]));
    const covered = total.length;
    // What became of the events no prediction named within 30 s: features' notice seen, or not.
    const uncovered = [...acked.keys()];
    const why = uncovered.length === 0 ? '' : `: ${uncovered.filter((id) => noticed.has(id)).length} with a notice`;
    if (values.timeline) writeFileSync(values.timeline, timeline.map(([a, ...l]) => `${a! - started} ${l.join(' ')}`).join('\n') + '\n');
    const stage = (xs: number[]) => ({ samples: xs.length, p50Ms: percentile(xs, 50), p99Ms: percentile(xs, 99) });
    const blank = { failed: '', 'CPU µs/call': '', 'echo calls/s': '', 'echo p50/p99 ms': '', 'echo CPU µs/call': '', 'vs echo': '' };
    if (warmCount > 0) rows.push({ measure: `  warm-up (${warmupSeconds} s before, not measured)`, 'calls/s': `${warm.length} events`, 'p50 ms': percentile(warm, 50), 'p99 ms': percentile(warm, 99), ...blank });
    rows.push({ measure: `click → prediction at ${rate}/s`, 'calls/s': `${round(live.length / sentSeconds, 0)} events/s sent`, 'p50 ms': percentile(total, 50), 'p99 ms': percentile(total, 99), ...blank, failed: `${live.length - covered} not covered after 30 s${why}${readBeforeAck > 0 ? `; ${readBeforeAck} predicted before their ack was seen (counted at 0 ms)` : ''}`, 'CPU µs/call': `${round((cpu * 1000) / Math.max(1, covered), 0)} per event` });
    for (const [name, xs] of [['  accepted → notice written (features)', toNotice], ['  notice → scored (prediction)', toScored], ['  scored → read from predictions.updated.v1', toRead]] as const) {
      rows.push({ measure: name, 'calls/s': `${xs.length} events`, 'p50 ms': percentile(xs, 50), 'p99 ms': percentile(xs, 99), ...blank });
    }
    const totalCpu = Object.values(cpuByProcess).reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
    rows.push({ measure: '  CPU per event, by process', 'calls/s': '', 'p50 ms': '', 'p99 ms': '', ...blank, 'CPU µs/call': `${Object.entries(cpuByProcess).map(([n, v]) => `${n} ${v}`).join(', ')}; total ${round(totalCpu, 0)}` });
    json.clickToPrediction = {
      rate, seconds: clickSeconds, measuredFromMs: started, events: live.length, covered, uncovered: { count: uncovered.length, noticed: uncovered.filter((id) => noticed.has(id)).length }, readBeforeAck, p50Ms: percentile(total, 50), p99Ms: percentile(total, 99), maxMs: Math.max(...total),
      predictionCpuUsPerEvent: round((cpu * 1000) / Math.max(1, covered), 0),
      cpuUsPerEventByProcess: cpuByProcess,
      stages: { acceptedToNotice: stage(toNotice), noticeToScored: stage(toScored), scoredToRead: stage(toRead) },
      warmup: { seconds: warmupSeconds, events: warmCount, ...stage(warm), maxMs: warm.length > 0 ? Math.max(...warm) : Number.NaN },
    };
    await watcher.stop();
    await notices.stop();
    await producer.disconnect();
    await perClick.stop();
  }
  await features.stop();
} finally {
  await scope.dispose().catch(() => undefined);
  await redis.dispose();
}
json.loadAverageAtEnd = round(loadavg()[0] ?? 0, 1);
report(`Prediction: one instance, Kafka, Redis, features and the load generator on this machine (load average ${hw.loadAverage} at the start, ${String(json.loadAverageAtEnd)} at the end)`, rows, json, values.json);
