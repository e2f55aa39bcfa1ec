import type { HttpEvent, IngestResponse, Rejection } from './event.js';
import { backoffDelay, defaultRetryPolicy, isRetriableStatus, parseRetryAfter, type RetryPolicy } from './retry.js';

/** The part of a fetch Response the client reads. */
export interface ResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface RequestInitLike {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  keepalive?: boolean;
  signal?: AbortSignal;
}

/** `fetch`, or anything shaped like it (tests pass a plain fake). */
export type FetchLike = (url: string, init: RequestInitLike) => Promise<ResponseLike>;

/** What one HTTP attempt came to. */
export type AttemptOutcome =
  | { kind: 'done'; status: number; response: IngestResponse }
  | { kind: 'retry'; status?: number; retryAfterMs?: number; error: string }
  | { kind: 'fail'; status: number; error: string; rejected: Rejection[] };

/** The end result of sending one batch, retries included. */
export interface SendResult {
  ok: boolean;
  /** Last HTTP status seen (none after network errors only). */
  status?: number;
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  attempts: number;
  /** Why the batch was not delivered (ok = false). */
  error?: string;
  /** When not delivered: whether retries ran out (true) or the server refused for good (false). */
  retriable?: boolean;
}

export interface RetryInfo {
  /** The retry about to be made (1 for the first). */
  retry: number;
  delayMs: number;
  status?: number;
  retryAfterMs?: number;
  error: string;
}

export interface IngestClientOptions {
  /** Base URL of the ingestion service (`https://host`), or the full `/v1/events` URL. */
  endpoint: string;
  /** API key. */
  key: string;
  /**
   * Where the key goes: `header` (x-api-key, the default) or `query` (`?key=`, what sendBeacon
   * uses; with a text/plain body this makes a CORS "simple request", without preflight).
   */
  keyIn?: 'header' | 'query';
  fetch?: FetchLike;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout (default 15 s); a timeout is retried like a network error. */
  timeoutMs?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  onRetry?: (info: RetryInfo) => void;
}

/** The events URL for an endpoint given as a base URL or as the events URL itself. */
export function eventsUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/events') ? trimmed : `${trimmed}/v1/events`;
}

/** The URL a beacon posts to: sendBeacon cannot set headers, so the key rides in the query. */
export function keyedUrl(endpoint: string, key: string): string {
  const url = eventsUrl(endpoint);
  return `${url}${url.includes('?') ? '&' : '?'}key=${encodeURIComponent(key)}`;
}

/** The request body for a batch. */
export function batchBody(events: readonly HttpEvent[]): string {
  return JSON.stringify({ events });
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function defaultFetch(): FetchLike {
  const f = (globalThis as { fetch?: FetchLike }).fetch;
  if (!f) throw new Error('no fetch on this platform: pass options.fetch');
  return (url, init) => f(url, init);
}

function asRejections(value: unknown): Rejection[] {
  if (!Array.isArray(value)) return [];
  return value.filter((r): r is Rejection => typeof r === 'object' && r !== null && typeof (r as Rejection).reason === 'string');
}

function errorText(body: string, status: number): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    // { error: { code, message } } (the ingest API), or { message } / { error: "…" }.
    const nested = typeof parsed.error === 'object' && parsed.error !== null ? (parsed.error as { message?: unknown }).message : undefined;
    const message = nested ?? parsed.message ?? parsed.error;
    if (typeof message === 'string') return `HTTP ${status}: ${message}`;
  } catch {
    // not JSON
  }
  return `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
}

/**
 * Posts batches to POST /v1/events. `attempt` makes one request and classifies the outcome;
 * `send` retries retriable outcomes (network errors, 429, 5xx) with exponential backoff and full
 * jitter, waiting at least Retry-After when the server gives one, and never retries another 4xx.
 * Retrying is safe because every event carries its id and ingestion dedupes by id.
 */
export class IngestClient {
  readonly url: string;
  readonly policy: RetryPolicy;
  private readonly fetch: FetchLike;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: IngestClientOptions) {
    this.url = options.keyIn === 'query' ? keyedUrl(options.endpoint, options.key) : eventsUrl(options.endpoint);
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    this.fetch = options.fetch ?? defaultFetch();
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? Date.now;
  }

  /** One request, no retry. `body` defaults to the batch body of `events`. */
  async attempt(events: readonly HttpEvent[], init: { keepalive?: boolean; body?: string } = {}): Promise<AttemptOutcome> {
    const query = this.options.keyIn === 'query';
    const headers: Record<string, string> = { 'content-type': query ? 'text/plain;charset=UTF-8' : 'application/json' };
    if (!query) headers['x-api-key'] = this.options.key;
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const signal = typeof AbortSignal !== 'undefined' && 'timeout' in AbortSignal ? AbortSignal.timeout(timeoutMs) : undefined;
    let response: ResponseLike;
    let body: string;
    try {
      response = await this.fetch(this.url, {
        method: 'POST',
        headers,
        body: init.body ?? batchBody(events),
        ...(init.keepalive ? { keepalive: true } : {}),
        ...(signal ? { signal } : {}),
      });
      body = await response.text();
    } catch (error) {
      return { kind: 'retry', error: `network: ${error instanceof Error ? error.message : String(error)}` };
    }
    const { status } = response;
    if (status === 200 || status === 400) {
      try {
        const parsed = JSON.parse(body) as Partial<IngestResponse>;
        // A 400 that lists rejected events is a per-event answer (every event was invalid), not a refusal of the request.
        if (status === 400 && !(Array.isArray(parsed.rejected) && parsed.rejected.length > 0 && typeof parsed.accepted === 'number')) {
          throw new Error('not a per-event answer');
        }
        return {
          kind: 'done',
          status,
          response: {
            accepted: typeof parsed.accepted === 'number' ? parsed.accepted : 0,
            duplicates: typeof parsed.duplicates === 'number' ? parsed.duplicates : 0,
            rejected: asRejections(parsed.rejected),
          },
        };
      } catch {
        // Accepted or not, we cannot tell; the same ids make a retry safe.
        if (status === 200) return { kind: 'retry', status, error: 'HTTP 200 with an unreadable body' };
      }
    }
    if (isRetriableStatus(status)) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.now());
      return { kind: 'retry', status, error: errorText(body, status), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    let rejected: Rejection[] = [];
    try {
      rejected = asRejections((JSON.parse(body) as { rejected?: unknown }).rejected);
    } catch {
      // not JSON
    }
    return { kind: 'fail', status, error: errorText(body, status), rejected };
  }

  /** The wait before retry number `retry` for an outcome. */
  delayFor(retry: number, outcome: { retryAfterMs?: number }): number {
    return backoffDelay(this.policy, retry, this.random, outcome.retryAfterMs);
  }

  /** Sends one batch, retrying as the policy says; stops early (undelivered) when `signal` aborts. */
  async send(events: readonly HttpEvent[], options: { signal?: AbortSignal } = {}): Promise<SendResult> {
    const body = batchBody(events);
    let last: AttemptOutcome | undefined;
    let attempts = 0;
    for (let attempt = 1; attempt <= this.policy.maxAttempts; attempt++) {
      attempts = attempt;
      last = await this.attempt(events, { body });
      if (last.kind === 'done') {
        return { ok: true, status: last.status, ...last.response, attempts: attempt };
      }
      if (last.kind === 'fail') {
        return {
          ok: false,
          status: last.status,
          accepted: 0,
          duplicates: 0,
          rejected: last.rejected,
          attempts: attempt,
          error: last.error,
          retriable: false,
        };
      }
      if (attempt === this.policy.maxAttempts || options.signal?.aborted) break;
      const delayMs = this.delayFor(attempt, last);
      this.options.onRetry?.({
        retry: attempt,
        delayMs,
        error: last.error,
        ...(last.status === undefined ? {} : { status: last.status }),
        ...(last.retryAfterMs === undefined ? {} : { retryAfterMs: last.retryAfterMs }),
      });
      await this.sleep(delayMs, options.signal);
      if (options.signal?.aborted) break;
    }
    const retry = last?.kind === 'retry' ? last : undefined;
    return {
      ok: false,
      ...(retry?.status === undefined ? {} : { status: retry.status }),
      accepted: 0,
      duplicates: 0,
      rejected: [],
      attempts,
      error: retry?.error ?? 'aborted',
      retriable: true,
    };
  }
}
