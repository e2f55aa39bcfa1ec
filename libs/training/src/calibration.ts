import { applyIsotonic, type Calibration, type IsotonicMap } from './artifact.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Platt scaling: fits p = σ(a·z + b) to labels by Newton's method on the log loss (with Platt's
 * smoothed targets, so a separable validation set does not send a to infinity). `z` are the
 * model's logits on the validation part.
 */
export function fitPlatt(z: ArrayLike<number>, labels: ArrayLike<number>, iterations = 50): Calibration {
  const n = z.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i]!;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (n - pos + 2);
  const target = (i: number) => (labels[i]! === 1 ? hi : lo);
  const loss = (a: number, b: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const s = a * z[i]! + b;
      // log(1 + e^s) − t·s, stable for large |s|.
      sum += (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s))) - target(i) * s;
    }
    return sum;
  };
  let a = 1;
  let b = 0;
  let current = loss(a, b);
  for (let it = 0; it < iterations; it++) {
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (let i = 0; i < n; i++) {
      const p = sigmoid(a * z[i]! + b);
      const r = p - target(i);
      const w = Math.max(p * (1 - p), 1e-12);
      ga += r * z[i]!;
      gb += r;
      haa += w * z[i]! * z[i]!;
      hab += w * z[i]!;
      hbb += w;
    }
    haa += 1e-9;
    hbb += 1e-9;
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    // Newton step, halved until the loss goes down (plain Newton can overshoot far from the optimum).
    let step = 1;
    let next = loss(a - da, b - db);
    while (!(next <= current) && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (!(next <= current)) break;
    a -= step * da;
    b -= step * db;
    const gain = current - next;
    current = next;
    if (gain < 1e-10 * Math.max(1, current)) break;
  }
  return { kind: 'platt', a, b };
}

export function applyCalibration(c: Calibration, z: ArrayLike<number>): Float64Array {
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = c.kind === 'isotonic' && c.isotonic ? applyIsotonic(c.isotonic, z[i]!) : sigmoid(c.a * z[i]! + c.b);
  return out;
}

export const IDENTITY_CALIBRATION: Calibration = { kind: 'platt', a: 1, b: 0 };

/** Fits isotonic regression of labels on logits (pool-adjacent-violators over the sorted logits; ties pooled; block shares kept in [1e-4, 1 − 1e-4]). */
export function fitIsotonic(z: ArrayLike<number>, labels: ArrayLike<number>): IsotonicMap {
  const order = Array.from({ length: z.length }, (_, i) => i).sort((a, b) => z[a]! - z[b]!);
  // Blocks: sum of labels, count, sum of logits.
  const ys: number[] = [];
  const ns: number[] = [];
  const zs: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    // Equal logits are one block from the start (a step function cannot split them).
    if (k > 0 && z[i] === z[order[k - 1]!]) {
      ys[ys.length - 1]! += labels[i]!;
      ns[ns.length - 1]! += 1;
      zs[zs.length - 1]! += z[i]!;
    } else {
      ys.push(labels[i]!);
      ns.push(1);
      zs.push(z[i]!);
    }
    while (ys.length > 1 && ys.at(-2)! / ns.at(-2)! >= ys.at(-1)! / ns.at(-1)!) {
      const y = ys.pop()!;
      const n = ns.pop()!;
      const s = zs.pop()!;
      ys[ys.length - 1]! += y;
      ns[ns.length - 1]! += n;
      zs[zs.length - 1]! += s;
    }
  }
  return { z: zs.map((s, b) => s / ns[b]!), p: ys.map((y, b) => Math.min(1 - 1e-4, Math.max(1e-4, y / ns[b]!))) };
}

function logLoss(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]!));
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / Math.max(1, p.length);
}

/** 32-bit FNV-1a of a string (fold assignment by session). */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export interface CalibrationChoice {
  method: 'platt' | 'isotonic';
  /** Cross-fitted log loss of each method on validation (fitted on the other folds' sessions, scored on each fold). */
  crossFitted: { platt: number; isotonic: number };
  folds: number;
}

/**
 * Chooses Platt or isotonic calibration on validation alone: the validation sessions are cut into
 * `folds` folds (by a hash of the session key); each method is fitted on the other folds and
 * scored (log loss) on the fold; the method with the lower mean wins. Then the winner is fitted on
 * all of validation by the caller.
 */
export function chooseCalibration(z: ArrayLike<number>, labels: ArrayLike<number>, groups: readonly string[], folds = 5): CalibrationChoice {
  const fold = groups.map((g) => fnv(g) % folds);
  const platt = new Float64Array(z.length);
  const iso = new Float64Array(z.length);
  for (let f = 0; f < folds; f++) {
    const fitZ: number[] = [];
    const fitY: number[] = [];
    for (let i = 0; i < z.length; i++) {
      if (fold[i] === f) continue;
      fitZ.push(z[i]!);
      fitY.push(labels[i]!);
    }
    const c = fitPlatt(fitZ, fitY);
    const m = fitIsotonic(fitZ, fitY);
    for (let i = 0; i < z.length; i++) {
      if (fold[i] !== f) continue;
      platt[i] = sigmoid(c.a * z[i]! + c.b);
      iso[i] = applyIsotonic(m, z[i]!);
    }
  }
  const crossFitted = { platt: logLoss(platt, labels), isotonic: logLoss(iso, labels) };
  return { method: crossFitted.isotonic < crossFitted.platt ? 'isotonic' : 'platt', crossFitted, folds };
}

/**
 * Base-rate anchoring (ADR 0065): moves a Platt map's intercept so that its mean probability over
 * the logits `z` is `prior` (bisection on b; the slope, so the ranking and the spread, is kept).
 * Used with `z` the validation logits and `prior` the positive share of training and validation
 * together: one validation day's base rate is noisy (5.6 % against 4.2 % over the days before on
 * the RetailRocket week), and a Platt fit on it carries that day's rate into every prediction.
 */
export function anchorToPrior(c: Calibration, z: ArrayLike<number>, prior: number): Calibration {
  if (c.kind !== 'platt') throw new Error('base-rate anchoring applies to a Platt map');
  if (!(prior > 0 && prior < 1) || z.length === 0) return c;
  const mean = (b: number) => {
    let s = 0;
    for (let i = 0; i < z.length; i++) s += sigmoid(c.a * z[i]! + b);
    return s / z.length;
  };
  let lo = c.b - 20;
  let hi = c.b + 20;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    if (mean(mid) < prior) lo = mid;
    else hi = mid;
  }
  return { kind: 'platt', a: c.a, b: (lo + hi) / 2 };
}
