import { EventType } from '@clickwise/contracts';
import { ErasureList, FeatureEngine, OfflineExecutor, sessionEntityKey, type ApplyResult, type FeatureEvent } from '@clickwise/features';
import { columnsOf, rowOf, type ColumnSpec } from './columns.js';
import { canonicalOrder, DEFAULT_SESSION_GAP_MS, type SourceCapabilities, type SourceEvent, type TrainingSource } from './events.js';

/**
 * Point-in-time examples, columnar: one row per non-purchase event e (features right after e, as
 * serving sees them when it scores e), label 1 when e's session has a purchase later in the log.
 */
export interface TrainingSet {
  /** Column names (the model's inputs), `d` of them. */
  columns: string[];
  /** How each column is read from a feature vector (kept in the artifact for serving). */
  columnSpecs: ColumnSpec[];
  /** n × d, row-major; NaN where a feature is absent. */
  rows: Float32Array;
  labels: Uint8Array;
  /** Session key of each example (shopper + session), for the session bootstrap. */
  groupKeys: string[];
  timesMs: Float64Array;
  eventIds: string[];
  /** The event type of each example (for the baselines and reports). */
  eventTypes: Uint8Array;
  /** FeatureEngine.version of the definitions that made the rows. */
  featureDefinitionsVersion: string;
  capabilities: SourceCapabilities;
  /** What was read and what was left out. */
  stats: TrainingSetStats;
}

export interface TrainingSetStats {
  events: number;
  examples: number;
  positives: number;
  sessions: number;
  purchases: number;
  erasedEvents: number;
  /** Events without a session id: they feed features but give no example (no session, no label). */
  noSession: number;
  /**
   * Non-purchase events whose label is not known yet: no purchase after them so far, and their
   * session may still go on (its last event is less than the open-session time before the log's
   * last event). They feed features but give no example (neither 1 nor a guessed 0).
   */
  openExamples: number;
  firstTimeMs: number;
  lastTimeMs: number;
}

/** What builds the vectors: the offline executor, or (in the leakage test) a wrapper around it. */
export interface VectorExecutor {
  apply(e: FeatureEvent, partition: number, options: { vector: true }): ApplyResult;
}

export interface BuildOptions {
  engine?: FeatureEngine;
  /** Shoppers erased (privacy.erasures.v1): their events give no example and feed no shopper/session state. */
  erasures?: ErasureList;
  /** Called every 1,000 events with (done, total). */
  onProgress?: (done: number, total: number) => void;
  /**
   * A session is over once the log goes on this long after its last event (default 30 min, the
   * session inactivity gap): before that, a click with no purchase after it so far has no label yet.
   */
  openSessionMs?: number;
  /**
   * Makes the executor (default: a fresh OfflineExecutor). The leakage test passes one that peeks
   * ahead, to prove the check catches it; the events come in canonical order.
   */
  executor?: (engine: FeatureEngine, erasures: ErasureList, events: readonly SourceEvent[]) => VectorExecutor;
}

/** Reads a source to the end, in canonical order (see canonicalOrder). */
export async function collect(source: TrainingSource): Promise<SourceEvent[]> {
  const events: SourceEvent[] = [];
  for await (const e of source.events()) events.push(e);
  return canonicalOrder(events);
}

/**
 * Builds a training set: the source's events, in canonical order (event time, shopper, log order),
 * through the offline feature executor; an example at each non-purchase event of a live (not
 * erased) shopper with a session id.
 */
export async function buildTrainingSet(source: TrainingSource, options: BuildOptions = {}): Promise<TrainingSet> {
  const events = await collect(source);
  return buildFromEvents(events, source.capabilities, options);
}

/** buildTrainingSet over events already in canonical order. */
export function buildFromEvents(events: readonly SourceEvent[], capabilities: SourceCapabilities, options: BuildOptions = {}): TrainingSet {
  const engine = options.engine ?? new FeatureEngine();
  const erasures = options.erasures ?? new ErasureList();
  const executor = options.executor ? options.executor(engine, erasures, events) : new OfflineExecutor(engine, { erasures });
  const specs = columnsOf(engine, capabilities);
  const d = specs.length;

  // Labels first: the position of each session's last purchase in the canonical order, and the
  // time of each session's last event (a session still open at the log's end has no known future).
  const lastPurchase = new Map<string, number>();
  const sessionLastMs = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!.event;
    if (e.sessionId === '') continue;
    const key = sessionEntityKey(e.shopperKey, e.sessionId);
    if (e.type === EventType.PURCHASE) lastPurchase.set(key, i);
    sessionLastMs.set(key, Math.max(sessionLastMs.get(key) ?? -Infinity, e.timeMs));
  }
  const logEndMs = events.reduce((m, s) => Math.max(m, s.event.timeMs), -Infinity);
  const openSessionMs = options.openSessionMs ?? DEFAULT_SESSION_GAP_MS;

  let rows = new Float32Array(Math.max(1, events.length) * d);
  const labels: number[] = [];
  const groupKeys: string[] = [];
  const times: number[] = [];
  const eventIds: string[] = [];
  const types: number[] = [];
  const sessions = new Set<string>();
  let n = 0;
  let erased = 0;
  let noSession = 0;
  let purchases = 0;
  let positives = 0;
  let open = 0;
  for (let i = 0; i < events.length; i++) {
    const { event: e, partition } = events[i]!;
    if (i % 1000 === 0) options.onProgress?.(i, events.length);
    const result = executor.apply(e, partition, { vector: true });
    if (e.type === EventType.PURCHASE) purchases++;
    if (result.status === 'erased') {
      erased++;
      continue;
    }
    if (result.status !== 'applied' || !result.vector) continue;
    if (e.sessionId === '') {
      noSession++;
      continue;
    }
    if (e.type === EventType.PURCHASE) continue;
    const key = sessionEntityKey(e.shopperKey, e.sessionId);
    // The label: 1 iff the same session has a purchase strictly after e (same time: log order).
    const label = (lastPurchase.get(key) ?? -1) > i ? 1 : 0;
    if (label === 0 && logEndMs - sessionLastMs.get(key)! < openSessionMs) {
      open++;
      continue;
    }
    sessions.add(key);
    rowOf(result.vector, specs, rows.subarray(n * d, (n + 1) * d));
    labels.push(label);
    positives += label;
    groupKeys.push(key);
    times.push(e.timeMs);
    eventIds.push(e.eventId);
    types.push(e.type);
    n++;
  }
  options.onProgress?.(events.length, events.length);
  rows = rows.slice(0, n * d);
  return {
    columns: specs.map((c) => c.name),
    columnSpecs: specs,
    rows,
    labels: Uint8Array.from(labels),
    groupKeys,
    timesMs: Float64Array.from(times),
    eventIds,
    eventTypes: Uint8Array.from(types),
    featureDefinitionsVersion: engine.version,
    capabilities,
    stats: {
      events: events.length,
      examples: n,
      positives,
      sessions: sessions.size,
      purchases,
      erasedEvents: erased,
      noSession,
      openExamples: open,
      firstTimeMs: events[0]?.event.timeMs ?? NaN,
      lastTimeMs: events.at(-1)?.event.timeMs ?? NaN,
    },
  };
}

/** The examples at `indices`, as a training set of their own. */
export function subset(set: TrainingSet, indices: ArrayLike<number>): TrainingSet {
  const d = set.columns.length;
  const rows = new Float32Array(indices.length * d);
  const labels = new Uint8Array(indices.length);
  const times = new Float64Array(indices.length);
  const types = new Uint8Array(indices.length);
  const groupKeys: string[] = [];
  const eventIds: string[] = [];
  let positives = 0;
  const sessions = new Set<string>();
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    rows.set(set.rows.subarray(i * d, (i + 1) * d), k * d);
    labels[k] = set.labels[i]!;
    positives += set.labels[i]!;
    times[k] = set.timesMs[i]!;
    types[k] = set.eventTypes[i]!;
    groupKeys.push(set.groupKeys[i]!);
    sessions.add(set.groupKeys[i]!);
    eventIds.push(set.eventIds[i]!);
  }
  return {
    ...set,
    rows,
    labels,
    timesMs: times,
    eventTypes: types,
    groupKeys,
    eventIds,
    stats: { ...set.stats, examples: indices.length, positives, sessions: sessions.size, firstTimeMs: times[0] ?? NaN, lastTimeMs: times.at(-1) ?? NaN },
  };
}
