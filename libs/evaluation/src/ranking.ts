import { InvalidInputError } from '@clickwise/errors';

/**
 * Ranking metrics for next-item recommendation. A rank is 1-based (1 = the held-out item came
 * first); `Infinity` means it was not in the list at all.
 */

function checkRanks(what: string, ranks: ArrayLike<number>, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`${what}: k is ${String(k)}; it must be a positive integer`, 'k');
  if (ranks.length === 0) throw new InvalidInputError(`${what}: no ranks (the list of cases is empty)`, 'ranks');
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i]!;
    if (!(r === Number.POSITIVE_INFINITY || (Number.isInteger(r) && r >= 1))) {
      throw new InvalidInputError(`${what}: ranks[${i}] is ${String(r)}; a rank is an integer ≥ 1, or Infinity when the item is absent`, `ranks[${i}]`);
    }
  }
}

/** HR@K: share of cases whose held-out item ranks within the first k. */
export function hitRateAtK(ranks: ArrayLike<number>, k: number): number {
  checkRanks('hitRateAtK', ranks, k);
  let hits = 0;
  for (let i = 0; i < ranks.length; i++) if (ranks[i]! <= k) hits++;
  return hits / ranks.length;
}

/** MRR@K: mean of 1/rank over cases, a rank beyond k (or absent) counting 0. */
export function mrrAtK(ranks: ArrayLike<number>, k: number): number {
  checkRanks('mrrAtK', ranks, k);
  let sum = 0;
  for (let i = 0; i < ranks.length; i++) if (ranks[i]! <= k) sum += 1 / ranks[i]!;
  return sum / ranks.length;
}

/**
 * 1-based rank of each label in its ranked list (first occurrence), Infinity when absent; feed
 * the result to hitRateAtK / mrrAtK.
 */
export function ranksOf<T>(lists: readonly (readonly T[])[], labels: readonly T[]): Float64Array {
  if (lists.length !== labels.length) {
    throw new InvalidInputError(`ranksOf: ${lists.length} ranked lists but ${labels.length} labels`, 'labels');
  }
  const out = new Float64Array(lists.length);
  for (let i = 0; i < lists.length; i++) {
    const at = lists[i]!.indexOf(labels[i]!);
    out[i] = at < 0 ? Number.POSITIVE_INFINITY : at + 1;
  }
  return out;
}
