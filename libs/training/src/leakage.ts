import { ErasureList, FeatureEngine, OfflineExecutor } from '@clickwise/features';
import { rowOf } from './columns.js';
import type { SourceEvent } from './events.js';
import type { TrainingSet } from './training-set.js';

export interface PointInTimeReport {
  checked: number;
  /** Examples whose row differs from the one recomputed from the events up to and including e. */
  mismatches: { eventId: string; column: string; inSet: number; fromPrefix: number }[];
}

/**
 * The point-in-time check: for each sampled example, a fresh offline executor replays only the
 * events up to and including e (in canonical order) and its row must equal the training set's,
 * column by column. A feature that saw e's label event, or anything after e, differs.
 */
export function verifyPointInTime(
  set: TrainingSet,
  events: readonly SourceEvent[],
  options: { sample?: number; seed?: number; engine?: FeatureEngine; erasures?: ErasureList } = {},
): PointInTimeReport {
  const engine = options.engine ?? new FeatureEngine();
  const position = new Map<string, number>();
  for (let i = 0; i < events.length; i++) position.set(events[i]!.event.eventId, i);
  const wanted = new Set<number>();
  const n = set.labels.length;
  const sample = Math.min(n, options.sample ?? 40);
  // Spread over the log, with every positive example of the first part (they are the ones a peek ahead changes).
  for (let k = 0; k < sample; k++) wanted.add(Math.floor(((k + 0.5) * n) / sample));
  for (let i = 0; i < n && wanted.size < sample * 2; i++) if (set.labels[i] === 1) wanted.add(i);
  const mismatches: PointInTimeReport['mismatches'] = [];
  const d = set.columns.length;
  // One pass: the executor replays the prefix and takes the vector exactly at each wanted example.
  const at = new Map<number, number>();
  for (const i of wanted) {
    const p = position.get(set.eventIds[i]!);
    if (p === undefined) throw new Error(`example ${set.eventIds[i]} is not among the events`);
    at.set(p, i);
  }
  const erasures = new ErasureList();
  const executor = new OfflineExecutor(engine, { erasures });
  if (options.erasures) for (const e of events) { const r = options.erasures.requestedAt(e.event.shopperKey); if (r !== undefined) erasures.add(e.event.shopperKey, r); }
  const last = Math.max(-1, ...at.keys());
  for (let p = 0; p <= last; p++) {
    const i = at.get(p);
    const r = executor.apply(events[p]!.event, events[p]!.partition, { vector: i !== undefined });
    if (i === undefined || !r.vector) continue;
    const row = rowOf(r.vector, set.columnSpecs);
    for (let j = 0; j < d; j++) {
      const a = set.rows[i * d + j]!;
      const b = row[j]!;
      if (!(Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)))) mismatches.push({ eventId: set.eventIds[i]!, column: set.columns[j]!, inSet: a, fromPrefix: b });
    }
  }
  return { checked: at.size, mismatches };
}
