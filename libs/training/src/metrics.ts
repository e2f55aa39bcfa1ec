/**
 * Small metrics used while training (model selection on validation). The evaluation report uses
 * libs/evaluation; these agree with it on the definitions (ROC-AUC with ties as half, PR-AUC as
 * average precision with tied scores grouped, ECE over 10 equal-width bins).
 */
function order(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((a, b) => scores[b]! - scores[a]!);
}

export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = order(scores);
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) pos++;
    else neg++;
  }
  if (pos === 0 || neg === 0) return NaN;
  // Walk groups of tied scores from the top: each negative in a group counts the positives above it, plus half of the group's.
  let above = 0;
  let sum = 0;
  for (let k = 0; k < idx.length; ) {
    let p = 0;
    let q = 0;
    const s = scores[idx[k]!]!;
    while (k < idx.length && scores[idx[k]!]! === s) {
      if (labels[idx[k]!] === 1) p++;
      else q++;
      k++;
    }
    sum += q * (above + p / 2);
    above += p;
  }
  return sum / (pos * neg);
}

export function prAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = order(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i]!;
  if (pos === 0) return NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let k = 0; k < idx.length; ) {
    const s = scores[idx[k]!]!;
    let p = 0;
    while (k < idx.length && scores[idx[k]!]! === s) {
      p += labels[idx[k]!]!;
      seen++;
      k++;
    }
    tp += p;
    ap += (p / pos) * (tp / seen);
  }
  return ap;
}

export function logLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probs[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / probs.length;
}

export function ece(probs: ArrayLike<number>, labels: ArrayLike<number>, bins = 10): number {
  const count = new Array<number>(bins).fill(0);
  const conf = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probs[i]! * bins));
    count[b]!++;
    conf[b]! += probs[i]!;
    hits[b]! += labels[i]!;
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) e += (count[b]! / probs.length) * Math.abs(conf[b]! / count[b]! - hits[b]! / count[b]!);
  return e;
}
