import { itemNumber, itemNumbers, itemsNumbered } from './intern.js';
import type { IndexSlice, WeightedItem } from './store.js';
import type { CatalogView, RankConfig, Reason, RecommendRequest, Recommendation, ScoredItem, SequenceModel } from './types.js';

/** The candidate sources; each gives a bounded score map, normalised to a maximum of 1 before blending. */
export type SourceName = 'sessions' | 'covisitation' | 'popular' | 'sequence';

/** The four sources in the order `rank` adds them: a candidate's score is their sum in this order. */
const SOURCES: readonly SourceName[] = ['sessions', 'covisitation', 'sequence', 'popular'];

/**
 * The candidates of one request, one slot each (struct of arrays, no object per candidate): each
 * source's part (NaN: the source did not name the item), the co-visitation source item and the
 * popular category. Items get slots in the order the sources first name them.
 */
class Candidates {
  /** This request's mark in `slotMarkOf`: an item's slot in `slotOf` is this request's when its mark is. */
  private readonly mark = nextCandidatesMark();
  readonly items: string[] = [];
  readonly sessions: number[] = [];
  readonly covisitation: number[] = [];
  readonly sequence: number[] = [];
  readonly popular: number[] = [];
  readonly covisFrom: (string | undefined)[] = [];
  /** The largest single co-visitation contribution so far (which source item gave it). */
  readonly covisBest: number[] = [];
  readonly popularCategory: (string | undefined)[] = [];

  of(item: string): number {
    return this.ofNumber(itemNumber(item), item);
  }

  /** The slot of `item`, whose number is `n`. */
  ofNumber(n: number, item: string): number {
    if (n >= slotOf.length) grow(n + 1);
    let slot: number;
    if (slotMarkOf[n] === this.mark) slot = slotOf[n]!;
    else {
      slot = this.items.length;
      slotMarkOf[n] = this.mark;
      slotOf[n] = slot;
      this.items.push(item);
      this.sessions.push(Number.NaN);
      this.covisitation.push(Number.NaN);
      this.sequence.push(Number.NaN);
      this.popular.push(Number.NaN);
      this.covisFrom.push(undefined);
      this.covisBest.push(Number.NaN);
      this.popularCategory.push(undefined);
    }
    return slot;
  }

  /** The blended score: the parts present, summed in the order the sources add them. */
  score(slot: number): number {
    let score = 0;
    const a = this.sessions[slot]!;
    if (a === a) score += a;
    const b = this.covisitation[slot]!;
    if (b === b) score += b;
    const c = this.sequence[slot]!;
    if (c === c) score += c;
    const d = this.popular[slot]!;
    if (d === d) score += d;
    return score;
  }

  /**
   * Scales the raw values of `source` at `slots` to a maximum of 1, times `weight`; a raw value
   * ≤ 0 (or every value, when none is positive) leaves the source out for that item.
   */
  normalise(source: 'sessions' | 'covisitation', slots: readonly number[], weight: number): void {
    const values = this[source];
    let max = 0;
    for (const slot of slots) if (values[slot]! > max) max = values[slot]!;
    for (const slot of slots) {
      const v = values[slot]!;
      values[slot] = max > 0 && v > 0 ? weight * (v / max) : Number.NaN;
    }
  }
}

/*
 * Scratch indexed by item number (intern.ts), shared by every call: ranking is synchronous, so one
 * call uses them at a time. `weightOf`: the current session's position weight of an item, -1 when
 * it is not in the session (reset when the call ends). `markOf`: the last mark an item got, to count
 * it once per neighbour. `slotOf`/`slotMarkOf`: an item's candidate slot, valid for the call whose
 * mark it carries.
 */
let weightOf = new Float64Array(0);
let markOf = new Int32Array(0);
let slotOf = new Int32Array(0);
let slotMarkOf = new Int32Array(0);
let itemMark = 0;
let candidatesMark = 0;

function grow(size: number): void {
  const length = Math.max(size, 2 * weightOf.length, 4096);
  const weights = new Float64Array(length).fill(-1);
  weights.set(weightOf);
  weightOf = weights;
  const copy = (from: Int32Array) => {
    const to = new Int32Array(length);
    to.set(from);
    return to;
  };
  markOf = copy(markOf);
  slotOf = copy(slotOf);
  slotMarkOf = copy(slotMarkOf);
}

/** A fresh mark for `markOf` (on wrap-around every mark is cleared first). */
function nextItemMark(): number {
  if (itemMark === 0x7fffffff) {
    markOf.fill(0);
    itemMark = 0;
  }
  return ++itemMark;
}

function nextCandidatesMark(): number {
  if (candidatesMark === 0x7fffffff) {
    slotMarkOf.fill(0);
    candidatesMark = 0;
  }
  return ++candidatesMark;
}

/** Adds `value` to a raw accumulator slot (NaN: first value). */
function accumulate(values: number[], slot: number, value: number): boolean {
  const have = values[slot]!;
  values[slot] = have !== have ? 0 + value : have + value;
  return have !== have;
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
  const c = new Candidates();
  const slots = neighbourVotes(current, slice, config, nowMs, c);
  return new Map(slots.map((slot) => [c.items[slot]!, c.sessions[slot]!]));
}

/** The session-neighbour votes as raw scores in `c.sessions`; returns the slots that got one, in first-vote order. */
function neighbourVotes(current: readonly string[], slice: IndexSlice, config: RankConfig, nowMs: number, c: Candidates): number[] {
  const touched: number[] = [];
  const n = current.length;
  if (n === 0 || slice.neighbours.length === 0) return touched;
  const currentNumbers = itemNumbers(current);
  // Every neighbour's item numbers: the store's, or numbered here.
  const numbered = slice.neighbours.map((neighbour) => neighbour.numbers ?? itemNumbers(neighbour.items));
  if (itemsNumbered() > weightOf.length) grow(itemsNumbered());
  for (let p = 0; p < n; p++) {
    // The last occurrence wins (positions grow).
    weightOf[currentNumbers[p]!] = config.positionDecay > 0 ? Math.exp((p + 1 - n) / config.positionDecay) : (p + 1) / n;
  }
  try {
    const sims: { sim: number; index: number }[] = [];
    for (let s = 0; s < slice.neighbours.length; s++) {
      const numbers = numbered[s]!;
      const mark = nextItemMark();
      // The weights of its distinct shared items, summed in first-occurrence order.
      let sim = 0;
      for (let i = 0; i < numbers.length; i++) {
        const item = numbers[i]!;
        const w = weightOf[item]!;
        if (w < 0 || markOf[item] === mark) continue;
        markOf[item] = mark;
        sim += w;
      }
      if (sim <= 0) continue;
      if (config.recencyDecayMs > 0) sim *= Math.exp(-Math.max(0, nowMs - slice.neighbours[s]!.timeMs) / config.recencyDecayMs);
      sims.push({ sim, index: s });
    }
    const kept = mostSimilar(sims, config.neighbours);
    let df: Map<string, number> | undefined;
    if (config.idf) {
      df = new Map();
      for (const { index } of kept) for (const item of new Set(slice.neighbours[index]!.items)) df.set(item, (df.get(item) ?? 0) + 1);
    }
    const vote = (slot: number, value: number) => {
      if (accumulate(c.sessions, slot, value)) touched.push(slot);
    };
    const voted = new Map<string, number>();
    for (let k = 0; k < kept.length; k++) {
      const { sim, index } = kept[k]!;
      const items = slice.neighbours[index]!.items;
      const numbers = numbered[index]!;
      if (config.itemDecay > 0) {
        let anchor = -1;
        for (let i = items.length - 1; i >= 0; i--) {
          if (weightOf[numbers[i]!]! >= 0) {
            anchor = i;
            break;
          }
        }
        // An item voted twice by one neighbour counts once, with its best weight.
        voted.clear();
        for (let i = 0; i < items.length; i++) {
          const item = items[i]!;
          const w = Math.exp(-Math.abs(i - anchor) / config.itemDecay);
          if ((voted.get(item) ?? 0) < w) voted.set(item, w);
        }
        for (const [item, w] of voted) vote(c.of(item), sim * w * (df ? Math.log(1 + kept.length / df.get(item)!) : 1));
        continue;
      }
      // No item decay: every item's weight is 1, so the first occurrence is the vote.
      const mark = nextItemMark();
      for (let i = 0; i < numbers.length; i++) {
        const number = numbers[i]!;
        if (markOf[number] === mark) continue;
        markOf[number] = mark;
        const item = items[i]!;
        vote(c.ofNumber(number, item), sim * 1 * (df ? Math.log(1 + kept.length / df.get(item)!) : 1));
      }
    }
  } finally {
    for (let p = 0; p < n; p++) weightOf[currentNumbers[p]!] = -1;
  }
  return touched;
}

/**
 * The `n` most similar neighbours, by similarity (descending) then index: the first n of sorting all
 * of them so, without sorting all of them. `sims` is in index order.
 */
function mostSimilar(sims: { sim: number; index: number }[], n: number): { sim: number; index: number }[] {
  const byOrder = (a: { sim: number; index: number }, b: { sim: number; index: number }) => b.sim - a.sim || a.index - b.index;
  if (sims.length <= n) return sims.sort(byOrder);
  if (n <= 0) return [];
  const values = new Float64Array(sims.length);
  for (let i = 0; i < sims.length; i++) values[i] = sims[i]!.sim;
  values.sort();
  // The n-th largest similarity: every neighbour above it is kept, then those equal to it by index.
  const threshold = values[sims.length - n]!;
  let above = 0;
  for (const s of sims) if (s.sim > threshold) above++;
  let ties = n - above;
  const kept: { sim: number; index: number }[] = [];
  for (const s of sims) {
    if (s.sim > threshold) kept.push(s);
    else if (s.sim === threshold && ties > 0) {
      kept.push(s);
      ties--;
    }
  }
  return kept.sort(byOrder);
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
  const c = new Candidates();
  const w = config.weights;

  if (w.sessions > 0) c.normalise('sessions', neighbourVotes(current, slice, config, nowMs, c), w.sessions);

  if (w.covisitation > 0) {
    const touched: number[] = [];
    slice.expanded.forEach((source, r) => {
      const row = slice.covisited[r] ?? [];
      const max = rowMax(row);
      if (max <= 0) return;
      const decay = config.covisRecencyDecay ** r;
      for (const { itemId, weight, number } of row) {
        const v = (decay * weight) / max;
        const slot = c.ofNumber(number ?? itemNumber(itemId), itemId);
        if (accumulate(c.covisitation, slot, v)) touched.push(slot);
        const best = c.covisBest[slot]!;
        if (best !== best || v > best) {
          c.covisBest[slot] = v;
          c.covisFrom[slot] = source;
        }
      }
    });
    c.normalise('covisitation', touched, w.covisitation);
  }

  let sequenceVersion: string | undefined;
  if (sequence && w.sequence > 0 && current.length > 0) {
    const top = sequence.model.topK(current, config.sequenceLimit);
    if (top.length > 0) {
      sequenceVersion = sequence.version;
      const max = Math.max(...top.map((t) => t.score));
      for (const t of top) accumulate(c.sequence, c.of(t.itemId), w.sequence * Math.exp((t.score - max) / config.sequenceTemperature));
    }
  }

  // Popularity: the expanded items' categories (and the requested ones) first, then global; it
  // also fills an answer that the other sources leave short (cold start). An item's value is its
  // best row's (the first on ties), then weighted.
  const popularSlots: number[] = [];
  const popRow = (row: readonly WeightedItem[], category: string | undefined) => {
    const max = rowMax(row);
    if (max <= 0) return;
    for (const { itemId, weight, number } of row) {
      const v = weight / max;
      const slot = c.ofNumber(number ?? itemNumber(itemId), itemId);
      const have = c.popular[slot]!;
      if (have !== have) popularSlots.push(slot);
      if (have !== have || v > have) {
        c.popular[slot] = v;
        c.popularCategory[slot] = category;
      }
    }
  };
  for (const [category, row] of slice.popularByCategory) popRow(row, category);
  popRow(slice.popular, undefined);
  const popularWeight = w.popular > 0 ? w.popular : 1e-9;
  for (const slot of popularSlots) c.popular[slot] = popularWeight * c.popular[slot]!;

  // Filters, checked only for a candidate whose score would place it in the current top k (they
  // do not depend on the score, so the answer is that of filtering first).
  const bought = new Set(filters.excludeBought === false ? [] : [...slice.bought, ...slice.session.filter((e) => e.kind === 'purchase').map((e) => e.itemId)]);
  const excluded = new Set(filters.exclude ?? []);
  const seen = filters.excludeSeen ? new Set(current) : undefined;
  const categories = filters.categories && filters.categories.length > 0 ? new Set(filters.categories) : undefined;
  const categoryOf = (item: string) => catalog?.categoryOf(item) ?? slice.categoryOf.get(item);
  const kept = (item: string) =>
    !(bought.has(item) || excluded.has(item) || seen?.has(item)) &&
    !(categories && !categories.has(categoryOf(item) ?? '\u0000none')) &&
    !(catalog && !catalog.isAvailable(item));

  // The k best kept in order as they come (insertion into a short sorted list), not a sort of
  // every candidate: the same order as sorting all by (score desc, item id asc), at O(n) for small k.
  const ranked: Ranked[] = [];
  for (let slot = 0; slot < c.items.length; slot++) {
    const score = c.score(slot);
    // A slot every source left out (its raw values were ≤ 0) is no candidate.
    if (c.sessions[slot]! !== c.sessions[slot]! && c.covisitation[slot]! !== c.covisitation[slot]! && c.sequence[slot]! !== c.sequence[slot]! && c.popular[slot]! !== c.popular[slot]!) continue;
    const item = c.items[slot]!;
    if (ranked.length === k) {
      const last = ranked[k - 1]!;
      if (!(score > last.score || (score === last.score && item < last.item))) continue;
    }
    if (!kept(item)) continue;
    keepBest(ranked, { item, score, slot }, k);
  }

  const items: ScoredItem[] = ranked.map(({ item, score, slot }) => ({ itemId: item, score, reasons: reasonsOf(c, slot) }));
  return sequenceVersion === undefined ? { items } : { items, modelVersion: sequenceVersion };
}

interface Ranked {
  readonly item: string;
  readonly score: number;
  readonly slot: number;
}

/** Higher score first, then the smaller item id. */
function before(a: Ranked, b: Ranked): boolean {
  return a.score > b.score || (a.score === b.score && a.item < b.item);
}

/** Inserts `r` into `best` (sorted, at most k long); `r` belongs in the top k. */
function keepBest(best: Ranked[], r: Ranked, k: number): void {
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

function reasonsOf(c: Candidates, slot: number): Reason[] {
  // Sources by their part, largest first (a stable sort: ties keep the order the parts were added).
  const parts = SOURCES.filter((source) => c[source][slot]! > 0).sort((a, b) => c[b][slot]! - c[a][slot]!);
  return parts.map((source): Reason => {
    switch (source) {
      case 'covisitation':
        return { kind: 'co-visited', text: `viewed together with ${c.covisFrom[slot]!}`, itemId: c.covisFrom[slot]! };
      case 'sessions':
        return { kind: 'session-neighbours', text: 'shoppers with sessions like yours viewed' };
      case 'sequence':
        return { kind: 'sequence', text: 'next in sequences like yours' };
      case 'popular': {
        const category = c.popularCategory[slot];
        return category !== undefined ? { kind: 'popular-category', text: `popular in ${category} now`, categoryId: category } : { kind: 'popular', text: 'popular now' };
      }
    }
  });
}
