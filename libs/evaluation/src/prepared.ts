import { InvalidInputError } from '@clickwise/errors';

/**
 * Scores and labels checked once and sorted by score, descending, with the runs of equal scores
 * ("blocks") marked. Every binary metric here is one pass over this structure with optional
 * per-row weights, which is what makes a 1,000-resample bootstrap cheap: a resample is a weight
 * per row (how many times its group was drawn), never a re-sort.
 */
export interface PreparedBinary {
  readonly rows: number;
  readonly positives: number;
  /** `order[i]` is the input index of the i-th highest score (ties by input index). */
  readonly order: Uint32Array;
  /** Scores in sorted order. */
  readonly scores: Float64Array;
  /** Labels (0/1) in sorted order. */
  readonly labels: Uint8Array;
  /** Block b covers sorted positions `blockStart[b] .. blockStart[b+1]-1`; length = blocks + 1. */
  readonly blockStart: Uint32Array;
}

/** Checks lengths, finite scores and 0/1 labels; names the first offending index. */
export function checkBinaryInput(what: string, scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new InvalidInputError(`${what}: scores has ${scores.length} rows but labels has ${labels.length}`, 'labels');
  }
  if (scores.length === 0) throw new InvalidInputError(`${what}: no rows (scores and labels are empty)`, 'scores');
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!Number.isFinite(s)) throw new InvalidInputError(`${what}: scores[${i}] is ${String(s)}, not a finite number`, `scores[${i}]`);
    const y = labels[i]!;
    if (y !== 0 && y !== 1) throw new InvalidInputError(`${what}: labels[${i}] is ${String(y)}; labels must be 0 or 1`, `labels[${i}]`);
  }
}

/**
 * Checks that every score is a probability in [0, 1] (log loss, Brier, calibration need one).
 * `order` maps positions back to input indices when `scores` is the prepared (sorted) copy.
 */
export function checkProbabilities(what: string, scores: ArrayLike<number>, order?: Uint32Array): void {
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!(s >= 0 && s <= 1)) {
      const at = order === undefined ? i : order[i]!;
      throw new InvalidInputError(`${what}: scores[${at}] is ${String(s)}; ${what} needs probabilities in [0, 1]`, `scores[${at}]`);
    }
  }
}

/** Validates and sorts. `what` names the caller in error messages. */
export function prepareBinary(what: string, scores: ArrayLike<number>, labels: ArrayLike<number>): PreparedBinary {
  checkBinaryInput(what, scores, labels);
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  const sorted = new Float64Array(n);
  const ys = new Uint8Array(n);
  let positives = 0;
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    const src = order[i]!;
    sorted[i] = scores[src]!;
    ys[i] = labels[src]!;
    positives += ys[i]!;
    if (i === 0 || sorted[i] !== sorted[i - 1]) starts.push(i);
  }
  starts.push(n);
  return { rows: n, positives, order, scores: sorted, labels: ys, blockStart: Uint32Array.from(starts) };
}

/** Throws when a metric needs both classes and the data lacks one. */
export function requireBothClasses(what: string, positives: number, rows: number): void {
  if (positives === 0) throw new InvalidInputError(`${what} is undefined: the labels have no positives (${rows} rows, all 0)`, 'labels');
  if (positives === rows) throw new InvalidInputError(`${what} is undefined: the labels have no negatives (${rows} rows, all 1)`, 'labels');
}
