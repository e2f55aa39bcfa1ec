// Plain fakes for the tracker's unit tests: a manual clock and a scripted fetch. Test-only: not exported, and runtime code may not import it (lint).
import type { RequestInitLike, ResponseLike } from '../ingest-client.js';
import type { Scheduler } from '../tracker.js';

export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_790_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  pending(): number {
    return this.timers.size;
  }

  /** Moves time forward, running due timers in order, letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].fn();
    }
    this.time = end;
    await settle();
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface RecordedRequest {
  url: string;
  init: RequestInitLike;
  body: { events: { eventId: string; [k: string]: unknown }[] };
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch that records requests and answers from a script (then 200 accepting everything). */
export class FakeFetch {
  readonly requests: RecordedRequest[] = [];
  private script: Reply[] = [];
  /** When set, requests wait until `release()`. */
  hold = false;
  /** Most requests seen in flight at once. */
  maxConcurrent = 0;
  private concurrent = 0;
  private held: (() => void)[] = [];

  reply(...replies: Reply[]): this {
    this.script.push(...replies);
    return this;
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h();
  }

  readonly fetch = async (url: string, init: RequestInitLike): Promise<ResponseLike> => {
    const body = JSON.parse(init.body) as RecordedRequest['body'];
    this.requests.push({ url, init, body });
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    this.concurrent--;
    const reply = this.script.shift() ?? { status: 200, body: { accepted: body.events.length, duplicates: 0, rejected: [] } };
    if (reply instanceof Error) throw reply;
    const headers = new Map(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: reply.status,
      headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null },
      text: () => Promise.resolve(reply.body === undefined ? '' : JSON.stringify(reply.body)),
    };
  };

  eventIds(): string[] {
    return this.requests.flatMap((r) => r.body.events.map((e) => e.eventId));
  }
}
