import { DAY_MS } from '@clickwise/features';
import { subset, type TrainingSet } from './training-set.js';

export interface SplitBounds {
  /** Examples at or after this time (ms) are validation (before: training). */
  validationFromMs: number;
  /** Examples at or after this time (ms) are test. */
  testFromMs: number;
  /** Which rule gave the bounds. */
  rule: 'fixed' | 'proportional';
  /** Time left out of the span: the gaps (no event) longer than SPLIT_GAP_MS, in ms (0: none). */
  gapMs?: number;
}

export interface TimeSplit {
  train: TrainingSet;
  validation: TrainingSet;
  test: TrainingSet;
  bounds: SplitBounds;
}

export class SplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitError';
  }
}

/** Spans of at least this are split with fixed lengths (test 2 days, validation 1 day). */
export const FIXED_SPLIT_MIN_SPAN_MS = 7 * DAY_MS;
/** The shortest span a split is made for. */
export const MIN_SPLIT_SPAN_MS = 7 * 3_600_000;
/**
 * A stretch with no event longer than this is a gap in the log (an outage, a hole in the export),
 * not time: the split measures its days in time that has events. Shorter quiet stretches (a small
 * shop's night) still count as time.
 */
export const SPLIT_GAP_MS = 12 * 3_600_000;

/**
 * The split rule (ADR 0052), by event time, never at random. The span is the log's first to last
 * event time, less the gaps longer than SPLIT_GAP_MS (`gapMs`: the time they leave out). A span of
 * 7 days or more: test is the last 2 days, validation the day before, the rest training. Shorter
 * (at least 7 h): the same shape in proportion — the last 2/7 of the span test, the 1/7 before
 * validation, the first 4/7 training (the two rules agree at 7 days). Bounds are in active time
 * (span time), see `timeSplit` for how they map to event times.
 */
export function splitBounds(firstMs: number, lastMs: number, gapMs = 0): SplitBounds {
  const span = lastMs - firstMs - gapMs;
  if (!(span >= MIN_SPLIT_SPAN_MS)) {
    const gaps = gapMs > 0 ? ` (not counting ${(gapMs / 3_600_000).toFixed(1)} h of gaps over ${SPLIT_GAP_MS / 3_600_000} h without an event)` : '';
    throw new SplitError(`the events span ${(span / 3_600_000).toFixed(1)} h${gaps}; a time split needs at least ${MIN_SPLIT_SPAN_MS / 3_600_000} h (training 4/7, validation 1/7, test 2/7)`);
  }
  if (span >= FIXED_SPLIT_MIN_SPAN_MS) return { testFromMs: lastMs - 2 * DAY_MS, validationFromMs: lastMs - 3 * DAY_MS, rule: 'fixed', gapMs };
  return { testFromMs: lastMs - (2 / 7) * span, validationFromMs: lastMs - (3 / 7) * span, rule: 'proportional', gapMs };
}

/** The gaps (start, end) of sorted times: consecutive times further apart than SPLIT_GAP_MS. */
export function logGaps(sortedTimesMs: ArrayLike<number>, gapMs = SPLIT_GAP_MS): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < sortedTimesMs.length; i++) {
    const a = sortedTimesMs[i - 1]!;
    const b = sortedTimesMs[i]!;
    if (b - a > gapMs) out.push([a, b]);
  }
  return out;
}

/**
 * The event time at which `activeBackMs` of active time (time outside the gaps) lies between it and
 * `lastMs`, walking back over the gaps (a bound never falls inside a gap: it moves to the gap's end,
 * so the part after it starts with the first event after the gap).
 */
function backInActiveTime(lastMs: number, activeBackMs: number, gaps: readonly [number, number][]): number {
  let t = lastMs;
  let left = activeBackMs;
  for (let g = gaps.length - 1; g >= 0; g--) {
    const [start, end] = gaps[g]!;
    if (end > t) continue;
    if (t - end >= left) return t - left;
    left -= t - end;
    t = start;
  }
  return t - left;
}

/**
 * The bounds for a training set: `splitBounds` over the log's span (the set's first and last event)
 * less its gaps (stretches over SPLIT_GAP_MS with no example), the 2 / 1 days (or 2/7 / 1/7) counted
 * back from the last event in active time. A log without such gaps gets exactly the plain rule.
 */
export function boundsFor(set: TrainingSet): SplitBounds {
  const first = set.stats.firstTimeMs;
  const last = set.stats.lastTimeMs;
  const times = Float64Array.from([first, ...set.timesMs, last]).sort();
  const gaps = logGaps(times);
  const gapMs = gaps.reduce((s, [a, b]) => s + (b - a), 0);
  const plain = splitBounds(first, last, gapMs);
  if (gaps.length === 0) return plain;
  const span = last - first - gapMs;
  const testBack = plain.rule === 'fixed' ? 2 * DAY_MS : (2 / 7) * span;
  const validationBack = plain.rule === 'fixed' ? 3 * DAY_MS : (3 / 7) * span;
  return { ...plain, testFromMs: backInActiveTime(last, testBack, gaps), validationFromMs: backInActiveTime(last, validationBack, gaps) };
}

/**
 * Splits a training set by example time with `boundsFor` (the rule over the log's span, gaps left
 * out). Every part must have examples of both labels: a clear error names the part otherwise.
 */
export function timeSplit(set: TrainingSet, bounds: SplitBounds = boundsFor(set)): TimeSplit {
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < set.labels.length; i++) {
    const t = set.timesMs[i]!;
    (t >= bounds.testFromMs ? test : t >= bounds.validationFromMs ? validation : train).push(i);
  }
  const parts = { train: subset(set, train), validation: subset(set, validation), test: subset(set, test) };
  for (const [name, part] of Object.entries(parts)) {
    if (part.stats.positives === 0 || part.stats.positives === part.stats.examples) {
      throw new SplitError(
        `the ${name} part (${part.stats.examples} examples from ${new Date(part.stats.firstTimeMs || 0).toISOString()}) has ${part.stats.positives} positives: ` +
          'every part needs sessions that purchase and sessions that do not',
      );
    }
  }
  return { ...parts, bounds };
}
