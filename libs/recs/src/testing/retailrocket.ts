import { readFileSync } from 'node:fs';
import type { RecsEvent, RecsEventKind } from '../types.js';

const KIND: Record<string, RecsEventKind> = { view: 'view', addtocart: 'cart', transaction: 'purchase' };

/** A file of ../shared/data (beside the repository; this module runs from libs/recs/dist/testing). */
export function sharedData(path: string): URL {
  return new URL(`../../../../../shared/data/${path}`, import.meta.url);
}

/** The RetailRocket week as RecsEvents, in event-time order (stable). */
export function retailRocketWeek(): RecsEvent[] {
  const lines = readFileSync(sharedData('retailrocket-week/events.tsv'), 'utf8').split('\n');
  const events: RecsEvent[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const [time, user, type, item, session, category] = line.split('\t');
    const kind = KIND[type!];
    if (!kind) continue;
    events.push({ shopperKey: user!, sessionId: session!, itemId: item!, kind, timeMs: Number(time) * 1000, categoryId: category!.trim() });
  }
  return events.map((e, i) => ({ e, i })).sort((a, b) => a.e.timeMs - b.e.timeMs || a.i - b.i).map(({ e }) => e);
}
