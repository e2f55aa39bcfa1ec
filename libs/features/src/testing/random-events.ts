import { EventType } from '@clickwise/contracts';
import { EVENT_TYPES, type FeatureEvent } from '../event.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../windows.js';

/** A small seeded PRNG (mulberry32), so a failing random test can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomStreamOptions {
  seed: number;
  events: number;
  shoppers?: number;
  items?: number;
  categories?: number;
  /** Share of events whose time goes back (out of order); some go back past the lateness. */
  disorder?: number;
  /** Largest step back (ms). */
  maxBackMs?: number;
  startMs?: number;
}

const REVIEW_WORDS = ['great', 'not', 'good', 'broke', 'love', 'bad', 'fine', 'works', 'très', 'bien'];
const WORDS = ['red', 'shoes', 'running', 'blue', 'dress', 'phone', 'case', 'usb-c', 'kabel', 'größe', 'a', 'TV 4k', 'lamp'];

/**
 * Random events of every type over a few shoppers, sessions, items and categories, with steps from
 * seconds to days (so every window size matters) and some events out of order.
 */
export function randomEvents(options: RandomStreamOptions): FeatureEvent[] {
  const r = rng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const shoppers = Array.from({ length: options.shoppers ?? 4 }, (_, i) => `s${i}`);
  const items = Array.from({ length: options.items ?? 9 }, (_, i) => `i${i}`);
  const categories = Array.from({ length: options.categories ?? 3 }, (_, i) => `c${i}`);
  const itemCategory = new Map(items.map((item) => [item, pick(categories)]));
  const session = new Map(shoppers.map((s) => [s, 0]));
  let clock = options.startMs ?? 1_700_000_000_000;
  const out: FeatureEvent[] = [];
  for (let n = 0; n < options.events; n++) {
    const roll = r();
    clock +=
      roll < 0.55 ? Math.floor(r() * 40 * SECOND_MS) : roll < 0.85 ? Math.floor(r() * 20 * MINUTE_MS) : roll < 0.97 ? Math.floor(r() * 6 * HOUR_MS) : Math.floor(r() * 9 * DAY_MS);
    let time = clock;
    if (r() < (options.disorder ?? 0.15)) time -= Math.floor(r() * (options.maxBackMs ?? 25 * MINUTE_MS));
    const shopper = pick(shoppers);
    if (r() < 0.08) session.set(shopper, (session.get(shopper) ?? 0) + 1);
    const type = pick(EVENT_TYPES);
    const item = pick(items);
    const withItem =
      type === EventType.PRODUCT_VIEW ||
      type === EventType.ADD_TO_CART ||
      type === EventType.REMOVE_FROM_CART ||
      type === EventType.REVIEW ||
      type === EventType.RECOMMENDATION_CLICKED ||
      (type === EventType.PURCHASE && r() < 0.6) ||
      (type === EventType.PAGE_VIEW && r() < 0.2);
    const itemIds =
      type === EventType.RECOMMENDATION_SHOWN || (type === EventType.PURCHASE && !withItem)
        ? Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(items))
        : [];
    const priced = withItem && r() < 0.8;
    out.push({
      eventId: `e${options.seed}-${n}`,
      type,
      shopperKey: shopper,
      sessionId: r() < 0.03 ? '' : `${shopper}-${session.get(shopper)}`,
      itemId: withItem ? item : '',
      itemIds,
      categoryId: withItem && r() < 0.9 ? itemCategory.get(item)! : type === EventType.PAGE_VIEW && r() < 0.3 ? pick(categories) : '',
      price: priced ? Math.round(r() * 20_000) / 100 : undefined,
      quantity: type === EventType.ADD_TO_CART || type === EventType.REMOVE_FROM_CART || type === EventType.PURCHASE ? (r() < 0.3 ? undefined : 1 + Math.floor(r() * 3)) : undefined,
      searchQuery: type === EventType.SEARCH ? Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(WORDS)).join(' ') : '',
      reviewRating: type === EventType.REVIEW ? 1 + Math.floor(r() * 5) : undefined,
      reviewText: type === EventType.REVIEW && r() < 0.8 ? Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(REVIEW_WORDS)).join(' ') : '',
      timeMs: time,
    });
  }
  return out;
}
