/** How a client retries: exponential backoff with full jitter, capped; Retry-After wins when longer. */
export interface RetryPolicy {
  /** Attempts in all, the first one included (default 8). */
  maxAttempts: number;
  /** Backoff before the first retry, before jitter (default 250 ms). */
  baseDelayMs: number;
  /** Cap of the backoff (default 30 s). */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 30_000 };

/**
 * The wait before retry number `retry` (1 for the first retry): full jitter over
 * [0, min(cap, base·2^(retry-1))], or Retry-After plus a little jitter when the server said so.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = Math.floor(random() * ceiling);
  if (retryAfterMs === undefined) return jittered;
  // Honour the server's wait; spread clients over a little extra so they do not return together.
  return retryAfterMs + Math.floor(random() * Math.min(1000, Math.max(policy.baseDelayMs, retryAfterMs / 10)));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Whether a status is worth retrying: 429 and 5xx. No other 4xx is (the request itself is wrong). */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
