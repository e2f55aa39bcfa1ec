import { DAY_MS } from '@clickwise/features';
import { subset, type TrainingSet } from './training-set.js';

export interface SplitBounds {
  /** Examples at or after this time (ms) are validation (before: training). */
  validationFromMs: number;
  /** Examples at or after this time (ms) are test. */
  testFromMs: number;
  /** Which rule gave the bounds. */
  rule: 'fixed' | 'proportional';
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
 * The split rule (ADR 0052), by event time, never at random. The span is the log's first to last
 * event time. A span of 7 days or more: test is the last 2 days, validation the day before, the
 * rest training. Shorter (at least 7 h): the same shape in proportion — the last 2/7 of the span
 * test, the 1/7 before validation, the first 4/7 training (the two rules agree at 7 days).
 */
export function splitBounds(firstMs: number, lastMs: number): SplitBounds {
  const span = lastMs - firstMs;
  if (!(span >= MIN_SPLIT_SPAN_MS)) {
    throw new SplitError(`the events span ${(span / 3_600_000).toFixed(1)} h; a time split needs at least ${MIN_SPLIT_SPAN_MS / 3_600_000} h (training 4/7, validation 1/7, test 2/7)`);
  }
  if (span >= FIXED_SPLIT_MIN_SPAN_MS) return { testFromMs: lastMs - 2 * DAY_MS, validationFromMs: lastMs - 3 * DAY_MS, rule: 'fixed' };
  return { testFromMs: lastMs - (2 / 7) * span, validationFromMs: lastMs - (3 / 7) * span, rule: 'proportional' };
}

/**
 * Splits a training set by example time with `splitBounds` over the log's span (the set's stats).
 * Every part must have examples of both labels: a clear error names the part otherwise.
 */
export function timeSplit(set: TrainingSet, bounds: SplitBounds = splitBounds(set.stats.firstTimeMs, set.stats.lastTimeMs)): TimeSplit {
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
