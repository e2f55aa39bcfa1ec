/**
 * Event-time windows. A window of length `ms` slides in hops of `hopMs` (ms is a multiple of
 * hopMs). State keeps one partial per hop ("bucket" k = floor(t / hopMs)); read at reference time
 * T, a window covers the buckets k with k(T) − ms/hopMs < k ≤ k(T), i.e. the `ms` of event time
 * that end where T's hop ends. This is the hopping ("sawtooth") window of Chronon and Flink: exact
 * at hop granularity, and what both executors and the naive reference compute.
 */
export interface Window {
  /** Short label used in feature names ("5m", "1h", "24h", "7d", "30d"). */
  readonly label: string;
  readonly ms: number;
  readonly hopMs: number;
}

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const windows = {
  m5: { label: '5m', ms: 5 * MINUTE_MS, hopMs: 30 * SECOND_MS },
  h1: { label: '1h', ms: HOUR_MS, hopMs: 5 * MINUTE_MS },
  h24: { label: '24h', ms: DAY_MS, hopMs: HOUR_MS },
  d7: { label: '7d', ms: 7 * DAY_MS, hopMs: 6 * HOUR_MS },
  d30: { label: '30d', ms: 30 * DAY_MS, hopMs: DAY_MS },
} as const satisfies Record<string, Window>;

/** The longest window any feature uses; rebuilds need this much history plus the lateness. */
export const LONGEST_WINDOW_MS = windows.d30.ms;

/** Bucket (hop) index of an event time. */
export function bucketOf(timeMs: number, hopMs: number): number {
  return Math.floor(timeMs / hopMs);
}

/** Number of buckets a window spans. */
export function bucketsOf(window: Window): number {
  return window.ms / window.hopMs;
}

/** Whether an event at `timeMs` is inside `window` read at `refMs` (the hop semantics above). */
export function inWindow(timeMs: number, refMs: number, window: Window): boolean {
  const k = bucketOf(timeMs, window.hopMs);
  const kRef = bucketOf(refMs, window.hopMs);
  return k <= kRef && k > kRef - bucketsOf(window);
}
