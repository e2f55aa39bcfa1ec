/** One labelled text of a named source (e.g. `alexa`, `amazon_cells`, `yelp`). */
export interface LabelledText {
  source: string;
  text: string;
  positive: boolean;
}

/** What an Alexa-style rated review gives: rating ≥ 4 positive, ≤ 2 negative, 3 left out (neutral). */
export function labelFromRating(rating: number): boolean | undefined {
  if (!Number.isFinite(rating)) throw new Error(`rating ${rating} is not a number`);
  if (rating >= 4) return true;
  if (rating <= 2) return false;
  return undefined;
}

/** Labelled texts from parsed review samples: a rating decides when there is one, else `positive`. */
export function labelledTexts(source: string, samples: readonly { text: string; rating?: number; positive?: boolean }[]): LabelledText[] {
  const out: LabelledText[] = [];
  for (const s of samples) {
    const positive = s.rating !== undefined ? labelFromRating(s.rating) : s.positive;
    if (positive === undefined || s.text.trim() === '') continue;
    out.push({ source, text: s.text, positive });
  }
  return out;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates in place with the given random source. */
export function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/**
 * A stratified split: within each (source, label) stratum, a seeded shuffle, then the first
 * round(share × size) go to the held-back part. Every source keeps its class balance in both parts.
 */
export function stratifiedSplit(texts: readonly LabelledText[], heldBackShare: number, seed: number): { train: LabelledText[]; test: LabelledText[] } {
  if (!(heldBackShare > 0 && heldBackShare < 1)) throw new Error(`held-back share ${heldBackShare} must be between 0 and 1`);
  const strata = new Map<string, LabelledText[]>();
  for (const t of texts) {
    const key = `${t.source}\u0000${t.positive ? 1 : 0}`;
    let list = strata.get(key);
    if (!list) strata.set(key, (list = []));
    list.push(t);
  }
  const random = seededRandom(seed);
  const train: LabelledText[] = [];
  const test: LabelledText[] = [];
  for (const key of [...strata.keys()].sort()) {
    const list = shuffle([...strata.get(key)!], random);
    const cut = Math.round(list.length * heldBackShare);
    test.push(...list.slice(0, cut));
    train.push(...list.slice(cut));
  }
  return { train, test };
}
