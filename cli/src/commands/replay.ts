import { createReadStream } from 'node:fs';
import { ALLOWED_LATENESS_MS } from '@clickwise/features';
import { backfillLeadMs, baseName, ExportReader, replayEventId, ReplayClock, toHttpEvent } from '@clickwise/clickstream-files';
import { BatchSender, IngestClient, type HttpEvent } from '@clickwise/tracker';
import { columnFlagOptions, columnMappingFromFlags } from '../column-flags.js';
import { bold, info, parseCommandArgs, printJson, Progress, type Command } from '../command.js';
import { serviceOrigin } from '../services.js';

const DEFAULT_ENDPOINT = serviceOrigin('ingestion');

/** What a replay did, as printed (and as the --json line). */
export interface ReplaySummary {
  file: string;
  runId: string;
  rows: number;
  skipped: Record<string, number>;
  replayed: number;
  sent: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  failed: number;
  retries: number;
  /** Times a request waited for older ones to be acknowledged (the backfill watermark). */
  watermarkWaits: number;
  rejections: Record<string, number>;
  firstEventTime: string | null;
  lastEventTime: string | null;
  elapsedMs: number;
  eventsPerSecond: number;
  error?: string;
}

function positive(name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  return n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const replayCommand: Command = {
  name: 'replay',
  summary: 'stream a CSV/TSV clickstream export through the HTTP ingest API (RetailRocket preset, column mapping)',
  help: `Usage: clickwise replay FILE [--format retailrocket | column flags] [options] [--json]

Reads FILE, maps each row to an event, sorts them by event time and posts them to
POST /v1/events in concurrent batches. Event ids are a hash of the file's base name, the row
number and --run-id, so replaying the same file again is deduplicated by ingestion (accepted 0,
duplicates N) unless a new --run-id is given. Formats: docs/specs/replay-and-simulator.md.

Source:
  --format retailrocket     Time (unix s), UserId, Type (view|addtocart|transaction), ItemId,
                            SessionId, CatId, tab-separated (../shared/data/retailrocket-week)
  --time-col C --time-unit s|ms|iso   --session-col C   --type-col C   --type-map a=b,c=d
  --user-col C  --item-col C  --category-col C  --price-col C
                            C is a header name, or a 1-based position with --no-header.
                            Types not in --type-map pass when they are event type names already.
  --delimiter D             tab|comma|semicolon|pipe or one character (default: by extension)
  --no-header               the file has no header row
  --limit N                 replay only the first N events (after sorting by time)

Timing (default: shifted so the last event is now, gaps kept, sent as fast as possible):
  --keep-times              send the original event times
  --speed N                 pace at N× real time; events are stamped with their send time
                            (with --keep-times: their original time)

Sending:
  --endpoint URL            ingestion base URL (default $CLICKWISE_ENDPOINT or ${DEFAULT_ENDPOINT})
  --key KEY                 API key with the backfill scope (default $CLICKWISE_API_KEY)
  --run-id ID               salt for the event ids (default none)
  --batch N                 events per request (default and most: 1000)
  --concurrency N           requests in flight (default 8); a request also waits while its newest
                            event is more than half the features' allowed lateness (${backfillLeadMs(ALLOWED_LATENESS_MS) / 60_000} min)
                            ahead of the oldest unacknowledged one (the backfill watermark)
  --dry-run                 read and map only; print what would be sent

Prints a progress bar and a summary: rows, skipped, sent, accepted, rejected, duplicates,
failed, events/s, elapsed. Exit 0 when nothing failed to be delivered (rejections are listed), 1
otherwise.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...columnFlagOptions,
      limit: { type: 'string' },
      'keep-times': { type: 'boolean' },
      speed: { type: 'string' },
      endpoint: { type: 'string' },
      key: { type: 'string' },
      'run-id': { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      'dry-run': { type: 'boolean' },
    });
    const [file, ...extra] = positionals;
    if (!file || extra.length > 0) {
      info(this.help);
      return 2;
    }

    // Mapping: a preset, overridden column by column by the flags.
    const { mapping, delimiter } = columnMappingFromFlags(values, file);
    const limit = values.limit === undefined ? undefined : positive('limit', values.limit, 0);
    const speed = values.speed === undefined ? undefined : positive('speed', values.speed, 1, false);
    const batchSize = Math.min(1000, positive('batch', values.batch, 1000));
    const concurrency = positive('concurrency', values.concurrency, 8);
    const endpoint = values.endpoint ?? process.env.CLICKWISE_ENDPOINT ?? DEFAULT_ENDPOINT;
    const key = values.key ?? process.env.CLICKWISE_API_KEY;
    const runId = values['run-id'] ?? '';
    if (!key && !values['dry-run']) throw new Error('no API key: pass --key or set CLICKWISE_API_KEY (a key with the backfill scope; ./clickwise keys create)');

    // Read and map the whole file (rows must be sorted by time before anything is sent).
    const started = Date.now();
    const reader = new ExportReader({ delimiter, mapping, header: !values['no-header'] });
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) reader.push(chunk as string);
    const read = reader.finish();
    const rows = limit === undefined ? read.rows : read.rows.slice(0, limit);
    const source = baseName(file);
    const clock = new ReplayClock(rows, { mode: values['keep-times'] ? 'keep' : 'shift', now: Date.now(), ...(speed === undefined ? {} : { speed }) });
    const skippedTotal = Object.values(read.skipped).reduce((a, b) => a + b, 0);
    if (!values.json) {
      info(
        `${bold('replay')} ${file}: ${read.dataRows} rows, ${rows.length} to send${skippedTotal ? `, ${skippedTotal} skipped` : ''} → ${endpoint}` +
          `${speed ? ` at ${speed}× real time` : ''}${values['keep-times'] ? ', original times' : ''}${runId ? `, run id "${runId}"` : ''}`,
      );
    }

    let retries = 0;
    const client = new IngestClient({
      endpoint,
      key: key ?? '',
      retry: { maxAttempts: 10, baseDelayMs: 200, maxDelayMs: 10_000 },
      onRetry: () => retries++,
    });
    const progress = new Progress('replay', rows.length);
    let done = 0;
    // The backfill watermark: never more than half the features' allowed lateness between the
    // newest event in flight and the oldest unacknowledged one, whatever order answers come in.
    const maxLeadMs = backfillLeadMs(ALLOWED_LATENESS_MS);
    const sender = new BatchSender(client, {
      concurrency,
      maxLeadMs,
      onResult: (_result, events) => {
        done += events.length;
        if (!values.json) progress.update(done, `${Math.round(done / Math.max(0.001, (Date.now() - sendStarted) / 1000))} ev/s`);
      },
    });
    const eventOf = (i: number): HttpEvent => {
      const row = rows[i] as (typeof rows)[number];
      return toHttpEvent(row, replayEventId(source, row.row, runId), clock.eventTime(row));
    };

    const sendStarted = Date.now();
    let firstTime: number | undefined;
    let lastTime: number | undefined;
    if (!values['dry-run']) {
      let batch: HttpEvent[] = [];
      let batchOpened = 0;
      for (let i = 0; i < rows.length && !sender.stopped; i++) {
        const row = rows[i] as (typeof rows)[number];
        if (clock.paced) {
          const wait = clock.dueAt(row) - Date.now();
          // Paced: what is due goes out at least every 100 ms.
          if (wait > 0 && batch.length > 0) {
            await sender.submit(batch);
            batch = [];
          }
          if (wait > 0) await sleep(wait);
        }
        const event = eventOf(i);
        firstTime ??= event.eventTime as number;
        lastTime = event.eventTime as number;
        if (batch.length === 0) batchOpened = Date.now();
        batch.push(event);
        if (batch.length >= batchSize || (clock.paced && Date.now() - batchOpened >= 100)) {
          await sender.submit(batch);
          batch = [];
        }
      }
      await sender.submit(batch);
      await sender.drain();
    } else if (rows.length > 0) {
      firstTime = eventOf(0).eventTime as number;
      lastTime = eventOf(rows.length - 1).eventTime as number;
    }
    if (!values.json) progress.done();

    const t = sender.totals;
    const elapsedMs = Date.now() - started;
    const sendMs = Math.max(1, Date.now() - sendStarted);
    const summary: ReplaySummary = {
      file,
      runId,
      rows: read.dataRows,
      skipped: read.skipped,
      replayed: rows.length,
      sent: t.sent,
      accepted: t.accepted,
      rejected: t.rejected,
      duplicates: t.duplicates,
      failed: t.failed,
      retries,
      watermarkWaits: sender.watermarkWaits,
      rejections: t.reasons,
      firstEventTime: firstTime === undefined ? null : new Date(firstTime).toISOString(),
      lastEventTime: lastTime === undefined ? null : new Date(lastTime).toISOString(),
      elapsedMs,
      eventsPerSecond: Math.round(t.sent / (sendMs / 1000)),
      ...(t.fatal ? { error: t.fatal } : {}),
    };
    if (values.json) printJson(summary);
    else {
      console.log(
        `${bold(values['dry-run'] ? 'dry run' : 'replayed')} ${summary.replayed} events of ${summary.rows} rows in ${(elapsedMs / 1000).toFixed(1)} s ` +
          `(${summary.eventsPerSecond} events/s sending)`,
      );
      console.log(
        `  sent ${summary.sent}   accepted ${summary.accepted}   rejected ${summary.rejected}   duplicates ${summary.duplicates}   failed ${summary.failed}   retries ${retries}   watermark waits ${summary.watermarkWaits}`,
      );
      if (summary.firstEventTime) console.log(`  event times ${summary.firstEventTime} → ${summary.lastEventTime}`);
      for (const [reason, n] of Object.entries(read.skipped)) console.log(`  skipped ${n}: ${reason}`);
      for (const [reason, n] of Object.entries(t.reasons).sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  rejected ${n}: ${reason}`);
      if (t.fatal) console.log(`  stopped: ${t.fatal}`);
    }
    return t.failed > 0 ? 1 : 0;
  },
};
