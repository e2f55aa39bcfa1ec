/**
 * mulberry32: a 32-bit seeded PRNG (Tommy Ettinger's), uniform in [0, 1). Small, fast and the
 * same on every platform, so a bootstrap, a k-means restart, a data split or a random test with a
 * given seed gives the same result everywhere (and a failing random test replays from its seed).
 * Its 2^32 period is far more than any of them draws.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
