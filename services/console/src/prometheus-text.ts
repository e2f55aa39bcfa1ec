/**
 * Just enough of the Prometheus text exposition format (version 0.0.4) to read the platform's own
 * /metrics: samples with their labels, and histograms (their cumulative `_bucket{le}` series) with
 * the percentile of an increase, computed as Prometheus' histogram_quantile computes it.
 */

/** One sample line: `name{label="value",…} value`. */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function number(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Every sample of a page (comments, blank and malformed lines skipped). */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = unescape(l[2]!);
    const value = number(m[3]!);
    if (Number.isNaN(value)) continue;
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** A histogram's cumulative counts: upper bounds ascending (the last is +Inf) and the count at or below each. */
export interface Buckets {
  bounds: number[];
  counts: number[];
}

/**
 * The buckets of histogram `name` summed over every series whose labels match `where` (e.g. all
 * routes, or `{ method: 'Predict' }`), grouped by the label `by` when given (`method` → one
 * histogram per method). Undefined (or an empty map) when the page has none.
 */
export function histogram(samples: readonly Sample[], name: string, where: Readonly<Record<string, string>> = {}): Buckets | undefined {
  return histogramsBy(samples, name, undefined, where).get('');
}

export function histogramsBy(samples: readonly Sample[], name: string, by: string | undefined, where: Readonly<Record<string, string>> = {}): Map<string, Buckets> {
  const sums = new Map<string, Map<number, number>>();
  const bucket = `${name}_bucket`;
  for (const s of samples) {
    if (s.name !== bucket || s.labels.le === undefined) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    const key = by === undefined ? '' : (s.labels[by] ?? '');
    const bounds = sums.get(key) ?? new Map<number, number>();
    const le = number(s.labels.le);
    bounds.set(le, (bounds.get(le) ?? 0) + s.value);
    sums.set(key, bounds);
  }
  const out = new Map<string, Buckets>();
  for (const [key, bounds] of sums) {
    const sorted = [...bounds].sort((a, b) => a[0] - b[0]);
    out.set(key, { bounds: sorted.map(([b]) => b), counts: sorted.map(([, c]) => c) });
  }
  return out;
}

/** Observations in a histogram (its +Inf bucket). */
export function total(buckets: Buckets): number {
  return buckets.counts.at(-1) ?? 0;
}

/**
 * `now` minus `before` bucket by bucket: what was observed between two scrapes. A counter that went
 * down (the process restarted) or a change of bounds counts `now` alone, as Prometheus' rate does
 * after a reset.
 */
export function increase(now: Buckets, before: Buckets | undefined): Buckets {
  if (!before || before.bounds.length !== now.bounds.length || before.bounds.some((b, i) => b !== now.bounds[i])) return now;
  const counts = now.counts.map((c, i) => c - (before.counts[i] ?? 0));
  if (counts.some((c) => c < 0)) return now;
  return { bounds: now.bounds, counts };
}

/**
 * The q-quantile (0 < q < 1) of a histogram, as histogram_quantile: linear interpolation inside the
 * bucket that holds the rank, from 0 below the first bound; a rank in the +Inf bucket answers the
 * largest finite bound. Undefined with no observations.
 */
export function quantile(q: number, buckets: Buckets): number | undefined {
  const count = total(buckets);
  if (!(count > 0) || buckets.bounds.length === 0) return undefined;
  const rank = q * count;
  let i = buckets.counts.findIndex((c) => c >= rank);
  if (i < 0) i = buckets.counts.length - 1;
  const upper = buckets.bounds[i]!;
  if (upper === Infinity) return buckets.bounds.length > 1 ? buckets.bounds[buckets.bounds.length - 2] : undefined;
  const lower = i === 0 ? 0 : buckets.bounds[i - 1]!;
  const below = i === 0 ? 0 : buckets.counts[i - 1]!;
  const inBucket = buckets.counts[i]! - below;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}
