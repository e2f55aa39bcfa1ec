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

export function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let j = 0; j < a.length; j++) {
    const x = a[j]! - b[j]!;
    d += x * x;
  }
  return d;
}

/** Index of the nearest centroid (ties: the lower index). */
export function nearest(point: ArrayLike<number>, centroids: readonly ArrayLike<number>[]): number {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < centroids.length; c++) {
    const d = squaredDistance(point, centroids[c]!);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

export interface KMeansResult {
  centroids: Float64Array[];
  assignments: Int32Array;
  /** Σ squared distance of each point to its centroid. */
  inertia: number;
  iterations: number;
}

/** k-means++ seeding (Arthur and Vassilvitskii): each next centre drawn ∝ D² to the nearest chosen. */
export function kMeansPlusPlus(points: readonly Float64Array[], k: number, random: () => number): Float64Array[] {
  const n = points.length;
  const centroids: Float64Array[] = [Float64Array.from(points[Math.floor(random() * n)]!)];
  const d2 = new Float64Array(n).fill(Infinity);
  while (centroids.length < k) {
    const last = centroids[centroids.length - 1]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = squaredDistance(points[i]!, last);
      if (d < d2[i]!) d2[i] = d;
      total += d2[i]!;
    }
    let pick = n - 1;
    if (total > 0) {
      let r = random() * total;
      for (let i = 0; i < n; i++) {
        r -= d2[i]!;
        if (r < 0) {
          pick = i;
          break;
        }
      }
    } else {
      pick = Math.floor(random() * n);
    }
    centroids.push(Float64Array.from(points[pick]!));
  }
  return centroids;
}

/**
 * Lloyd's k-means from k-means++ seeds, `restarts` times; the run with the least inertia wins.
 * An emptied cluster is re-seeded with the point farthest from its centroid. Deterministic for a
 * given seed.
 */
export function kMeans(points: readonly Float64Array[], k: number, options: { seed: number; restarts?: number; maxIterations?: number }): KMeansResult {
  if (points.length < k) throw new Error(`k-means: ${points.length} points for k = ${k}`);
  const random = seededRandom(options.seed);
  let best: KMeansResult | undefined;
  for (let run = 0; run < (options.restarts ?? 5); run++) {
    const result = lloyd(points, kMeansPlusPlus(points, k, random), options.maxIterations ?? 100);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

function lloyd(points: readonly Float64Array[], centroids: Float64Array[], maxIterations: number): KMeansResult {
  const n = points.length;
  const k = centroids.length;
  const dims = points[0]!.length;
  const assignments = new Int32Array(n).fill(-1);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const c = nearest(points[i]!, centroids);
      if (c !== assignments[i]) {
        assignments[i] = c;
        changed++;
      }
    }
    if (changed === 0 && iterations > 0) break;
    const sums = Array.from({ length: k }, () => new Float64Array(dims));
    const counts = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = assignments[i]!;
      counts[c]!++;
      const p = points[i]!;
      const s = sums[c]!;
      for (let j = 0; j < dims; j++) s[j] = s[j]! + p[j]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // Re-seed an empty cluster with the point farthest from its own centroid.
        let far = 0;
        let farD = -1;
        for (let i = 0; i < n; i++) {
          const d = squaredDistance(points[i]!, centroids[assignments[i]!]!);
          if (d > farD) {
            farD = d;
            far = i;
          }
        }
        centroids[c] = Float64Array.from(points[far]!);
        assignments[far] = c;
        continue;
      }
      const s = sums[c]!;
      for (let j = 0; j < dims; j++) s[j] = s[j]! / counts[c]!;
      centroids[c] = s;
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += squaredDistance(points[i]!, centroids[assignments[i]!]!);
  return { centroids, assignments, inertia, iterations };
}

/**
 * Mean silhouette of the given points (Rousseeuw): s = (b − a) / max(a, b), a the mean distance to
 * the own cluster, b the least mean distance to another; a point alone in its cluster counts 0.
 */
export function silhouette(points: readonly Float64Array[], assignments: ArrayLike<number>, k: number): number {
  const n = points.length;
  if (n < 2 || k < 2) return 0;
  const sizes = new Int32Array(k);
  for (let i = 0; i < n; i++) sizes[assignments[i]!]!++;
  let total = 0;
  const sums = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) if (j !== i) sums[assignments[j]!] = sums[assignments[j]!]! + Math.sqrt(squaredDistance(points[i]!, points[j]!));
    const own = assignments[i]!;
    if (sizes[own]! <= 1) continue;
    const a = sums[own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, sums[c]! / sizes[c]!);
    if (!Number.isFinite(b)) continue;
    const m = Math.max(a, b);
    total += m === 0 ? 0 : (b - a) / m;
  }
  return total / n;
}
