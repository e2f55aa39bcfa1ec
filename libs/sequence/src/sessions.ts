import type { NextItemCase } from './evaluate.js';

/** One item interaction of a session (a product view, an add to cart). */
export interface SessionClick {
  /** Shopper and session (the pair keys a session). */
  sessionKey: string;
  itemId: string;
  timeMs: number;
}

/** A session's items in event-time order and when it started. */
export interface TimedSession {
  items: string[];
  startMs: number;
  endMs: number;
}

/**
 * Sessions from clicks: grouped by `sessionKey`, each in event-time order (ties keep input order),
 * an immediate repeat of the same item collapsed (a view then an add to cart of one item is one
 * step); sessions sorted by start time (then key). Single-item sessions are kept (they give no example).
 */
export function sessionsFromClicks(clicks: readonly SessionClick[]): TimedSession[] {
  const byKey = new Map<string, { t: number; i: number; item: string }[]>();
  clicks.forEach((c, i) => {
    if (c.itemId === '') return;
    let list = byKey.get(c.sessionKey);
    if (!list) byKey.set(c.sessionKey, (list = []));
    list.push({ t: c.timeMs, i, item: c.itemId });
  });
  const out: (TimedSession & { key: string })[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.t - b.t || a.i - b.i);
    const items: string[] = [];
    for (const x of list) if (items[items.length - 1] !== x.item) items.push(x.item);
    out.push({ key, items, startMs: list[0]!.t, endMs: list[list.length - 1]!.t });
  }
  out.sort((a, b) => a.startMs - b.startMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out.map(({ items, startMs, endMs }) => ({ items, startMs, endMs }));
}

export interface TimeHoldout {
  /** Sessions that started before `fromMs` (time order): the training sessions. */
  train: string[][];
  /** Every prefix of the sessions that started at or after `fromMs`, with a label the training sessions know. */
  cases: NextItemCase[];
  fromMs: number;
  toMs: number;
  testSessions: number;
}

/**
 * A time hold-out: the latest `fraction` of the sessions (by start time) are the test; their
 * prefixes whose next item appears in training are the cases (as the Diginetica split does).
 */
export function timeHoldout(sessions: readonly TimedSession[], fraction: number): TimeHoldout {
  const multi = sessions.filter((s) => s.items.length >= 2);
  if (multi.length < 10) throw new Error(`${multi.length} sessions of 2 or more items: too few for a next-item hold-out (at least 10)`);
  const cut = Math.min(multi.length - 1, Math.max(1, Math.floor(multi.length * (1 - fraction))));
  const fromMs = multi[cut]!.startMs;
  const train = multi.filter((s) => s.startMs < fromMs).map((s) => s.items);
  const test = multi.filter((s) => s.startMs >= fromMs);
  const known = new Set(train.flat());
  const cases: NextItemCase[] = [];
  for (const s of test) for (let t = 1; t < s.items.length; t++) if (known.has(s.items[t]!)) cases.push({ prefix: s.items.slice(0, t), label: s.items[t]! });
  const toMs = test.reduce((m, s) => Math.max(m, s.endMs), fromMs);
  return { train, cases, fromMs, toMs, testSessions: test.length };
}
