/**
 * Naive reference implementations, written from the definitions with no shared code: O(n²) pair
 * counts, full scans per threshold. The specs compare the fast metrics with these on random data.
 */

export function rocAucNaive(s: ArrayLike<number>, y: ArrayLike<number>): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < s.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < s.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      if (s[i]! > s[j]!) wins += 1;
      else if (s[i] === s[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

/** AP = Σ over distinct thresholds t (descending) of (R_t − R_prev)·P_t, rates of "score ≥ t". */
export function averagePrecisionNaive(s: ArrayLike<number>, y: ArrayLike<number>): number {
  const thresholds = [...new Set(Array.from(s))].sort((a, b) => b - a);
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i]!;
  let prevRecall = 0;
  let ap = 0;
  for (const t of thresholds) {
    let tp = 0;
    let selected = 0;
    for (let i = 0; i < s.length; i++) {
      if (s[i]! >= t) {
        selected++;
        tp += y[i]!;
      }
    }
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / selected);
    prevRecall = recall;
  }
  return ap;
}

export function logLossNaive(s: ArrayLike<number>, y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const p = Math.min(Math.max(s[i]!, 1e-15), 1 - 1e-15);
    sum -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / s.length;
}

export function brierNaive(s: ArrayLike<number>, y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += (s[i]! - y[i]!) ** 2;
  return sum / s.length;
}

/** ECE over `bins` uniform bins, from per-bin means. */
export function eceNaive(s: ArrayLike<number>, y: ArrayLike<number>, bins = 10): number {
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const members: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const bin = s[i] === 1 ? bins - 1 : Math.floor(s[i]! * bins);
      if (bin === b) members.push(i);
    }
    if (members.length === 0) continue;
    const predicted = members.reduce((a, i) => a + s[i]!, 0) / members.length;
    const observed = members.reduce((a, i) => a + y[i]!, 0) / members.length;
    ece += (members.length / s.length) * Math.abs(observed - predicted);
  }
  return ece;
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, at) => [...p.slice(0, at), n - 1, ...p.slice(at)]));
}

/**
 * Precision in the top ⌈f·n⌉, averaged over every order of the input (each order breaks ties by
 * position, a stable sort by score): the expectation that precisionAtTop computes. n ≤ 8.
 */
export function precisionAtTopByEveryOrder(s: ArrayLike<number>, y: ArrayLike<number>, fraction: number): number {
  const n = s.length;
  const k = Math.max(1, Math.ceil(fraction * n - 1e-9));
  let sum = 0;
  const all = permutations(n);
  for (const perm of all) {
    const sorted = [...perm].sort((a, b) => s[b]! - s[a]!); // stable: ties keep the permutation's order
    let hits = 0;
    for (let i = 0; i < k; i++) hits += y[sorted[i]!]!;
    sum += hits / k;
  }
  return sum / all.length;
}

/** Seeded uniform [0, 1) generator for test data, independent of the library's PRNG. */
export function testRandom(seed: number): () => number {
  let x = seed * 2654435761 + 1;
  return () => {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/**
 * Random scored data: `groups` sessions of 1–`maxPerGroup` rows, a session purchasing with
 * probability `positiveRate`; its rows' scores lean higher then. Scores are rounded to `decimals`
 * so that ties occur.
 */
export function randomScored(seed: number, rows: number, options: { positiveRate?: number; decimals?: number; maxPerGroup?: number } = {}) {
  const r = testRandom(seed);
  const rate = options.positiveRate ?? 0.2;
  const scale = 10 ** (options.decimals ?? 2);
  const maxPerGroup = options.maxPerGroup ?? 5;
  const scores = new Float64Array(rows);
  const labels = new Uint8Array(rows);
  const groups: string[] = [];
  let g = 0;
  let left = 0;
  let buys = false;
  for (let i = 0; i < rows; i++) {
    if (left === 0) {
      g++;
      left = 1 + Math.floor(r() * maxPerGroup);
      buys = r() < rate;
    }
    left--;
    labels[i] = buys && r() < 0.7 ? 1 : 0;
    const base = labels[i] === 1 ? 0.25 : 0;
    scores[i] = Math.round(Math.min(1, base + r() * 0.75) * scale) / scale;
    groups.push(`s${g}`);
  }
  return { scores, labels, groups };
}
