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
  let a = 1;
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    let ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (let i = 0; i < n; i++) {
      const t = labels[i]! === 1 ? hi : lo;
      const p = sigmoid(a * z[i]! + b);
      const r = p - t;
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
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  return { kind: 'platt', a, b };
}

export function applyCalibration(c: Calibration, z: ArrayLike<number>): Float64Array {
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = sigmoid(c.a * z[i]! + c.b);
  return out;
}

export const IDENTITY_CALIBRATION: Calibration = { kind: 'platt', a: 1, b: 0 };
