import type { EventTypeName, HttpEvent, HttpEventContext } from '@clickwise/contracts';
import { hashSeed, Rng, ZipfSampler } from './rng.js';
import { adjectives, brands, colors, fallbackReviews, locales, productKinds, referrers, userAgents } from './words.js';

/** One review text with its rating (1..5), or its sentiment when the corpus has no rating. */
export interface ReviewSample {
  text: string;
  rating?: number;
  positive?: boolean;
}

export interface SimulatorOptions {
  seed: number | string;
  /** Event time of the start (unix ms). Default 2026-01-01T00:00:00Z, so a seed alone fixes every event. */
  startTime?: number;
  /** Events per second of event time (default 50). */
  rate?: number;
  /** Shopper population (default 5,000). Popular shoppers come back more often. */
  shoppers?: number;
  /** Catalogue size (default 2,000 items) over `categories` (default 30, at most 50). */
  items?: number;
  categories?: number;
  /** Sessions open at once (default rate × 10 s, within 1..20,000 and at most half the shoppers): a session's events are on average this many / rate seconds apart. */
  concurrentSessions?: number;
  /** Review texts and ratings (e.g. ../shared/data/reviews); a tiny built-in set when absent. */
  reviews?: readonly ReviewSample[];
  /** Share of shoppers who are logged in (have a user id), default 0.4. */
  loggedInShare?: number;
  currency?: string;
  /** Prefix of every id (events, sessions, shoppers); default `sim<hash of seed>`. */
  namespace?: string;
}

export interface CatalogueItem {
  id: string;
  name: string;
  categoryId: string;
  categoryName: string;
  price: number;
  /** 0..1: how much shoppers like it (drives cart adds and review ratings). */
  quality: number;
}

export interface SimulatorStats {
  events: number;
  sessions: number;
  byType: Record<EventTypeName, number>;
}

type Draft = Omit<HttpEvent, 'eventId' | 'sessionId' | 'eventTime' | 'userId' | 'anonymousId' | 'source' | 'context'> & { page: string };

interface Shopper {
  index: number;
  userId: string | undefined;
  anonymousId: string;
  locale: string;
  device: 'mobile' | 'desktop' | 'tablet';
  affinity: number;
  /** Items bought and not yet reviewed (indexes). */
  owned: number[];
  active: boolean;
}

interface Session {
  id: string;
  shopper: Shopper;
  device: 'mobile' | 'desktop' | 'tablet';
  referrer: string;
  started: boolean;
  done: boolean;
  steps: number;
  cart: Map<number, number>;
  currentItem: number;
  currentCategory: number;
  page: string;
  rec: { id: string; items: number[] } | undefined;
  recs: number;
  outbox: Draft[];
  firstEvent: boolean;
}

interface CategoryState {
  id: string;
  name: string;
  /** Item indexes, most popular first. */
  items: number[];
  sampler: ZipfSampler;
}

const DEVICES = ['mobile', 'desktop', 'tablet'] as const;
const DEVICE_WEIGHTS = [0.58, 0.36, 0.06];

function emptyCounts(): Record<EventTypeName, number> {
  return {
    page_view: 0,
    product_view: 0,
    search: 0,
    add_to_cart: 0,
    remove_from_cart: 0,
    checkout: 0,
    purchase: 0,
    review: 0,
    recommendation_shown: 0,
    recommendation_clicked: 0,
  };
}

/**
 * A seeded storefront: a catalogue with categories, prices and skewed (Zipf) popularity, and a
 * population of shoppers whose sessions browse, search, follow recommendations, add to and remove
 * from carts, check out, buy, and come back to review what they bought. Events arrive as a Poisson
 * stream at `rate` per second of event time, spread over `concurrentSessions` open sessions; each
 * `next()` returns one event in the HTTP contract's JSON form. Same options, same events.
 */
export class Simulator {
  readonly catalogue: readonly CatalogueItem[];
  readonly options: Readonly<Required<Omit<SimulatorOptions, 'reviews'>>>;
  private readonly rng: Rng;
  private readonly categories: CategoryState[];
  private readonly itemSampler: ZipfSampler;
  private readonly categorySampler: ZipfSampler;
  private readonly shopperSampler: ZipfSampler;
  private readonly shoppers = new Map<number, Shopper>();
  private readonly pool: Session[] = [];
  private positive: ReviewSample[];
  private negative: ReviewSample[];
  private readonly neutral: ReviewSample[];
  private readonly meanGapMs: number;
  private readonly ns: string;
  private time: number;
  private eventCount = 0;
  private sessionCount = 0;
  private readonly byType = emptyCounts();

  constructor(options: SimulatorOptions) {
    const rate = options.rate ?? 50;
    if (!(rate > 0)) throw new Error('rate must be > 0');
    const shoppers = Math.max(2, Math.floor(options.shoppers ?? 5000));
    const categories = Math.min(productKinds.length, Math.max(1, Math.floor(options.categories ?? 30)));
    const items = Math.max(categories, Math.floor(options.items ?? 2000));
    const concurrent = Math.max(1, Math.min(Math.floor(shoppers / 2), Math.floor(options.concurrentSessions ?? Math.min(20_000, rate * 10))));
    const namespace = options.namespace ?? `sim${hashSeed(options.seed).toString(36)}`;
    this.options = {
      seed: options.seed,
      startTime: options.startTime ?? Date.UTC(2026, 0, 1),
      rate,
      shoppers,
      items,
      categories,
      concurrentSessions: concurrent,
      loggedInShare: options.loggedInShare ?? 0.4,
      currency: options.currency ?? 'EUR',
      namespace,
    };
    this.ns = namespace;
    this.rng = new Rng(options.seed);
    this.time = this.options.startTime;
    this.meanGapMs = 1000 / rate;

    // Catalogue: item index = global popularity rank; ids are shuffled so rank is not visible in them.
    const ids = Array.from({ length: items }, (_, i) => i);
    for (let i = ids.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
    }
    this.categories = Array.from({ length: categories }, (_, c) => ({
      id: `c${100 + c}`,
      name: (productKinds[c] as [string, number])[0],
      items: [],
      sampler: new ZipfSampler(1, 1),
    }));
    const catalogue: CatalogueItem[] = [];
    for (let i = 0; i < items; i++) {
      const c = i < categories ? i : this.rng.int(categories);
      const [noun, basePrice] = productKinds[c] as [string, number];
      const brand = this.rng.pick(brands);
      const color = this.rng.pick(colors);
      const adjective = this.rng.pick(adjectives);
      const price = Math.max(1, Math.round(basePrice * Math.exp(0.35 * this.rng.normal()) * 100) / 100 - 0.01);
      const category = this.categories[c] as CategoryState;
      category.items.push(i);
      catalogue.push({
        id: `${10_000 + (ids[i] as number)}`,
        name: `${brand} ${adjective} ${color} ${noun}`,
        categoryId: category.id,
        categoryName: category.name,
        price: Math.round(price * 100) / 100,
        quality: Math.min(0.97, Math.max(0.15, 0.7 + 0.18 * this.rng.normal())),
      });
    }
    for (const category of this.categories) category.sampler = new ZipfSampler(category.items.length, 1.0);
    this.catalogue = catalogue;
    this.itemSampler = new ZipfSampler(items, 1.05);
    this.categorySampler = new ZipfSampler(categories, 0.8);
    this.shopperSampler = new ZipfSampler(shoppers, 0.6);

    const corpus: readonly ReviewSample[] = options.reviews && options.reviews.length > 0 ? options.reviews : fallbackReviews;
    this.positive = corpus.filter((r) => (r.rating !== undefined ? r.rating >= 4 : r.positive === true));
    this.negative = corpus.filter((r) => (r.rating !== undefined ? r.rating <= 2 : r.positive === false));
    this.neutral = corpus.filter((r) => r.rating === 3);
    if (this.positive.length === 0) this.positive = [...corpus];
    if (this.negative.length === 0) this.negative = [...corpus];

    for (let i = 0; i < concurrent; i++) this.pool.push(this.newSession());
  }

  /** The next event, in event-time order (non-decreasing `eventTime`). */
  next(): HttpEvent {
    this.time += this.rng.exp(this.meanGapMs);
    const slot = this.rng.int(this.pool.length);
    const session = this.pool[slot] as Session;
    if (session.outbox.length === 0) this.step(session);
    const draft = session.outbox.shift() as Draft;
    const event = this.stamp(draft, session);
    if (session.done && session.outbox.length === 0) {
      session.shopper.active = false;
      this.pool[slot] = this.newSession();
    }
    return event;
  }

  /** The next `n` events. */
  take(n: number): HttpEvent[] {
    const out = new Array<HttpEvent>(n);
    for (let i = 0; i < n; i++) out[i] = this.next();
    return out;
  }

  /** Event time of the last event (unix ms). */
  get clock(): number {
    return Math.floor(this.time);
  }

  stats(): SimulatorStats {
    return { events: this.eventCount, sessions: this.sessionCount, byType: { ...this.byType } };
  }

  private shopper(index: number): Shopper {
    let shopper = this.shoppers.get(index);
    if (shopper) return shopper;
    // Each shopper's traits come from their own stream, so they do not depend on visit order.
    const r = new Rng(`${String(this.options.seed)}/shopper/${index}`);
    shopper = {
      index,
      userId: r.chance(this.options.loggedInShare) ? `${this.ns}-u${index}` : undefined,
      anonymousId: `${this.ns}-a${index}`,
      locale: r.pick(locales),
      device: DEVICES[r.weighted(DEVICE_WEIGHTS)] ?? 'mobile',
      affinity: new ZipfSampler(this.categories.length, 0.8).sample(r),
      owned: [],
      active: false,
    };
    // Some shoppers bought before the simulation started, so reviews can come from the first minute.
    if (r.chance(0.3)) shopper.owned.push(this.itemSampler.sample(r));
    this.shoppers.set(index, shopper);
    return shopper;
  }

  private newSession(): Session {
    let shopper = this.shopper(this.shopperSampler.sample(this.rng));
    for (let i = 0; i < 5 && shopper.active; i++) shopper = this.shopper(this.rng.int(this.options.shoppers));
    shopper.active = true;
    this.sessionCount++;
    return {
      id: `${this.ns}-s${this.sessionCount.toString(36)}`,
      shopper,
      device: this.rng.chance(0.8) ? shopper.device : (DEVICES[this.rng.weighted(DEVICE_WEIGHTS)] ?? 'mobile'),
      referrer: this.rng.pick(referrers),
      started: false,
      done: false,
      steps: 0,
      cart: new Map(),
      currentItem: -1,
      currentCategory: -1,
      page: '/',
      rec: undefined,
      recs: 0,
      outbox: [],
      firstEvent: true,
    };
  }

  private item(index: number): CatalogueItem {
    return this.catalogue[index] as CatalogueItem;
  }

  private itemInCategory(category: number): number {
    const c = this.categories[category] as CategoryState;
    return c.items[c.sampler.sample(this.rng)] as number;
  }

  private stamp(draft: Draft, session: Session): HttpEvent {
    const { page, ...fields } = draft;
    const shopper = session.shopper;
    const context: HttpEventContext = { device: session.device, page, userAgent: userAgents[session.device], locale: shopper.locale };
    if (session.firstEvent && session.referrer) context.referrer = session.referrer;
    session.firstEvent = false;
    const event: HttpEvent = {
      eventId: `${this.ns}-${this.eventCount.toString(36)}`,
      sessionId: session.id,
      eventTime: Math.floor(this.time),
      source: 'simulator',
      anonymousId: shopper.anonymousId,
      ...fields,
      context,
    };
    if (shopper.userId !== undefined) event.userId = shopper.userId;
    if (event.price !== undefined) event.currency = this.options.currency;
    this.eventCount++;
    this.byType[event.type]++;
    return event;
  }

  private view(index: number, extra: Partial<Draft> = {}): Draft {
    const item = this.item(index);
    return { type: 'product_view', itemId: item.id, categoryId: item.categoryId, price: item.price, page: `/p/${item.id}`, ...extra };
  }

  /** Advances a session by one action, putting its event(s) in the outbox. */
  private step(s: Session): void {
    s.steps++;
    if (!s.started) {
      s.started = true;
      this.start(s);
      return;
    }
    const rng = this.rng;
    const canRecShow = s.currentItem >= 0;
    const canAdd = s.currentItem >= 0 && !s.cart.has(s.currentItem);
    const weights = [
      40, // product view
      9, // search
      10, // category page
      canRecShow ? 8 : 0,
      s.rec ? 16 : 0,
      canAdd ? 1.6 * (0.4 + this.item(s.currentItem).quality) : 0,
      s.cart.size > 0 ? 2.5 : 0,
      s.cart.size > 0 ? 3 + s.cart.size : 0,
    ];
    const action = rng.weighted(weights);
    if (action !== 4) s.rec = undefined;
    switch (action) {
      case 0: {
        const index = s.currentCategory >= 0 && rng.chance(0.6) ? this.itemInCategory(s.currentCategory) : this.itemSampler.sample(rng);
        this.goTo(s, index);
        s.outbox.push(this.view(index));
        break;
      }
      case 1: {
        const target = this.item(this.itemSampler.sample(rng));
        const query = this.query(target);
        s.currentCategory = this.categories.findIndex((c) => c.id === target.categoryId);
        s.currentItem = -1;
        s.page = `/search?q=${encodeURIComponent(query)}`;
        s.outbox.push({ type: 'search', searchQuery: query, categoryId: target.categoryId, page: s.page });
        break;
      }
      case 2: {
        const category = rng.chance(0.5) ? s.shopper.affinity : this.categorySampler.sample(rng);
        const c = this.categories[category] as CategoryState;
        s.currentCategory = category;
        s.currentItem = -1;
        s.page = `/c/${c.id}`;
        s.outbox.push({ type: 'page_view', categoryId: c.id, page: s.page });
        break;
      }
      case 3: {
        const base = this.item(s.currentItem);
        const category = this.categories.findIndex((c) => c.id === base.categoryId);
        const wanted = 4 + rng.int(5);
        const shown: number[] = [];
        for (let tries = 0; shown.length < wanted && tries < wanted * 4; tries++) {
          const candidate = rng.chance(0.75) ? this.itemInCategory(category) : this.itemSampler.sample(rng);
          if (candidate !== s.currentItem && !shown.includes(candidate)) shown.push(candidate);
        }
        s.recs++;
        s.rec = { id: `${s.id}-r${s.recs}`, items: shown };
        s.outbox.push({ type: 'recommendation_shown', recommendationId: s.rec.id, itemIds: shown.map((i) => this.item(i).id), page: s.page });
        break;
      }
      case 4: {
        const rec = s.rec as { id: string; items: number[] };
        // Clicks favour the top of the list.
        const position = Math.min(rec.items.length - 1, Math.floor(rng.exp(1.5)));
        const index = rec.items[position] as number;
        const item = this.item(index);
        s.outbox.push({ type: 'recommendation_clicked', recommendationId: rec.id, itemId: item.id, categoryId: item.categoryId, page: s.page });
        s.rec = undefined;
        this.goTo(s, index);
        s.outbox.push(this.view(index));
        break;
      }
      case 5: {
        const item = this.item(s.currentItem);
        const quantity = rng.chance(0.12) ? 2 : 1;
        s.cart.set(s.currentItem, quantity);
        s.outbox.push({ type: 'add_to_cart', itemId: item.id, categoryId: item.categoryId, price: item.price, quantity, page: s.page });
        break;
      }
      case 6: {
        const lines = [...s.cart.keys()];
        const index = rng.pick(lines);
        const item = this.item(index);
        const quantity = s.cart.get(index) ?? 1;
        s.cart.delete(index);
        s.page = '/cart';
        s.outbox.push({ type: 'remove_from_cart', itemId: item.id, categoryId: item.categoryId, price: item.price, quantity, page: s.page });
        break;
      }
      case 7: {
        this.checkout(s);
        return;
      }
    }
    const endChance = s.cart.size > 0 ? 0.06 : 0.1;
    if (s.steps >= 80 || rng.chance(endChance)) s.done = true;
  }

  private goTo(s: Session, index: number): void {
    s.currentItem = index;
    const item = this.item(index);
    s.currentCategory = this.categories.findIndex((c) => c.id === item.categoryId);
    s.page = `/p/${item.id}`;
  }

  private start(s: Session): void {
    const rng = this.rng;
    const shopper = s.shopper;
    if (shopper.owned.length > 0 && rng.chance(0.45)) {
      const index = shopper.owned.shift() as number;
      s.page = '/account/orders';
      s.outbox.push({ type: 'page_view', page: s.page });
      s.outbox.push(this.review(index));
      return;
    }
    const landing = rng.float();
    if (landing < 0.45) {
      s.page = '/';
      s.outbox.push({ type: 'page_view', page: s.page });
    } else if (landing < 0.75) {
      const category = rng.chance(0.6) ? shopper.affinity : this.categorySampler.sample(rng);
      const c = this.categories[category] as CategoryState;
      s.currentCategory = category;
      s.page = `/c/${c.id}`;
      s.outbox.push({ type: 'page_view', categoryId: c.id, page: s.page });
    } else {
      const index = this.itemSampler.sample(rng);
      this.goTo(s, index);
      s.outbox.push(this.view(index));
    }
  }

  private checkout(s: Session): void {
    const rng = this.rng;
    const lines = [...s.cart.entries()];
    s.page = '/checkout';
    s.outbox.push({
      type: 'checkout',
      itemIds: lines.map(([i]) => this.item(i).id),
      quantity: lines.reduce((n, [, q]) => n + q, 0),
      page: s.page,
    });
    if (rng.chance(0.62)) {
      for (const [index, quantity] of lines) {
        const item = this.item(index);
        s.outbox.push({ type: 'purchase', itemId: item.id, categoryId: item.categoryId, price: item.price, quantity, page: '/order/confirmation' });
        s.shopper.owned.push(index);
      }
      s.cart.clear();
      s.done = true;
    } else if (rng.chance(0.5)) {
      s.done = true; // abandoned at checkout
    }
  }

  private review(index: number): Draft {
    const item = this.item(index);
    const rng = this.rng;
    const roll = rng.float();
    const pool = roll < item.quality ? this.positive : this.neutral.length > 0 && roll < item.quality + 0.08 ? this.neutral : this.negative;
    const sample = rng.pick(pool);
    const rating = sample.rating ?? (sample.positive === false ? 1 + rng.int(2) : 4 + rng.int(2));
    return { type: 'review', itemId: item.id, categoryId: item.categoryId, reviewText: sample.text, reviewRating: rating, page: `/p/${item.id}/review` };
  }

  /** Query text for an item: its kind, often with a colour, brand or adjective, sometimes misspelt. */
  private query(item: CatalogueItem): string {
    const rng = this.rng;
    const [brand, adjective, color] = item.name.split(' ');
    const noun = item.categoryName;
    const form = rng.float();
    let q = form < 0.35 ? noun : form < 0.6 ? `${color} ${noun}` : form < 0.8 ? `${brand?.toLowerCase()} ${noun}` : form < 0.92 ? `${adjective} ${noun}` : `${brand?.toLowerCase()} ${color} ${noun}`;
    if (rng.chance(0.06) && q.length > 4) {
      const i = 1 + rng.int(q.length - 2);
      q = q.slice(0, i) + (q[i + 1] ?? '') + (q[i] ?? '') + q.slice(i + 2);
    }
    return q;
  }
}
