import type { IndexSlice, WeightedItem } from './store.js';
import type { CatalogView, RankConfig, Reason, RecommendRequest, Recommendation, ScoredItem, SequenceModel } from './types.js';

/** The candidate sources; each gives a bounded score map, normalised to a maximum of 1 before blending. */
export type SourceName = 'sessions' | 'covisitation' | 'popular' | 'sequence';

interface Evidence {
  /** Weighted contribution to the blended score per source. */
  readonly parts: Partial<Record<SourceName, number>>;
  /** The recent item that gave the largest co-visitation part. */
  covisFrom?: string;
  covisBest?: number;
  /** The category whose popularity gave the popular part (undefined: global). */
  popularCategory?: string;
}

export interface RankInput {
  readonly slice: IndexSlice;
  readonly request: RecommendRequest;
  readonly config: RankConfig;
  readonly catalog?: CatalogView;
  readonly sequence?: { readonly model: SequenceModel; readonly version: string };
}

/** The current session's items, oldest first: the stored session, then the request's recent items. */
export function currentItems(slice: IndexSlice, request: RecommendRequest): string[] {
  const items = slice.session.map((e) => e.itemId);
  for (const item of request.recentItems ?? []) items.push(item);
  return items;
}

/**
 * Session neighbours, STAN-style (Garg et al., SIGIR 2019) over V-SKNN (Ludewig & Jannach, 2018):
 * the current session's items weigh by position (λ1; newest 1), a neighbour's similarity is the sum
 * of the weights of the items it shares, decayed by its age (λ2); the `neighbours` most similar
 * vote for their items, each vote decayed by its distance from the neighbour's newest shared item
 * (λ3), optionally idf-weighted within the neighbourhood.
 */
export function sessionNeighbourScores(current: readonly string[], slice: IndexSlice, config: RankConfig, nowMs: number): Map<string, number> {
  const scores = new Map<string, number>();
  const n = current.length;
  if (n === 0 || slice.neighbours.length === 0) return scores;
  const weight = new Map<string, number>();
  for (let p = 0; p < n; p++) {
    // The last occurrence wins (positions grow).
    weight.set(current[p]!, config.positionDecay > 0 ? Math.exp((p + 1 - n) / config.positionDecay) : (p + 1) / n);
  }
  const sims: { sim: number; index: number }[] = [];
  for (let s = 0; s < slice.neighbours.length; s++) {
    const neighbour = slice.neighbours[s]!;
    let sim = 0;
    const seen = new Set<string>();
    for (const item of neighbour.items) {
      if (seen.has(item)) continue;
      seen.add(item);
      const w = weight.get(item);
      if (w !== undefined) sim += w;
    }
    if (sim <= 0) continue;
    if (config.recencyDecayMs > 0) sim *= Math.exp(-Math.max(0, nowMs - neighbour.timeMs) / config.recencyDecayMs);
    sims.push({ sim, index: s });
  }
  sims.sort((a, b) => b.sim - a.sim || a.index - b.index);
  const kept = sims.slice(0, config.neighbours);
  let df: Map<string, number> | undefined;
  if (config.idf) {
    df = new Map();
    for (const { index } of kept) for (const item of new Set(slice.neighbours[index]!.items)) df.set(item, (df.get(item) ?? 0) + 1);
  }
  for (const { sim, index } of kept) {
    const items = slice.neighbours[index]!.items;
    let anchor = -1;
    for (let i = items.length - 1; i >= 0; i--) {
      if (weight.has(items[i]!)) {
        anchor = i;
        break;
      }
    }
    const voted = new Map<string, number>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const w = config.itemDecay > 0 ? Math.exp(-Math.abs(i - anchor) / config.itemDecay) : 1;
      // An item voted twice by one neighbour counts once, with its best weight.
      if ((voted.get(item) ?? 0) < w) voted.set(item, w);
    }
    for (const [item, w] of voted) {
      const idf = df ? Math.log(1 + kept.length / df.get(item)!) : 1;
      scores.set(item, (scores.get(item) ?? 0) + sim * w * idf);
    }
  }
  return scores;
}

function normalised(scores: Map<string, number>): Map<string, number> {
  let max = 0;
  for (const v of scores.values()) if (v > max) max = v;
  if (max <= 0) return new Map();
  const out = new Map<string, number>();
  for (const [k, v] of scores) if (v > 0) out.set(k, v / max);
  return out;
}

function rowMax(row: readonly WeightedItem[]): number {
  let max = 0;
  for (const r of row) if (r.weight > max) max = r.weight;
  return max;
}

/** Blends the sources over one index slice, filters, and explains: the ranking the service and the evaluation share. */
export function rank(input: RankInput): Recommendation {
  const { slice, request, config, catalog, sequence } = input;
  const k = request.k;
  const filters = request.filters ?? {};
  const current = currentItems(slice, request);
  const nowMs = request.nowMs ?? (slice.session.length > 0 ? Math.max(...slice.session.map((e) => e.timeMs)) : slice.newestMs);
  const evidence = new Map<string, Evidence>();
  const add = (item: string, source: SourceName, value: number): Evidence => {
    let e = evidence.get(item);
    if (!e) evidence.set(item, (e = { parts: {} }));
    e.parts[source] = (e.parts[source] ?? 0) + value;
    return e;
  };
  const w = config.weights;

  if (w.sessions > 0) {
    for (const [item, v] of normalised(sessionNeighbourScores(current, slice, config, nowMs))) add(item, 'sessions', w.sessions * v);
  }

  if (w.covisitation > 0) {
    const covis = new Map<string, number>();
    const from = new Map<string, { item: string; value: number }>();
    slice.expanded.forEach((source, r) => {
      const row = slice.covisited[r] ?? [];
      const max = rowMax(row);
      if (max <= 0) return;
      const decay = config.covisRecencyDecay ** r;
      for (const { itemId, weight } of row) {
        const v = (decay * weight) / max;
        covis.set(itemId, (covis.get(itemId) ?? 0) + v);
        const best = from.get(itemId);
        if (!best || v > best.value) from.set(itemId, { item: source, value: v });
      }
    });
    for (const [item, v] of normalised(covis)) {
      const e = add(item, 'covisitation', w.covisitation * v);
      e.covisFrom = from.get(item)!.item;
    }
  }

  let sequenceVersion: string | undefined;
  if (sequence && w.sequence > 0 && current.length > 0) {
    const top = sequence.model.topK(current, config.sequenceLimit);
    if (top.length > 0) {
      sequenceVersion = sequence.version;
      const max = Math.max(...top.map((t) => t.score));
      for (const t of top) add(t.itemId, 'sequence', w.sequence * Math.exp(t.score - max));
    }
  }

  // Popularity: the expanded items' categories (and the requested ones) first, then global; it
  // also fills an answer that the other sources leave short (cold start).
  const popularity = new Map<string, { value: number; category?: string }>();
  const popRows: { row: readonly WeightedItem[]; category?: string }[] = [];
  for (const [category, row] of slice.popularByCategory) popRows.push({ row, category });
  popRows.push({ row: slice.popular });
  for (const { row, category } of popRows) {
    const max = rowMax(row);
    if (max <= 0) continue;
    for (const { itemId, weight } of row) {
      const v = weight / max;
      const have = popularity.get(itemId);
      if (!have || v > have.value) popularity.set(itemId, category === undefined ? { value: v } : { value: v, category });
    }
  }
  const popularWeight = w.popular > 0 ? w.popular : 1e-9;
  for (const [item, { value, category }] of popularity) {
    const e = add(item, 'popular', popularWeight * value);
    if (category !== undefined) e.popularCategory = category;
  }

  // Filters.
  const bought = new Set(filters.excludeBought === false ? [] : [...slice.bought, ...slice.session.filter((e) => e.kind === 'purchase').map((e) => e.itemId)]);
  const excluded = new Set(filters.exclude ?? []);
  const seen = filters.excludeSeen ? new Set(current) : undefined;
  const categories = filters.categories && filters.categories.length > 0 ? new Set(filters.categories) : undefined;
  const categoryOf = (item: string) => catalog?.categoryOf(item) ?? slice.categoryOf.get(item);

  // The k best kept in order as they come (insertion into a short sorted list), not a sort of
  // every candidate: the same order as sorting all by (score desc, item id asc), at O(n) for small k.
  const ranked: Ranked[] = [];
  for (const [item, e] of evidence) {
    if (bought.has(item) || excluded.has(item) || seen?.has(item)) continue;
    if (categories && !categories.has(categoryOf(item) ?? '\u0000none')) continue;
    if (catalog && !catalog.isAvailable(item)) continue;
    let score = 0;
    for (const v of Object.values(e.parts)) score += v;
    keepBest(ranked, { item, score, e }, k);
  }

  const items: ScoredItem[] = ranked.map(({ item, score, e }) => ({ itemId: item, score, reasons: reasonsOf(e, categoryOf) }));
  return sequenceVersion === undefined ? { items } : { items, modelVersion: sequenceVersion };
}

interface Ranked {
  readonly item: string;
  readonly score: number;
  readonly e: Evidence;
}

/** Higher score first, then the smaller item id. */
function before(a: Ranked, b: Ranked): boolean {
  return a.score > b.score || (a.score === b.score && a.item < b.item);
}

/** Inserts `r` into `best` (sorted, at most k long) when it belongs in the top k. */
function keepBest(best: Ranked[], r: Ranked, k: number): void {
  if (best.length === k && !before(r, best[k - 1]!)) return;
  let lo = 0;
  let hi = best.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(best[mid]!, r)) lo = mid + 1;
    else hi = mid;
  }
  best.splice(lo, 0, r);
  if (best.length > k) best.pop();
}

function reasonsOf(e: Evidence, categoryOf: (item: string) => string | undefined): Reason[] {
  const parts = (Object.entries(e.parts) as [SourceName, number][]).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  return parts.map(([source]): Reason => {
    switch (source) {
      case 'covisitation':
        return { kind: 'co-visited', text: `viewed together with ${e.covisFrom!}`, itemId: e.covisFrom! };
      case 'sessions':
        return { kind: 'session-neighbours', text: 'shoppers with sessions like yours viewed' };
      case 'sequence':
        return { kind: 'sequence', text: 'next in sequences like yours' };
      case 'popular': {
        void categoryOf;
        return e.popularCategory !== undefined
          ? { kind: 'popular-category', text: `popular in ${e.popularCategory} now`, categoryId: e.popularCategory }
          : { kind: 'popular', text: 'popular now' };
      }
    }
  });
}
