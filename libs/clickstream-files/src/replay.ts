import type { HttpEvent } from '@clickwise/contracts';
import { DelimitedParser } from './delimited.js';
import { RowMapper, type ColumnMapping, type SourceRow } from './mapping.js';
import { sha256Hex } from './sha256.js';

/**
 * The deterministic id of an export row: a hash of the source file's base name, the row number
 * and the run id. The same file replayed again gives the same ids (ingestion drops them as
 * duplicates); another run id gives new ones.
 */
export function replayEventId(sourceName: string, row: number, runId = ''): string {
  return `rp-${sha256Hex(`${sourceName}\u0000${row}\u0000${runId}`).slice(0, 32)}`;
}

/**
 * Share of the features' allowed lateness a backfill may keep between the newest event it has in
 * flight and the oldest one not yet acknowledged (the backfill watermark, ADR 0023). It holds at any
 * concurrency because an acknowledged event is on Kafka before the next request can overtake it.
 * The rule is exact for one client alone; the other half is margin for what a client cannot see
 * (a request it gave up on that ingestion still writes, other writers near the same times).
 */
export const BACKFILL_LEAD_SHARE = 0.5;

/** The backfill watermark's lead (ms) for a given allowed lateness. */
export function backfillLeadMs(allowedLatenessMs: number, share = BACKFILL_LEAD_SHARE): number {
  return Math.floor(allowedLatenessMs * share);
}

/** The base name of a path, for ids that do not depend on where the file lives. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}

/** Sorts rows by event time, ties by row number (stable and deterministic). */
export function sortByTime(rows: SourceRow[]): SourceRow[] {
  return rows.sort((a, b) => a.timeMs - b.timeMs || a.row - b.row);
}

/** Reads an export incrementally: feed text chunks, then `finish` for the rows and what was skipped. */
export class ExportReader {
  private readonly parser: DelimitedParser;
  private mapper: RowMapper | undefined;
  private rowNumber = 0;
  private readonly rows: SourceRow[] = [];
  private readonly skipped = new Map<string, number>();
  private readonly skippedRows: number[] = [];

  constructor(
    private readonly options: { delimiter: string; mapping: ColumnMapping; header?: boolean; quote?: string | false },
  ) {
    this.parser = new DelimitedParser({ delimiter: options.delimiter, quote: options.quote ?? '"' });
    if (options.header === false) this.mapper = RowMapper.create(undefined, options.mapping);
  }

  push(chunk: string): void {
    this.take(this.parser.push(chunk));
  }

  /** Ends the input; rows are sorted by event time. */
  finish(): { rows: SourceRow[]; skipped: Record<string, number>; skippedRows: number[]; dataRows: number } {
    this.take(this.parser.end());
    return {
      rows: sortByTime(this.rows),
      skipped: Object.fromEntries(this.skipped),
      skippedRows: this.skippedRows,
      dataRows: this.rowNumber,
    };
  }

  private take(records: string[][]): void {
    for (const record of records) {
      if (!this.mapper) {
        this.mapper = RowMapper.create(record, this.options.mapping);
        continue;
      }
      this.rowNumber++;
      const mapped = this.mapper.map(record, this.rowNumber);
      if (mapped.ok) this.rows.push(mapped.row);
      else {
        this.skipped.set(mapped.reason, (this.skipped.get(mapped.reason) ?? 0) + 1);
        if (this.skippedRows.length < 20) this.skippedRows.push(this.rowNumber);
      }
    }
  }
}

/** How replayed events are timed. */
export interface ReplayTiming {
  /**
   * `shift` (default): every time moves by one offset so the last event is at `now`; gaps kept;
   * sent as fast as possible. `keep`: original times, as fast as possible. With `speed`, events
   * are paced: each goes out when (its time − the first time) / speed has passed since the start,
   * stamped with that send time (or its original time under `keep`).
   */
  mode: 'shift' | 'keep';
  speed?: number;
  /** Wall-clock start of the replay (unix ms). */
  now: number;
}

/** Event time and due time (when to send; 0 = at once) of each row, for sorted rows. */
export class ReplayClock {
  private readonly first: number;
  private readonly offset: number;

  constructor(
    rows: readonly SourceRow[],
    private readonly timing: ReplayTiming,
  ) {
    if (timing.speed !== undefined && !(timing.speed > 0)) throw new Error('--speed must be a positive number');
    this.first = rows[0]?.timeMs ?? 0;
    const last = rows[rows.length - 1]?.timeMs ?? 0;
    this.offset = timing.mode === 'shift' && timing.speed === undefined ? timing.now - last : 0;
  }

  get paced(): boolean {
    return this.timing.speed !== undefined;
  }

  /** When the row is due (unix ms); 0 when sent as fast as possible. */
  dueAt(row: SourceRow): number {
    const speed = this.timing.speed;
    if (speed === undefined) return 0;
    return this.timing.now + Math.round((row.timeMs - this.first) / speed);
  }

  eventTime(row: SourceRow): number {
    if (this.timing.mode === 'keep') return row.timeMs;
    if (this.timing.speed !== undefined) return this.dueAt(row);
    return row.timeMs + this.offset;
  }
}

/** The HTTP event for a row. Without a user column the session stands in as the anonymous id. */
export function toHttpEvent(row: SourceRow, eventId: string, eventTime: number): HttpEvent {
  const event: HttpEvent = { eventId, type: row.type, sessionId: row.sessionId, eventTime, source: 'replay' };
  if (row.userId !== undefined) event.userId = row.userId;
  else event.anonymousId = `session-${row.sessionId}`;
  if (row.itemId !== undefined) event.itemId = row.itemId;
  if (row.categoryId !== undefined) event.categoryId = row.categoryId;
  if (row.price !== undefined) event.price = row.price;
  return event;
}
