import { MAX_BATCH_EVENTS, type EventContext, type HttpEvent, type Rejection } from './event.js';
import { randomId } from './ids.js';
import { batchBody, IngestClient, keyedUrl, type AttemptOutcome, type FetchLike } from './ingest-client.js';
import type { RetryPolicy } from './retry.js';

/** What `track` takes: an event without the fields the tracker fills in. */
export type TrackInput = Omit<HttpEvent, 'eventId' | 'eventTime' | 'sessionId'> & {
  eventId?: string;
  eventTime?: number | string;
  sessionId?: string;
};

/** Timers and clock, injectable so tests can drive time. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** The page the tracker watches for unload: `window` (pagehide) and `document` (visibilitychange). */
export interface PageLike {
  window: EventTargetLike;
  document: EventTargetLike & { visibilityState?: string };
}

export type BeaconFn = (url: string, data: string) => boolean;

export interface TrackerError {
  /** rejected: the server refused these events (invalid); failed: not delivered (retries ran out or 401/403/400); dropped: queue full. */
  kind: 'rejected' | 'failed' | 'dropped';
  eventIds: string[];
  reason: string;
  status?: number;
  rejections?: Rejection[];
}

export interface TrackerOptions {
  /** Base URL of the ingestion service, e.g. `https://ingest.example.com`. */
  endpoint: string;
  /** A publishable API key with the `ingest` scope only. */
  key: string;
  /** Events per request (default 50, at most 1000). */
  batchSize?: number;
  /** Bytes of JSON per request (default 256 KiB; the API takes 1 MiB). */
  maxBatchBytes?: number;
  /** Longest an event waits for its batch to fill (default 1000 ms). */
  flushIntervalMs?: number;
  /** Events held at most (queued and waiting for retry); past it the oldest are dropped and counted (default 1000). */
  maxQueue?: number;
  /** Requests in flight at most (default 2). */
  maxInFlight?: number;
  retry?: Partial<RetryPolicy>;
  /** Where the key goes on fetch requests (default `header`); beacons always use the query. */
  keyIn?: 'header' | 'query';
  userId?: string;
  /** Device id for shoppers who are not logged in (default: a random id per tracker). */
  anonymousId?: string;
  /** Session id (default: a random id per tracker). */
  sessionId?: string;
  /** Context merged under every event's own. */
  context?: EventContext;
  /** In a browser, fill page, referrer, user agent and locale from the page (default true). */
  autoContext?: boolean;
  fetch?: FetchLike;
  /** navigator.sendBeacon by default when present; false turns beacons off. */
  sendBeacon?: BeaconFn | false;
  /** The page to watch for unload; window/document by default when present; false for none. */
  page?: PageLike | false;
  scheduler?: Scheduler;
  random?: () => number;
  onError?: (error: TrackerError) => void;
}

export interface TrackerStats {
  /** Events given to track. */
  tracked: number;
  /** Events waiting in the queue now (including those waiting for a retry). */
  queued: number;
  /** Events in requests now in flight. */
  inFlight: number;
  /** HTTP requests made (retries included; beacons not). */
  requests: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  dropped: number;
  failed: number;
  /** Requests that were retried. */
  retries: number;
  /** Events handed to sendBeacon (or a keepalive fetch) on page unload. */
  beaconed: number;
}

/** Beacons share a 64 KiB in-flight budget per page; stay under it per call. */
const BEACON_BYTES = 60_000;

const globalScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface BrowserGlobals {
  window?: EventTargetLike;
  document?: PageLike['document'] & { referrer?: string };
  navigator?: { sendBeacon?: (url: string, data?: BodyInit | null) => boolean; userAgent?: string; language?: string };
  location?: { pathname?: string };
}

/** UTF-8 byte length of a string, without allocating. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Splits events into chunks of at most `maxEvents` and (roughly) `maxBytes` of batch body. */
export function chunkEvents(events: readonly HttpEvent[], maxEvents: number, maxBytes: number): HttpEvent[][] {
  const chunks: HttpEvent[][] = [];
  let current: HttpEvent[] = [];
  let bytes = 12; // {"events":[]}
  for (const event of events) {
    const size = utf8Length(JSON.stringify(event)) + 1;
    if (current.length > 0 && (current.length >= maxEvents || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 12;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Collects storefront events and delivers them to POST /v1/events. `track` is synchronous and
 * cheap: it stamps an id and a time, queues the event and returns; batches go out when full or
 * after `flushIntervalMs`, retried with backoff (ids make retries safe). On page hide the queue is
 * handed to sendBeacon.
 */
export class Tracker {
  private readonly client: IngestClient;
  private readonly scheduler: Scheduler;
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly maxInFlight: number;
  private readonly beacon: BeaconFn | undefined;
  private readonly page: PageLike | undefined;
  private readonly browser: BrowserGlobals | undefined;
  private readonly attempts = new WeakMap<HttpEvent, number>();
  private readonly inFlightBatches = new Set<HttpEvent[]>();
  private queue: HttpEvent[] = [];
  private queueSince = 0;
  private backoffUntil = 0;
  private failures = 0;
  private timer: unknown;
  private timerDue = Infinity;
  private flushing = 0;
  /** The last batch was cut by bytes: what is left counts as a full batch. */
  private moreDue = false;
  private closed = false;
  private waiters: (() => void)[] = [];
  private userId: string | undefined;
  private readonly counters = {
    tracked: 0,
    requests: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    dropped: 0,
    failed: 0,
    retries: 0,
    beaconed: 0,
  };
  readonly anonymousId: string;
  sessionId: string;

  constructor(private readonly options: TrackerOptions) {
    const random = options.random ?? Math.random;
    this.scheduler = options.scheduler ?? globalScheduler;
    this.client = new IngestClient({
      endpoint: options.endpoint,
      key: options.key,
      keyIn: options.keyIn ?? 'header',
      random,
      now: () => this.scheduler.now(),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
    this.batchSize = Math.min(MAX_BATCH_EVENTS, Math.max(1, options.batchSize ?? 50));
    this.maxBatchBytes = options.maxBatchBytes ?? 256 * 1024;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxQueue = Math.max(1, options.maxQueue ?? 1000);
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.userId = options.userId;
    this.anonymousId = options.anonymousId ?? `a-${randomId(random)}`;
    this.sessionId = options.sessionId ?? `s-${randomId(random)}`;

    const g = globalThis as BrowserGlobals;
    const isBrowser = g.window !== undefined && g.document !== undefined;
    this.browser = isBrowser ? g : undefined;
    const nav = g.navigator;
    this.beacon =
      options.sendBeacon === false
        ? undefined
        : (options.sendBeacon ?? (nav?.sendBeacon ? (url: string, data: string) => nav.sendBeacon?.call(nav, url, data) ?? false : undefined));
    this.page = options.page === false ? undefined : (options.page ?? (isBrowser && g.window && g.document ? { window: g.window, document: g.document } : undefined));
    if (this.page) {
      this.page.window.addEventListener('pagehide', this.onPageHide);
      this.page.document.addEventListener('visibilitychange', this.onVisibilityChange);
    }
  }

  /** Queues one event and returns its id. Never throws for delivery problems and never waits. */
  track(input: TrackInput): string {
    const now = this.scheduler.now();
    const event: HttpEvent = {
      ...input,
      eventId: input.eventId ?? randomId(this.options.random),
      eventTime: input.eventTime ?? now,
      sessionId: input.sessionId ?? this.sessionId,
      source: input.source ?? 'tracker',
    };
    if (event.userId === undefined && this.userId !== undefined) event.userId = this.userId;
    if (event.anonymousId === undefined) event.anonymousId = this.anonymousId;
    const context = this.contextFor(input.context);
    if (context) event.context = context;
    this.counters.tracked++;
    if (this.closed) {
      this.drop([event], 'tracker is closed');
      return event.eventId;
    }
    if (this.queue.length === 0) this.queueSince = now;
    this.queue.push(event);
    this.enforceBound();
    this.schedule(this.queue.length >= this.batchSize ? now : this.queueSince + this.flushIntervalMs);
    return event.eventId;
  }

  /** Sets (or clears) the logged-in shopper for later events. */
  identify(userId: string | undefined): void {
    this.userId = userId;
  }

  /** Starts a new session id for later events and returns it. */
  newSession(sessionId?: string): string {
    this.sessionId = sessionId ?? `s-${randomId(this.options.random)}`;
    return this.sessionId;
  }

  stats(): TrackerStats {
    let inFlight = 0;
    for (const batch of this.inFlightBatches) inFlight += batch.length;
    return { ...this.counters, queued: this.queue.length, inFlight };
  }

  /** Sends everything queued now, and resolves once every event was delivered, rejected, dropped or given up. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.schedule(this.scheduler.now());
      while (this.queue.length > 0 || this.inFlightBatches.size > 0) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, stops the timers and listeners. Later `track` calls are dropped. */
  async close(): Promise<void> {
    this.detach();
    await this.flush();
    this.closed = true;
    this.clearTimer();
  }

  /**
   * Hands everything not yet acknowledged to sendBeacon (key in the URL, text/plain JSON body),
   * as on page unload. Events of requests still in flight are included: if both arrive, the
   * second is a duplicate and ingestion drops it.
   */
  beaconNow(): number {
    const pending = [...[...this.inFlightBatches].flat(), ...this.queue];
    if (pending.length === 0) return 0;
    const url = keyedUrl(this.options.endpoint, this.options.key);
    const kept: HttpEvent[] = [];
    let sent = 0;
    for (const chunk of chunkEvents(pending, MAX_BATCH_EVENTS, BEACON_BYTES)) {
      const body = batchBody(chunk);
      let ok: boolean;
      try {
        ok = this.beacon ? this.beacon(url, body) : false;
      } catch {
        ok = false;
      }
      if (!ok) ok = this.keepaliveFetch(url, body);
      if (ok) sent += chunk.length;
      else kept.push(...chunk);
    }
    const inQueue = new Set(this.queue);
    this.queue = kept.filter((e) => inQueue.has(e));
    this.counters.beaconed += sent;
    this.notify();
    return sent;
  }

  private keepaliveFetch(url: string, body: string): boolean {
    const f = this.options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (!f) return false;
    try {
      f(url, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body, keepalive: true }).catch(() => undefined);
      return true;
    } catch {
      return false;
    }
  }

  private readonly onPageHide = (): void => {
    this.beaconNow();
  };

  private readonly onVisibilityChange = (): void => {
    if (this.page?.document.visibilityState === 'hidden') this.beaconNow();
  };

  private detach(): void {
    if (!this.page) return;
    this.page.window.removeEventListener('pagehide', this.onPageHide);
    this.page.document.removeEventListener('visibilitychange', this.onVisibilityChange);
  }

  private contextFor(own: EventContext | undefined): EventContext | undefined {
    const base = this.options.context;
    const b = this.browser && this.options.autoContext !== false ? this.browser : undefined;
    if (!base && !own && !b) return undefined;
    const auto: EventContext = {};
    if (b) {
      if (b.location?.pathname) auto.page = b.location.pathname;
      if (b.document?.referrer) auto.referrer = b.document.referrer;
      if (b.navigator?.userAgent) auto.userAgent = b.navigator.userAgent;
      if (b.navigator?.language) auto.locale = b.navigator.language;
    }
    return { ...auto, ...base, ...own };
  }

  private drop(events: HttpEvent[], reason: string): void {
    this.counters.dropped += events.length;
    this.options.onError?.({ kind: 'dropped', eventIds: events.map((e) => e.eventId), reason });
  }

  /** Keeps the queue within maxQueue, dropping the oldest. */
  private enforceBound(): void {
    const excess = this.queue.length - this.maxQueue;
    if (excess > 0) this.drop(this.queue.splice(0, excess), `queue full (${this.maxQueue} events)`);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  /** Makes sure the pump runs no later than `at`. */
  private schedule(at: number): void {
    if (this.timer !== undefined && this.timerDue <= at) return;
    this.clearTimer();
    this.timerDue = at;
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.pump();
    }, Math.max(0, at - this.scheduler.now()));
  }

  private pump(): void {
    const now = this.scheduler.now();
    if (this.queue.length === 0) return;
    if (now < this.backoffUntil) {
      this.schedule(this.backoffUntil);
      return;
    }
    while (this.inFlightBatches.size < this.maxInFlight && this.queue.length > 0) {
      const due =
        this.queue.length >= this.batchSize || this.moreDue || this.flushing > 0 || now >= this.queueSince + this.flushIntervalMs;
      if (!due) {
        this.schedule(this.queueSince + this.flushIntervalMs);
        return;
      }
      const [batch] = chunkEvents(this.queue.slice(0, this.batchSize), this.batchSize, this.maxBatchBytes);
      if (!batch) return;
      this.moreDue = batch.length < Math.min(this.queue.length, this.batchSize);
      this.queue.splice(0, batch.length);
      if (this.queue.length > 0) this.queueSince = now;
      void this.send(batch);
    }
  }

  private async send(batch: HttpEvent[]): Promise<void> {
    this.inFlightBatches.add(batch);
    this.counters.requests++;
    let outcome: AttemptOutcome;
    try {
      outcome = await this.client.attempt(batch);
    } catch (error) {
      // Only a batch that cannot be serialised gets here; retrying would not help.
      outcome = { kind: 'fail', status: 0, error: error instanceof Error ? error.message : String(error), rejected: [] };
    }
    this.inFlightBatches.delete(batch);
    const now = this.scheduler.now();
    switch (outcome.kind) {
      case 'done': {
        this.failures = 0;
        this.counters.accepted += outcome.response.accepted;
        this.counters.duplicates += outcome.response.duplicates;
        const rejections = outcome.response.rejected;
        if (rejections.length > 0) {
          this.counters.rejected += rejections.length;
          this.options.onError?.({
            kind: 'rejected',
            eventIds: rejections.map((r) => r.eventId ?? batch[r.index]?.eventId ?? ''),
            reason: rejections.map((r) => `${r.field ?? 'event'}: ${r.reason}`).join('; '),
            status: outcome.status,
            rejections,
          });
        }
        break;
      }
      case 'retry': {
        this.failures++;
        this.counters.retries++;
        const again: HttpEvent[] = [];
        const givenUp: HttpEvent[] = [];
        for (const event of batch) {
          const attempts = (this.attempts.get(event) ?? 1) + 1;
          if (attempts > this.client.policy.maxAttempts) givenUp.push(event);
          else {
            this.attempts.set(event, attempts);
            again.push(event);
          }
        }
        if (givenUp.length > 0) this.fail(givenUp, `gave up after ${this.client.policy.maxAttempts} attempts: ${outcome.error}`, outcome.status);
        if (again.length > 0) {
          this.queue.unshift(...again);
          this.queueSince = Math.min(this.queueSince, now);
          this.enforceBound();
        }
        this.backoffUntil = Math.max(this.backoffUntil, now + this.client.delayFor(this.failures, outcome));
        break;
      }
      case 'fail':
        this.fail(batch, outcome.error, outcome.status, outcome.rejected);
        break;
    }
    this.notify();
    if (this.queue.length > 0) this.schedule(Math.max(now, this.backoffUntil));
  }

  private fail(events: HttpEvent[], reason: string, status?: number, rejections?: Rejection[]): void {
    this.counters.failed += events.length;
    this.options.onError?.({
      kind: 'failed',
      eventIds: events.map((e) => e.eventId),
      reason,
      ...(status === undefined ? {} : { status }),
      ...(rejections && rejections.length > 0 ? { rejections } : {}),
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Creates a tracker; see `TrackerOptions`. */
export function createTracker(options: TrackerOptions): Tracker {
  return new Tracker(options);
}
