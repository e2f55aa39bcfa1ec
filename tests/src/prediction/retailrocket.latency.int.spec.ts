import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { backfillLeadMs, ExportReader, replayEventId, ReplayClock, retailRocketMapping, toHttpEvent } from '@clickwise/clickstream-files';
import type { PredictionUpdate, WatchPredictionsResponse } from '@clickwise/contracts';
import { ALLOWED_LATENESS_MS } from '@clickwise/features';
import { Simulator } from '@clickwise/simulator';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { BatchSender, IngestClient, type HttpEvent } from '@clickwise/tracker';
import { startIngestion, type IngestionProcess } from '../ingestion/harness.js';
import { RETAILROCKET } from '../replay/cli.js';
import type { ServiceProcess } from '../support/service-process.js';
import { PredictionScope, propensityDocument } from './harness.js';

/**
 * The pace of the replay (events/s): the week's 38,741 events take 3.2 min. Why this rate: each
 * stage costs ~0.1–0.2 ms of CPU per event (ingestion, features, prediction; README
 * "Benchmarks"), so 200 events/s asks ~0.1 of one core of the whole pipeline — headroom for the
 * other spec file `./clickwise test` runs beside this one on the two cores, and for Kafka and Redis.
 * The bound is on every click (the maximum, not a percentile), and what breaks it is a process
 * waiting for a core, not queueing: with the box at load 20–30 (other builds and suites),
 * minor GCs of the features service took 50–160 ms and its event loop stalled up to 1 s, which put
 * 30–100 of 38,741 clicks past the bound at 250 events/s; a process that asks for little CPU
 * is scheduled sooner. 1,000 events/s is the benchmark's job (`bench predict --parts clicks`).
 */
const RATE = 200;
/** A request every TICK_MS with what became due (RATE × TICK_MS / 1000 = 10 events). */
const TICK_MS = 50;
/** The bound the issue sets: acceptance → the prediction at the watcher. */
const BOUND_MS = 1000;

async function gauge(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Posts `events` in order to ingestion at RATE events/s (a request every TICK_MS with what is
 * due; the replay tool's concurrency and backfill watermark) and notes when each request was
 * sent and when ingestion's answer accepting it came back.
 */
async function replayPaced(endpoint: string, key: string, events: readonly HttpEvent[]) {
  let retries = 0;
  const client = new IngestClient({ endpoint, key, onRetry: () => retries++ });
  const sentAt = new Map<string, number>();
  const acceptedAt = new Map<string, number>();
  const sender = new BatchSender(client, {
    concurrency: 8,
    maxLeadMs: backfillLeadMs(ALLOWED_LATENESS_MS),
    onResult: (result, batch) => {
      const now = Date.now();
      if (result.ok && result.rejected.length === 0 && result.duplicates === 0) for (const e of batch) acceptedAt.set(e.eventId, now);
    },
  });
  const started = Date.now();
  let lagBehindPace = 0;
  let lagAtSecond = 0;
  for (let next = 0, tick = 1; next < events.length; tick++) {
    const wait = started + tick * TICK_MS - Date.now();
    if (wait > 0) await sleep(wait);
    else if (-wait > lagBehindPace) {
      lagBehindPace = -wait;
      lagAtSecond = Math.floor((Date.now() - started) / 1000);
    }
    const due = Math.min(events.length, Math.round(((Date.now() - started) * RATE) / 1000));
    if (due <= next) continue;
    const batch = events.slice(next, due);
    next = due;
    const now = Date.now();
    for (const e of batch) sentAt.set(e.eventId, now);
    await sender.submit(batch);
  }
  await sender.drain();
  return { sentAt, acceptedAt, started, seconds: (Date.now() - started) / 1000, lagBehindPace, lagAtSecond, retries, totals: sender.totals };
}
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

/**
 * The end-to-end test (issue 9, "Must show"): the RetailRocket week replayed through the
 * real ingestion service over HTTP (shifted so its last event is now, gaps kept, the replay tool's
 * ids and backfill watermark), at a steady RATE; the real features and prediction services on the
 * real Kafka and Redis; a champion published through the real registry before the replay. One
 * `WatchPredictions` client with the watch-all ops key watches every shopper. Every accepted event
 * must be covered by a streamed prediction for its shopper that lists the event's id and arrives
 * within one second of the moment ingestion's answer accepting it reached the replay — checked
 * for each of the 38,741 events, once, with no retry.
 */
void describe('prediction: the RetailRocket week end to end, every click predicted within a second', () => {
  let scope: PredictionScope;
  let ingestion: IngestionProcess | undefined;
  let features: ServiceProcess | undefined;
  let prediction: ServiceProcess | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new PredictionScope('retailrocket-e2e', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
  });
  after(async () => {
    await prediction?.stop();
    await features?.stop();
    await ingestion?.stop();
    await scope.dispose();
  });

  void it('every click of the week is covered by a watched prediction within 1 s of its acceptance', async () => {
    // The champion exists before anything is replayed; the service loads it at start.
    const champion = await scope.publishModel(propensityDocument());
    ingestion = await startIngestion({ kafkaBrokers: scope.kafkaBrokers, redisUrl: scope.redisUrl, topicPrefix: scope.topicPrefix, redisKeyPrefix: scope.redisKeyPrefix });
    features = await scope.start();
    prediction = await scope.startPrediction();
    const service = prediction;
    await waitFor(async () => (await gauge(service, 'clickwise_prediction_click_partitions')) === 6 && (await gauge(service, 'clickwise_prediction_watch_partitions')) === 6, {
      timeoutMs: 60_000,
      intervalMs: 200,
      message: 'prediction to own features.updated.v1 and read predictions.updated.v1',
    });

    // The watcher: every shopper (the watch-all scope), each message stamped when it arrives.
    const opsKey = await scope.createKey(['read', 'watch-all']);
    const arrivals: { at: number; prediction: PredictionUpdate }[] = [];
    let streamError: grpc.ServiceError | undefined;
    const stream = scope.client(service).watchPredictions({ all: true }, { metadata: { 'x-api-key': opsKey } });
    stream.on('data', (m: WatchPredictionsResponse) => arrivals.push({ at: Date.now(), prediction: m.prediction! }));
    stream.on('error', (e: grpc.ServiceError) => (streamError = e));
    await new Promise<void>((resolve) => stream.once('metadata', () => resolve()));
    await waitFor(async () => (await gauge(service, 'clickwise_prediction_watchers')) === 1, { timeoutMs: 10_000, intervalMs: 50, message: 'the watcher to be registered' });

    // The week, as `clickwise replay --format retailrocket` reads it: sorted by time, ids from the row.
    const reader = new ExportReader({ delimiter: '\t', mapping: retailRocketMapping });
    reader.push(readFileSync(RETAILROCKET, 'utf8'));
    const rows = reader.finish().rows;
    assert.equal(rows.length, 38_741);
    const runId = uniqueName('e2e');
    const clock = new ReplayClock(rows, { mode: 'shift', now: Date.now() });
    const events: HttpEvent[] = rows.map((row) => toHttpEvent(row, replayEventId('events.tsv', row.row, runId), clock.eventTime(row)));
    const shopperOf = new Map(events.map((e) => [e.eventId, e.userId ?? e.anonymousId!] as const));

    const backfillKey = await scope.createKey(['backfill']);
    const endpoint = ingestion.httpUrl;
    const firstArrival = new Map<string, { at: number; prediction: PredictionUpdate }>();
    let seen = 0;
    /** Indexes what the watcher received so far; true once every id of `ids` is covered. */
    const covered = (ids: Iterable<string>) => {
      for (; seen < arrivals.length; seen++) {
        const a = arrivals[seen]!;
        for (const id of a.prediction.eventIds) if (!firstArrival.has(id)) firstArrival.set(id, a);
      }
      for (const id of ids) if (!firstArrival.has(id)) return false;
      return true;
    };

    // Warm-up: freshly started processes (V8 compiling the hot paths, the new topics' first
    // fetches, Kafka's JIT) took up to ~4 s per click in the first ~8 s of traffic and none after.
    // A platform in service is warm, so 12 s of simulated shoppers (other ids than the week's,
    // times just before the week's first event) go through the same path first; they are
    // reported, not held to the bound. The week itself is checked event by event below.
    const firstWeekMs = events[0]!.eventTime as number;
    const warm = new Simulator({ seed: 'retailrocket-e2e-warm-up', shoppers: 300, items: 500, rate: 30 }).take(12 * RATE);
    warm.forEach((e, i) => (e.eventTime = firstWeekMs - 60 * 60_000 + i * 100));
    const warmUp = await replayPaced(endpoint, backfillKey, warm);
    await waitFor(() => covered(warmUp.acceptedAt.keys()), { timeoutMs: 60_000, intervalMs: 100, message: 'predictions for the warm-up events' });
    const warmLatency = [...warmUp.acceptedAt].map(([id, at]) => firstArrival.get(id)!.at - at).sort((x, y) => x - y);

    const week = await replayPaced(endpoint, backfillKey, events);
    const { acceptedAt, sentAt, started } = week;
    const t = week.totals;
    assert.deepEqual({ accepted: t.accepted, rejected: t.rejected, duplicates: t.duplicates, failed: t.failed }, { accepted: events.length, rejected: 0, duplicates: 0, failed: 0 }, JSON.stringify(t.reasons));
    assert.equal(acceptedAt.size, events.length);

    // Predictions still in the pipe for the last events: wait until all are covered, at most 30 s
    // past the last acceptance, to see how late any miss is (a miss past BOUND_MS fails below).
    const lastAccepted = Math.max(...acceptedAt.values());
    await waitFor(() => covered(acceptedAt.keys()), { timeoutMs: Math.max(0, lastAccepted + 30_000 - Date.now()), intervalMs: 100, message: 'predictions for every event' }).catch(() => undefined);
    assert.equal(streamError, undefined, 'the watch stream stayed open');

    const latencies: number[] = [];
    const fromSend: number[] = [];
    // Where the time went (each event's first prediction): accepted → its notice on
    // features.updated.v1 (Kafka time of the oldest notice covered), → scored, → at the watcher.
    const stages: [number[], number[], number[]] = [[], [], []];
    const lateAtSecond = new Map<number, number>();
    const missing: string[] = [];
    const late: string[] = [];
    for (const [id, accepted] of acceptedAt) {
      const a = firstArrival.get(id);
      if (!a) {
        missing.push(id);
        continue;
      }
      assert.equal(a.prediction.shopperKey, shopperOf.get(id), `event ${id}'s prediction is for its shopper`);
      assert.equal(a.prediction.modelVersion, `${champion.model}/${champion.version}`);
      assert.ok(a.prediction.purchaseProbability > 0 && a.prediction.purchaseProbability < 1);
      const ms = a.at - accepted;
      latencies.push(ms);
      fromSend.push(a.at - sentAt.get(id)!);
      const noticeMs = Number(a.prediction.firstNoticeTimeMs);
      const scoredMs = Number(a.prediction.predictedAtMs);
      stages[0].push(noticeMs - accepted);
      stages[1].push(scoredMs - noticeMs);
      stages[2].push(a.at - scoredMs);
      if (ms > BOUND_MS) {
        late.push(`${id} ${ms} ms (notice +${noticeMs - accepted}, scored +${scoredMs - noticeMs}, streamed +${a.at - scoredMs})`);
        const second = Math.floor((accepted - started) / 1000);
        lateAtSecond.set(second, (lateAtSecond.get(second) ?? 0) + 1);
      }
    }
    for (const xs of [latencies, fromSend, ...stages]) xs.sort((x, y) => x - y);
    const stage = (xs: number[]) => `p50 ${percentile(xs, 50)} / p99 ${percentile(xs, 99)} / max ${xs.at(-1)}`;
    const predictions = arrivals.length;
    console.log(
      `retailrocket e2e: warm-up ${warm.length} simulated events, acceptance → prediction p50 ${percentile(warmLatency, 50)} / p99 ${percentile(warmLatency, 99)} / max ${warmLatency.at(-1)} ms\n` +
        `  the week: ${events.length} events at ${RATE}/s (${Math.round(events.length / week.seconds)}/s achieved, pacing fell behind by ${week.lagBehindPace} ms at most (second ${week.lagAtSecond}), ${week.retries} ingest retries), ` +
        `${predictions} predictions streamed; acceptance → prediction p50 ${percentile(latencies, 50)} / p99 ${percentile(latencies, 99)} / max ${latencies.at(-1)} ms; ` +
        `request sent → prediction p99 ${percentile(fromSend, 99)} / max ${fromSend.at(-1)} ms; ${missing.length} not covered, ${late.length} over ${BOUND_MS} ms; load average ${loadavg()[0]!.toFixed(1)}\n` +
        `  stages (ms): accepted → notice ${stage(stages[0])}; notice → scored ${stage(stages[1])}; scored → streamed ${stage(stages[2])}` +
        (late.length > 0 ? `\n  late ones by second of the replay: ${JSON.stringify(Object.fromEntries(lateAtSecond))}` : ''),
    );
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} events with no prediction`);
    assert.deepEqual(late.slice(0, 20), [], `${late.length} events predicted more than ${BOUND_MS} ms after acceptance`);
    assert.equal(await gauge(service, 'clickwise_prediction_stale_reads_total'), 0, 'no read saw an older state than its notice announced');
  });
});
