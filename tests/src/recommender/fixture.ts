import { EventType, type Event } from '@clickwise/contracts';
import { storeEvent } from './harness.js';

/**
 * A small storefront history with known structure, in event time just before now:
 * - category `cA`: a1..a8, category `cB`: b1..b8 (the events carry the categories);
 * - 30 sessions view a1 → a2 → a3 and 20 view b1 → b2 → b3 (co-visitation and session neighbours);
 * - 40 single-view sessions of a5 and 25 of b5 (popular now; a5 the most popular item);
 * - the shopper `buyer` viewed a1 and bought a2 in session `buyer-s`;
 * - the shopper `viewer` viewed a1 in session `viewer-s`.
 * Ids are prefixed (`tag`) so runs and tests never share items or sessions.
 */
export interface Fixture {
  tag: string;
  events: Event[];
  item(name: string): string;
  category(name: 'cA' | 'cB'): string;
  shopper(name: string): string;
  session(name: string): string;
  /** The category of an item of the fixture. */
  categoryOf(itemId: string): string | undefined;
}

export function storefront(tag: string, nowMs = Date.now()): Fixture {
  const item = (name: string) => `${tag}-${name}`;
  const category = (name: 'cA' | 'cB') => `${tag}-${name}`;
  const shopper = (name: string) => `${tag}-${name}`;
  const session = (name: string) => `${tag}-${name}`;
  const categoryOf = (itemId: string) => (itemId.startsWith(`${tag}-a`) ? category('cA') : itemId.startsWith(`${tag}-b`) ? category('cB') : undefined);
  const events: Event[] = [];
  let t = nowMs - 3_600_000;
  const view = (who: string, s: string, name: string, type = EventType.PRODUCT_VIEW) => {
    t += 1000;
    events.push(storeEvent({ shopper: shopper(who), session: session(s), type, item: item(name), category: categoryOf(item(name))!, timeMs: t }));
  };
  for (let i = 0; i < 30; i++) for (const name of ['a1', 'a2', 'a3']) view(`ha${i}`, `ha${i}-s`, name);
  for (let i = 0; i < 20; i++) for (const name of ['b1', 'b2', 'b3']) view(`hb${i}`, `hb${i}-s`, name);
  for (let i = 0; i < 40; i++) view(`pa${i}`, `pa${i}-s`, 'a5');
  for (let i = 0; i < 25; i++) view(`pb${i}`, `pb${i}-s`, 'b5');
  view('buyer', 'buyer-s', 'a1');
  view('buyer', 'buyer-s', 'a2', EventType.ADD_TO_CART);
  view('buyer', 'buyer-s', 'a2', EventType.PURCHASE);
  view('viewer', 'viewer-s', 'a1');
  return { tag, events, item, category, shopper, session, categoryOf };
}
