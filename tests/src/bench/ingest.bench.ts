/**
 * `clickwise bench ingest`: sustained HTTP ingest throughput and accept latency through one
 * ingestion process (acks=all, idempotent producer, Redis dedupe), at batch sizes 1, 100 and 1000,
 * with simulator events, Kafka, Redis and this load generator all on this machine. Printed beside
 * Kafka's own producer benchmark for the same record size, as a ratio.
 *
 * Every event id is new, so each accepted event really is a Kafka write; at the end the topic's
 * record count is checked against the accepted total.
 *
 * `--rounds N` interleaves the two N times (ingest at every batch size, then Kafka's tool) and
 * reports the ratio per round and the median: on a shared machine the load moves between minutes.
 * Each row also gives the CPU the ingestion process spent per 1,000 accepted events (from
 * /proc/<pid>/stat over the load's window, summed over its worker processes), which stays
 * comparable across loads (ADR 0045).
 *
 * `--variants "a:ENV=V,…;b:…"` runs every round once per variant, each with its own ingestion
 * process started with that environment (`ENTRY=/abs/dist/main.js` runs another build of the
 * service, e.g. main's, for a before/after in one run): ratios are then taken in the same round.
 * `--cpu-prof DIR` writes a V8 CPU profile of each ingestion process (and its workers) into DIR.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAlexaReviews, parseLabelledSentences, type ReviewSample } from '@clickwise/clickstream-files';
import type { KafkaPlatform } from '@clickwise/kafka';
import { Simulator } from '@clickwise/simulator';
import { repoRoot, testInfra } from '@clickwise/testing';
import { TestScope } from '../ingestion/harness.js';
import { describeHardware, hardware, LatencyRecorder, ownCpuMs, pidFrom, processCpuMs, processTree, report, round } from './common.js';
import { kafkaProducerPerf } from './kafka-producer-perf.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    batches: { type: 'string', default: '1,100,1000' },
    concurrency: { type: 'string', default: '' },
    'kafka-records': { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '1' },
    variants: { type: 'string', default: '' },
    'cpu-prof': { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stderr.write(`Usage: clickwise bench ingest [--duration S] [--batches 1,100,1000] [--concurrency N] [--kafka-records N] [--rounds N] [--json]
  --duration      seconds of sustained load per batch size (default 60)
  --concurrency   requests in flight (default: 64 at batch 1, 16 at 100, 8 at 1000)
  --rounds        ingest then Kafka's tool, N times interleaved; ratio per round and the median (default 1)
  --variants      "label:ENV=V,ENV=V;label2:…": each round runs each variant's own ingestion process
                  (ENTRY=/abs/path/main.js: another build of the service); figures per variant
  --cpu-prof DIR  V8 CPU profiles of the ingestion processes into DIR (node --cpu-prof)
`);
  process.exit(0);
}

const durationMs = Number(values.duration) * 1000;
const batchSizes = values.batches.split(',').map(Number);
const rounds = Math.max(1, Number(values.rounds));
const defaultConcurrency = (batch: number) => (batch <= 1 ? 64 : batch <= 100 ? 16 : 8);

interface Variant {
  label: string;
  env: Record<string, string>;
  /** Another build's entry (absolute path), or undefined for this checkout's. */
  entry: string | undefined;
}

/** `a:K=V,K=V;b:…` → variants; one unnamed variant when empty. */
function parseVariants(spec: string): Variant[] {
  if (!spec.trim()) return [{ label: '', env: {}, entry: undefined }];
  return spec.split(';').map((part) => {
    const colon = part.indexOf(':');
    const label = (colon < 0 ? part : part.slice(0, colon)).trim();
    const env: Record<string, string> = {};
    let entry: string | undefined;
    for (const pair of colon < 0 ? [] : part.slice(colon + 1).split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (name === 'ENTRY') entry = value;
      else env[name] = value;
    }
    return { label, env, entry };
  });
}
const variants = parseVariants(values.variants);

function loadReviews(): ReviewSample[] {
  const dir = resolve(repoRoot(), '..', 'shared', 'data', 'reviews');
  const out: ReviewSample[] = [];
  try {
    out.push(...parseAlexaReviews(readFileSync(join(dir, 'amazon_alexa.tsv'), 'utf8')));
    out.push(...parseLabelledSentences(readFileSync(join(dir, 'yelp_labelled.txt'), 'utf8')));
  } catch {
    // The simulator has a small built-in corpus.
  }
  return out;
}

/**
 * Pre-serialised simulator events with the id cut out (as UTF-8 bytes), so each request body is
 * assembled by copying bytes around fresh ids: the generator stays cheap next to the service it
 * loads (building the body as a string and encoding it per request cost it ~4.5 ms per 1,000
 * events, a sixth of the box's CPU at batch 1000).
 */
function eventTemplates(count: number): Buffer[] {
  const simulator = new Simulator({ seed: 'bench-ingest', startTime: Date.now() - 3_600_000, rate: 200, reviews: loadReviews() });
  const templates: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const event = simulator.next() as unknown as Record<string, unknown>;
    delete event.eventId;
    templates.push(Buffer.from(JSON.stringify(event).slice(1))); // drop "{": the id goes first
  }
  return templates;
}

interface RunResult {
  batch: number;
  concurrency: number;
  seconds: number;
  requests: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  backPressured: number;
  errors: number;
  eventsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU (user + system) the ingestion process spent per 1,000 accepted events, ms. */
  cpuMsPer1000: number;
  /** 1-minute load average when the load started. */
  loadAverage: number;
  /**
   * CPU per 1,000 accepted events, ms, of the other processes on the box during the load: the
   * Kafka broker, Redis (with its append-only-file rewrites) and this load generator.
   */
  otherCpuMsPer1000: OtherCpu;
}

/** The Kafka broker's, Redis's and this process's CPU so far (ms), for the processes the local scripts run. */
interface OtherCpu {
  kafka: number;
  redis: number;
  generator: number;
}

function otherCpu(): OtherCpu {
  const root = repoRoot();
  const kafkaPort = infra.kafkaBrokers[0]!.split(':')[1] ?? '9092';
  const redisPort = new URL(infra.redisUrl).port || '6379';
  const kafka = pidFrom(join(root, `.clickwise/kafka-${kafkaPort}/kafka.pid`));
  const redis = pidFrom(join(root, `.clickwise/redis-${redisPort}/redis.pid`));
  const own = process.cpuUsage();
  return {
    kafka: kafka === undefined ? Number.NaN : ownCpuMs(kafka),
    // Its live forks (a rewrite in progress) and the ones it already waited for.
    redis: redis === undefined ? Number.NaN : ownCpuMs(redis, true) + processTree(redis).slice(1).reduce((sum, p) => sum + ownCpuMs(p), 0),
    generator: (own.user + own.system) / 1000,
  };
}


const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function runLoad(url: URL, key: string, batch: number, concurrency: number, templates: Buffer[], runId: string, pid: number | undefined): Promise<RunResult> {
  const loadAverage = round(loadavg()[0] ?? 0, 1);
  const cpuBefore = processCpuMs(pid);
  const otherBefore = otherCpu();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latency = new LatencyRecorder();
  let sequence = 0;
  let cursor = 0;
  const totals = { requests: 0, accepted: 0, duplicates: 0, rejected: 0, backPressured: 0, errors: 0 };

  // One body buffer per request in flight, reused once its response came (the request was sent).
  const longest = templates.reduce((max, t) => Math.max(max, t.length), 0);
  const prefix = `{"eventId":"${runId}-`;
  const room = batch * (longest + prefix.length + 16) + 16;
  const body = (buf: Buffer): Buffer => {
    let pos = batch === 1 ? 0 : buf.write('{"events":[', 0, 'latin1');
    for (let i = 0; i < batch; i++) {
      if (i > 0) buf[pos++] = 0x2c; // ,
      pos += buf.write(`${prefix}${(sequence++).toString(36)}",`, pos, 'latin1');
      pos += templates[cursor]!.copy(buf, pos);
      cursor = (cursor + 1) % templates.length;
    }
    if (batch !== 1) pos += buf.write(']}', pos, 'latin1');
    return buf.subarray(0, pos);
  };

  const post = (payload: Buffer) =>
    new Promise<{ status: number; text: string }>((done, fail) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-api-key': key, 'content-length': payload.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(payload);
    });

  const started = performance.now();
  const deadline = started + durationMs;
  let lastProgress = started;
  const worker = async () => {
    const buf = Buffer.allocUnsafe(room);
    while (performance.now() < deadline) {
      const payload = body(buf);
      const t0 = performance.now();
      try {
        const { status, text } = await post(payload);
        totals.requests++;
        if (status === 200) {
          latency.record(performance.now() - t0);
          const answer = JSON.parse(text) as { accepted: number; duplicates: number; rejected: unknown[] };
          totals.accepted += answer.accepted;
          totals.duplicates += answer.duplicates;
          totals.rejected += answer.rejected.length;
        } else if (status === 429 || status === 503) {
          totals.backPressured++;
          const retryAfter = 50;
          await new Promise((r) => setTimeout(r, retryAfter));
        } else {
          totals.errors++;
          if (totals.errors <= 3) process.stderr.write(`unexpected ${status}: ${text.slice(0, 300)}\n`);
        }
      } catch (error) {
        totals.errors++;
        if (totals.errors <= 3) process.stderr.write(`request failed: ${String(error)}\n`);
      }
      const now = performance.now();
      if (now - lastProgress > 5000) {
        lastProgress = now;
        const rate = totals.accepted / ((now - started) / 1000);
        process.stderr.write(`  batch ${batch}: ${Math.round((now - started) / 1000)} s, ${totals.accepted} accepted, ${Math.round(rate)} events/s\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = processCpuMs(pid) - cpuBefore;
  const otherAfter = otherCpu();
  agent.destroy();
  const per1000 = (ms: number) => (totals.accepted > 0 ? round(ms / (totals.accepted / 1000), 1) : Number.NaN);
  return {
    batch,
    concurrency,
    seconds: round(seconds, 1),
    ...totals,
    eventsPerSec: Math.round(totals.accepted / seconds),
    p50Ms: round(latency.percentile(50), 2),
    p99Ms: round(latency.percentile(99), 2),
    cpuMsPer1000: per1000(cpuMs),
    loadAverage,
    otherCpuMsPer1000: {
      kafka: per1000(otherAfter.kafka - otherBefore.kafka),
      redis: per1000(otherAfter.redis - otherBefore.redis),
      generator: per1000(otherAfter.generator - otherBefore.generator),
    },
  };
}

async function topicStats(kafka: KafkaPlatform): Promise<{ records: number; meanValueBytes: number }> {
  const topic = kafka.topics.events;
  const records = await kafka.admin.recordCount(topic);
  // Mean record value size from a sample of the start of the partitions.
  const producer = kafka.producer();
  let bytes = 0;
  let seen = 0;
  const probe = kafka.consumerLoop({
    groupId: `${topic.name}-size-probe`,
    topic,
    stage: 'bench-ingest',
    deadLetters: producer,
    handle: (batch) => {
      for (const r of batch) bytes += r.raw.length;
      seen += batch.length;
      return Promise.resolve();
    },
  });
  await probe.start();
  const deadline = Date.now() + 15_000;
  while (seen < 5000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await probe.stop();
  return { records, meanValueBytes: seen > 0 ? Math.round(bytes / seen) : 0 };
}

const infra = testInfra();
const hw = hardware();
process.stderr.write(`hardware: ${describeHardware(hw)}\n`);
const scope = new TestScope('bench-ingest', infra.kafkaBrokers, infra.redisUrl);
await scope.createTopics();
const { key } = await scope.key('bench', ['ingest', 'backfill']);
const templates = eventTemplates(50_000);
const serviceDir = join(repoRoot(), 'services', 'ingestion');

/** Starts the variant's ingestion process (its own environment, build and CPU profile). */
async function startVariant(variant: Variant) {
  const profile: Record<string, string> = values['cpu-prof'] ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${resolve(values['cpu-prof'])}`.trim() } : {};
  // The service's own default worker count (`auto`: one per core), unless the variant sets one.
  const service = await scope.start({ LOG_LEVEL: 'warn', INGESTION_WORKERS: 'auto', ...profile, ...variant.env }, variant.entry ? { entry: relative(serviceDir, variant.entry) } : {});
  const label = variant.label ? ` [${variant.label}]` : '';
  process.stderr.write(`ingestion${label} at ${service.httpUrl} (pid ${service.child.pid}); topics ${scope.topicPrefix}*\n`);
  return service;
}

interface Round {
  round: number;
  /** Per variant (in --variants order), the result at each batch size. */
  results: { variant: string; runs: RunResult[] }[];
  kafkaTool: Awaited<ReturnType<typeof kafkaProducerPerf>>;
  /** 1-minute load average when Kafka's tool started. */
  kafkaToolLoadAverage: number;
}

const roundsDone: Round[] = [];
let recordBytes = 0;
// One process for the whole bench when there is one variant (as before); else one per variant and round.
const single = variants.length === 1 ? await startVariant(variants[0]!) : undefined;
try {
  for (let r = 1; r <= rounds; r++) {
    const results: Round['results'] = [];
    for (const variant of variants) {
      const service = single ?? (await startVariant(variant));
      try {
        const url = new URL('/v1/events', service.httpUrl);
        const runs: RunResult[] = [];
        for (const batch of batchSizes) {
          const concurrency = values.concurrency ? Number(values.concurrency) : defaultConcurrency(batch);
          const label = `${rounds > 1 ? `round ${r}/${rounds}: ` : ''}${variant.label ? `${variant.label}: ` : ''}`;
          process.stderr.write(`${label}batch ${batch}, ${concurrency} requests in flight, ${values.duration} s…\n`);
          runs.push(await runLoad(url, key, batch, concurrency, templates, `r${r}b${batch}${variant.label}-${Date.now().toString(36)}`, service.child.pid));
        }
        results.push({ variant: variant.label, runs });
      } finally {
        if (!single) await service.stop();
      }
    }
    if (recordBytes === 0) {
      const sample = await topicStats(scope.kafka);
      recordBytes = Math.max(1, sample.meanValueBytes);
    }
    const kafkaToolLoadAverage = round(loadavg()[0] ?? 0, 1);
    process.stderr.write(`Kafka ProducerPerformance at ${recordBytes} bytes, acks=all, idempotent…\n`);
    const kafkaTool = await kafkaProducerPerf({
      brokers: infra.kafkaBrokers.join(','),
      topic: scope.deadLettersTopic,
      records: Number(values['kafka-records']),
      recordSize: recordBytes,
      repoRoot: repoRoot(),
    });
    roundsDone.push({ round: r, results, kafkaTool, kafkaToolLoadAverage });
    if (rounds > 1 || variants.length > 1) {
      const ratios = results.flatMap((v) =>
        v.runs.map((x) => `${v.variant ? `${v.variant} ` : ''}batch ${x.batch} ${round(x.eventsPerSec / kafkaTool.recordsPerSec, 3)}× (${x.eventsPerSec}/s, ${x.cpuMsPer1000} ms CPU per 1,000; Kafka ${x.otherCpuMsPer1000.kafka}, Redis ${x.otherCpuMsPer1000.redis}, generator ${x.otherCpuMsPer1000.generator})`),
      );
      process.stderr.write(`round ${r}: Kafka tool ${Math.round(kafkaTool.recordsPerSec)} records/s; ${ratios.join('; ')}\n`);
    }
  }
} finally {
  await single?.stop();
}

const records = await scope.kafka.admin.recordCount(scope.kafka.topics.events);
const acceptedTotal = roundsDone.reduce((s, r) => s + r.results.reduce((t, v) => t + v.runs.reduce((u, x) => u + x.accepted, 0), 0), 0);
process.stderr.write(`topic holds ${records} records for ${acceptedTotal} accepted events; mean record ${recordBytes} bytes\n`);
await scope.kafka.admin.deletePrefixedTopics();
await scope.dispose();

const ratio = (x: RunResult, r: Round) => round(x.eventsPerSec / r.kafkaTool.recordsPerSec, 4);
const rows = roundsDone.flatMap((r) =>
  r.results.flatMap((v) =>
    v.runs.map((x) => ({
      ...(rounds > 1 ? { round: r.round } : {}),
      ...(variants.length > 1 ? { variant: v.variant } : {}),
      batch: x.batch,
      'in flight': x.concurrency,
      's': x.seconds,
      'events/s': x.eventsPerSec,
      'p50 ms': x.p50Ms,
      'p99 ms': x.p99Ms,
      '429/503': x.backPressured,
      errors: x.errors,
      'CPU ms/1k': x.cpuMsPer1000,
      'Kafka ms/1k': x.otherCpuMsPer1000.kafka,
      'Redis ms/1k': x.otherCpuMsPer1000.redis,
      'generator ms/1k': x.otherCpuMsPer1000.generator,
      load: x.loadAverage,
      'Kafka tool/s': Math.round(r.kafkaTool.recordsPerSec),
      'vs Kafka tool': `${round(ratio(x, r), 3)}×`,
    })),
  ),
);
const medians = variants.flatMap((variant) =>
  batchSizes.map((batch) => {
    const of = roundsDone.map((r) => ({ r, x: r.results.find((v) => v.variant === variant.label)!.runs.find((x) => x.batch === batch)! }));
    return {
      ...(variants.length > 1 ? { variant: variant.label } : {}),
      batch,
      medianEventsPerSec: Math.round(median(of.map(({ x }) => x.eventsPerSec))),
      medianKafkaToolRecordsPerSec: Math.round(median(roundsDone.map((r) => r.kafkaTool.recordsPerSec))),
      medianRatioToKafkaTool: round(median(of.map(({ r, x }) => ratio(x, r))), 4),
      medianCpuMsPer1000: round(median(of.map(({ x }) => x.cpuMsPer1000)), 1),
    };
  }),
);
report(
  `Ingest over HTTP (acks=all, idempotent; Kafka's own tool at ${recordBytes} B after each round's load)`,
  rows,
  {
    bench: 'ingest',
    hardware: hw,
    variants,
    rounds: roundsDone.map((r) => ({
      round: r.round,
      results: r.results.map((v) => ({ variant: v.variant, runs: v.runs.map((x) => ({ ...x, ratioToKafkaTool: ratio(x, r) })) })),
      kafkaTool: r.kafkaTool,
      kafkaToolLoadAverage: r.kafkaToolLoadAverage,
    })),
    medians,
    topicRecords: records,
    acceptedTotal,
    recordBytes,
  },
  values.json,
);
if (rounds > 1 || variants.length > 1) {
  process.stderr.write(`median over ${rounds} rounds:\n`);
  for (const m of medians) {
    const label = 'variant' in m && m.variant ? `${m.variant} ` : '';
    process.stderr.write(`  ${label}batch ${m.batch}: ${m.medianRatioToKafkaTool}× Kafka's tool (${m.medianEventsPerSec} events/s against ${m.medianKafkaToolRecordsPerSec} records/s), ${m.medianCpuMsPer1000} ms ingestion CPU per 1,000 events\n`);
  }
}
if (records !== acceptedTotal) {
  process.stderr.write(`MISMATCH: ${records} records on the topic, ${acceptedTotal} accepted\n`);
  process.exitCode = 1;
}
