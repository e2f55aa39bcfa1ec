import type { Calibration } from './artifact.js';

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
  for (let i = 0; i < z.length; i++) out[i] = sigmoid(c.a * z[i]! + c.b);
  return out;
}

export const IDENTITY_CALIBRATION: Calibration = { kind: 'platt', a: 1, b: 0 };
