import { baseName, ExportReader, replayEventId, type ColumnMapping, type SourceRow } from '@clickwise/clickstream-files';
import { eventTypeFromName } from '@clickwise/contracts';
import { toFeatureEvent, type FeatureEvent } from '@clickwise/features';
import type { KafkaPlatform } from '@clickwise/kafka';

/**
 * One event of a training source, in its log order. `partition` is the Kafka partition (0 for a
 * file); `seq` orders the events of one shopper as the log has them (the Kafka offset, or the row's
 * place in the time-sorted file) — a shopper's events are always on one partition, so `seq`
 * compares within a shopper in both sources.
 */
export interface SourceEvent {
  event: FeatureEvent;
  partition: number;
  seq: number;
}

/** What a source has: features that need a missing column are absent (NaN), not zero. */
export interface SourceCapabilities {
  price: boolean;
  category: boolean;
}

/** A stream of events to build a training set from, with what its columns allow. */
export interface TrainingSource {
  /** For reports: the file, or the topic. */
  readonly name: string;
  readonly capabilities: SourceCapabilities;
  events(): AsyncIterable<SourceEvent>;
}

export const DEFAULT_SESSION_GAP_MS = 30 * 60_000;

export interface FileSourceOptions {
  /** The file's path or name: its base name salts the event ids, as the replay tool does. */
  file: string;
  mapping: ColumnMapping;
  delimiter: string;
  header?: boolean;
  /** The replay tool's --run-id (event ids), default ''. */
  runId?: string;
  /** Inactivity that ends a session, for files without a session column (default 30 min). */
  sessionGapMs?: number;
  /** Only the first N events after sorting by time (the replay tool's --limit). */
  limit?: number;
}

/** Raised when a file cannot give training examples (mapping problems are MappingError). */
export class TrainingSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingSourceError';
  }
}

/**
 * A file export read through the replay tool's column mapping (libs/clickstream-files): the same
 * event ids, shopper keys and types the replay sends to ingestion. Without a session column the
 * events are sessionised per shopper by inactivity (a gap over `sessionGapMs` starts a session),
 * which needs a user column.
 */
export function fileSource(text: string | Iterable<string>, options: FileSourceOptions): TrainingSource & { rows: number; skipped: Record<string, number> } {
  const hasSession = options.mapping.session !== '';
  if (!hasSession && (options.mapping.user === undefined || options.mapping.user === '')) {
    throw new TrainingSourceError('a file without a session column needs a user column to be sessionised by inactivity (--user-col)');
  }
  // Without a session column the user column stands in for it while reading (RowMapper requires
  // one); sessionise() then replaces it with inactivity sessions.
  const mapping: ColumnMapping = hasSession ? options.mapping : { ...options.mapping, session: options.mapping.user! };
  const reader = new ExportReader({ delimiter: options.delimiter, mapping, header: options.header ?? true });
  if (typeof text === 'string') reader.push(text);
  else for (const chunk of text) reader.push(chunk);
  const read = reader.finish();
  let rows = read.rows;
  if (options.limit !== undefined) rows = rows.slice(0, options.limit);
  const source = baseName(options.file);
  const runId = options.runId ?? '';
  const events: SourceEvent[] = rows.map((row, seq) => ({ event: rowEvent(row, replayEventId(source, row.row, runId)), partition: 0, seq }));
  if (!hasSession) sessionise(events, options.sessionGapMs ?? DEFAULT_SESSION_GAP_MS);
  return {
    name: options.file,
    capabilities: { price: options.mapping.price !== undefined && options.mapping.price !== '', category: options.mapping.category !== undefined && options.mapping.category !== '' },
    rows: read.dataRows,
    skipped: read.skipped,
    events: () => fromArray(events),
  };
}

/** The FeatureEvent ingestion would make of a row (as toHttpEvent + validation + toFeatureEvent). */
function rowEvent(row: SourceRow, eventId: string): FeatureEvent {
  return {
    eventId,
    type: eventTypeFromName(row.type),
    shopperKey: row.userId ?? `session-${row.sessionId}`,
    sessionId: row.sessionId,
    itemId: row.itemId ?? '',
    itemIds: [],
    categoryId: row.categoryId ?? '',
    price: row.price,
    quantity: undefined,
    searchQuery: '',
    reviewRating: undefined,
    timeMs: row.timeMs,
  };
}

/**
 * Sessionises by inactivity, in place: per shopper, in time order, a gap over `gapMs` since the
 * shopper's previous event starts a new session (`<shopper>#<n>`, n from 1).
 */
export function sessionise(events: SourceEvent[], gapMs = DEFAULT_SESSION_GAP_MS): void {
  if (!(gapMs > 0)) throw new TrainingSourceError(`the session gap must be a positive number of ms, got ${gapMs}`);
  const last = new Map<string, { timeMs: number; n: number }>();
  const ordered = [...events].sort((a, b) => a.event.timeMs - b.event.timeMs || a.seq - b.seq);
  for (const s of ordered) {
    const e = s.event;
    const prev = last.get(e.shopperKey);
    const n = prev === undefined ? 1 : e.timeMs - prev.timeMs > gapMs ? prev.n + 1 : prev.n;
    last.set(e.shopperKey, { timeMs: e.timeMs, n });
    s.event = { ...e, sessionId: `${e.shopperKey}#${n}` };
  }
}

export interface KafkaSourceOptions {
  /** Give up reading after this long (default 120 s). */
  timeoutMs?: number;
  /** Only records whose Kafka timestamp is at or after this (readTopic's sinceMs). */
  sinceMs?: number;
  /** What the topic's events carry (RetailRocket: category, no price). Default: both. */
  capabilities?: SourceCapabilities;
}

/**
 * The events topic (clickstream.events.v1 under the platform's prefix) from the beginning to its
 * end at the call, decoded with toFeatureEvent — exactly what the features service consumes.
 */
export function kafkaSource(kafka: KafkaPlatform, options: KafkaSourceOptions = {}): TrainingSource {
  const topic = kafka.topics.events;
  return {
    name: topic.name,
    capabilities: options.capabilities ?? { price: true, category: true },
    async *events() {
      const records = await kafka.admin.readTopic(topic, {
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.sinceMs === undefined ? {} : { sinceMs: options.sinceMs }),
      });
      for (const r of records) yield { event: toFeatureEvent(r.value), partition: r.partition, seq: Number(r.offset) };
    },
  };
}

/** An in-memory source (tests, the trainer's own buffer). */
export function arraySource(name: string, events: readonly SourceEvent[], capabilities: SourceCapabilities = { price: true, category: true }): TrainingSource {
  return { name, capabilities, events: () => fromArray(events) };
}

// eslint-disable-next-line @typescript-eslint/require-await
async function* fromArray<T>(items: readonly T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

/**
 * The one order a training set replays events in, whatever the source: event time, then shopper
 * key, then the shopper's log order (`seq`). Both sources give the same order for the same events
 * (a shopper's events keep their log order; ties between shoppers are broken by key, not by which
 * partition happened to be read first), and item/category features never see an event later than
 * the one being scored, which reading the partitions one after another would allow.
 */
export function canonicalOrder(events: SourceEvent[]): SourceEvent[] {
  return events.sort((a, b) => {
    const dt = a.event.timeMs - b.event.timeMs;
    if (dt !== 0) return dt;
    const ka = a.event.shopperKey;
    const kb = b.event.shopperKey;
    if (ka !== kb) return ka < kb ? -1 : 1;
    return a.seq - b.seq;
  });
}
