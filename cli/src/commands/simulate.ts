import { randomInt } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { parseAlexaReviews, parseLabelledSentences, type ReviewSample } from '@clickwise/clickstream-files';
import { Simulator } from '@clickwise/simulator';
import { BatchSender, IngestClient, type HttpEvent } from '@clickwise/tracker';
import { bold, info, parseCommandArgs, printJson, Progress, type Command } from '../command.js';
import { serviceOrigin } from '../services.js';
import { settings } from '../settings.js';

const DEFAULT_ENDPOINT = serviceOrigin('ingestion');

/** Reads the review corpora of ../shared/data/reviews (those present). */
export function loadReviews(dir: string): { reviews: ReviewSample[]; files: string[] } {
  const reviews: ReviewSample[] = [];
  const files: string[] = [];
  const alexa = join(dir, 'amazon_alexa.tsv');
  if (existsSync(alexa)) {
    reviews.push(...parseAlexaReviews(readFileSync(alexa, 'utf8')));
    files.push(alexa);
  }
  for (const name of ['yelp_labelled.txt', 'amazon_cells_labelled.txt']) {
    const path = join(dir, name);
    if (existsSync(path)) {
      reviews.push(...parseLabelledSentences(readFileSync(path, 'utf8')));
      files.push(path);
    }
  }
  return { reviews, files };
}

function positive(name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'a seeded storefront: realistic sessions with every event type, sent to the HTTP API or written as JSONL',
  help: `Usage: clickwise simulate [--seed S] [--rate N] [--count N | --duration SECONDS] [--shoppers N]
                          [--endpoint URL --key KEY | --out FILE] [--json]

Simulates shoppers on a storefront (catalogue with categories, prices and skewed popularity):
page and product views, searches with query text, recommendations shown and clicked, cart adds
and removes, checkouts, purchases, and reviews whose text and rating come from
../shared/data/reviews. The same seed and options give the same events (docs/specs/replay-and-simulator.md).

  --seed S            seed (default: random, printed)
  --rate N            events per second (default 50); sent paced in real time, event times = now
  --count N           stop after N events (default 1000 unless --duration is given)
  --duration S        stop after S seconds of event time
  --shoppers N        shopper population (default 5000); --items N (2000), --categories N (30)
  --sessions N        sessions open at once (default rate × 10 s, at most 20,000 and half the shoppers);
                      fewer sessions get through their funnel in fewer events
  --reviews DIR       review corpora (default ../shared/data/reviews)
  --out FILE          write JSONL (one HTTP-contract event a line) as fast as possible instead of sending;
                      event times start at --start (ISO time; default now)
  --endpoint URL      ingestion base URL (default $CLICKWISE_ENDPOINT or ${DEFAULT_ENDPOINT})
  --key KEY           API key with the ingest (or backfill) scope (default $CLICKWISE_API_KEY)
  --batch N           most events per request (default 500); --concurrency N requests in flight (4)

Prints a summary (events by type, sent, accepted, rejected, duplicates, failed, events/s);
--json makes the last line one JSON object. Ctrl-C stops early and still prints the summary.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      seed: { type: 'string' },
      rate: { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      shoppers: { type: 'string' },
      items: { type: 'string' },
      categories: { type: 'string' },
      sessions: { type: 'string' },
      reviews: { type: 'string' },
      out: { type: 'string' },
      start: { type: 'string' },
      endpoint: { type: 'string' },
      key: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
    });
    if (positionals.length > 0) {
      info(this.help);
      return 2;
    }
    const seed = values.seed ?? String(randomInt(1, 2 ** 31));
    const rate = positive('rate', values.rate, 50, false);
    const duration = values.duration === undefined ? undefined : positive('duration', values.duration, 0, false);
    const count = values.count !== undefined ? positive('count', values.count, 0) : duration === undefined ? 1000 : Infinity;
    const batchSize = Math.min(1000, positive('batch', values.batch, 500));
    const concurrency = positive('concurrency', values.concurrency, 4);
    const startTime = values.start === undefined ? Date.now() : Date.parse(values.start);
    if (!Number.isFinite(startTime)) throw new Error(`--start must be an ISO time, got "${values.start}"`);
    const reviewDir = values.reviews ?? resolve(settings.root, '..', 'shared', 'data', 'reviews');
    const { reviews, files } = loadReviews(reviewDir);
    if (reviews.length === 0) info(`simulate: no review corpora in ${reviewDir}; using the simulator's few built-in sentences`);

    const sim = new Simulator({
      seed,
      rate,
      startTime,
      reviews,
      shoppers: positive('shoppers', values.shoppers, 5000),
      items: positive('items', values.items, 2000),
      categories: positive('categories', values.categories, 30),
      ...(values.sessions === undefined ? {} : { concurrentSessions: positive('sessions', values.sessions, 1) }),
    });
    const endTime = duration === undefined ? Infinity : startTime + duration * 1000;
    let interrupted = false;
    const onSigint = () => {
      interrupted = true;
    };
    process.once('SIGINT', onSigint);
    const started = Date.now();
    const total = Number.isFinite(count) ? count : Math.round((duration ?? 0) * rate);
    const progress = new Progress('simulate', total);
    let generated = 0;
    const byType: Record<string, number> = {};
    let ended = false;
    const nextEvent = (): HttpEvent | undefined => {
      if (ended || interrupted || generated >= count) return undefined;
      const event = sim.next();
      if ((event.eventTime as number) > endTime) {
        ended = true;
        return undefined;
      }
      generated++;
      byType[event.type] = (byType[event.type] ?? 0) + 1;
      return event;
    };

    let sender: BatchSender | undefined;
    let retries = 0;
    try {
      if (values.out) {
        const out = createWriteStream(values.out);
        for (let event = nextEvent(); event; event = nextEvent()) {
          if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain');
          if (!values.json && generated % 10_000 === 0) progress.update(generated);
        }
        out.end();
        await once(out, 'finish');
      } else {
        const key = values.key ?? process.env.CLICKWISE_API_KEY;
        if (!key) throw new Error('no API key: pass --key or set CLICKWISE_API_KEY (./clickwise keys create), or write a file with --out');
        const endpoint = values.endpoint ?? process.env.CLICKWISE_ENDPOINT ?? DEFAULT_ENDPOINT;
        if (!values.json) info(`${bold('simulate')} seed ${seed}, ${rate} events/s → ${endpoint}`);
        const client = new IngestClient({ endpoint, key, retry: { maxAttempts: 10, baseDelayMs: 200, maxDelayMs: 10_000 }, onRetry: () => retries++ });
        let delivered = 0;
        const s = new BatchSender(client, {
          concurrency,
          onResult: (_r, events) => {
            delivered += events.length;
            if (!values.json) progress.update(delivered);
          },
        });
        sender = s;
        // Paced in real time: an event goes out once the wall clock reaches its event time.
        let batch: HttpEvent[] = [];
        for (;;) {
          const event = nextEvent();
          if (!event) break;
          const wait = (event.eventTime as number) - Date.now();
          if (wait > 0) {
            if (batch.length > 0) {
              await s.submit(batch);
              batch = [];
            }
            await sleep(wait);
          }
          batch.push(event);
          if (batch.length >= batchSize) {
            await s.submit(batch);
            batch = [];
          }
          if (s.stopped) break;
        }
        await s.submit(batch);
        await s.drain();
      }
    } finally {
      process.off('SIGINT', onSigint);
      if (!values.json) progress.done();
    }

    const elapsedMs = Date.now() - started;
    const t = sender?.totals;
    const summary = {
      seed,
      rate,
      generated,
      byType,
      sessionsStarted: sim.stats().sessions,
      reviewCorpora: files,
      ...(values.out ? { out: values.out } : {}),
      sent: t?.sent ?? 0,
      accepted: t?.accepted ?? 0,
      rejected: t?.rejected ?? 0,
      duplicates: t?.duplicates ?? 0,
      failed: t?.failed ?? 0,
      retries,
      rejections: t?.reasons ?? {},
      elapsedMs,
      eventsPerSecond: Math.round(generated / Math.max(0.001, elapsedMs / 1000)),
      interrupted,
      ...(t?.fatal ? { error: t.fatal } : {}),
    };
    if (values.json) printJson(summary);
    else {
      console.log(`${bold('simulated')} ${generated} events (seed ${seed}) in ${(elapsedMs / 1000).toFixed(1)} s, ${summary.eventsPerSecond} events/s`);
      console.log(`  ${Object.entries(byType).map(([k, v]) => `${k} ${v}`).join('   ')}`);
      if (values.out) console.log(`  written to ${values.out}`);
      else
        console.log(
          `  sent ${summary.sent}   accepted ${summary.accepted}   rejected ${summary.rejected}   duplicates ${summary.duplicates}   failed ${summary.failed}   retries ${retries}`,
        );
      for (const [reason, n] of Object.entries(summary.rejections).slice(0, 10)) console.log(`  rejected ${n}: ${reason}`);
      if (t?.fatal) console.log(`  stopped: ${t.fatal}`);
    }
    return summary.failed > 0 ? 1 : 0;
  },
};
