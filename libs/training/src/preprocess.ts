/**
 * Preprocessing of model inputs, fitted on the training part only: per raw column, log1p for
 * non-negative columns with values above 1 (counts, seconds), imputation of missing values with
 * the training median, a missing-indicator input when the column has missing values in training,
 * then standardisation (training mean and standard deviation). Columns with no spread in training
 * (every value the same, or every value missing — absent features) give no input.
 */
export interface InputTransform {
  /** Raw column index. */
  column: number;
  log: boolean;
  impute: number;
  mean: number;
  std: number;
  /** Also feeds a 0/1 "was missing" input (standardised with indicatorMean / indicatorStd). */
  indicator: boolean;
  indicatorMean: number;
  indicatorStd: number;
}

export interface Preprocessing {
  /** Raw columns a row has. */
  rawWidth: number;
  inputs: InputTransform[];
  /** Model inputs: one per transform, plus one per indicator (after all values). */
  width: number;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/** Fits the preprocessing on training rows (n × d, row-major). */
export function fitPreprocessing(rows: Float32Array, d: number, columns?: readonly number[]): Preprocessing {
  const n = rows.length / d;
  const inputs: InputTransform[] = [];
  for (const j of columns ?? Array.from({ length: d }, (_, k) => k)) {
    const present: number[] = [];
    let missing = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = rows[i * d + j]!;
      if (Number.isNaN(v)) missing++;
      else {
        present.push(v);
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (present.length === 0 || min === max) continue;
    const log = min >= 0 && max > 1;
    const values = log ? present.map(Math.log1p) : present;
    const impute = median([...values]);
    let sum = 0;
    for (const v of values) sum += v;
    sum += impute * missing;
    const mean = sum / n;
    let sq = 0;
    for (const v of values) sq += (v - mean) ** 2;
    sq += missing * (impute - mean) ** 2;
    const std = Math.sqrt(sq / n) || 1;
    const share = missing / n;
    const indicator = missing > 0;
    inputs.push({ column: j, log, impute, mean, std, indicator, indicatorMean: share, indicatorStd: Math.sqrt(share * (1 - share)) || 1 });
  }
  return { rawWidth: d, inputs, width: inputs.length + inputs.filter((t) => t.indicator).length };
}

/** One raw row → model inputs (into `out`). The same code serves training and serving. */
export function transformRow(p: Preprocessing, row: ArrayLike<number>, out: Float32Array<ArrayBufferLike> = new Float32Array(p.width), offset = 0): Float32Array<ArrayBufferLike> {
  let k = p.inputs.length;
  for (let t = 0; t < p.inputs.length; t++) {
    const x = p.inputs[t]!;
    const raw = row[x.column]!;
    const missing = Number.isNaN(raw);
    const v = missing ? x.impute : x.log ? Math.log1p(Math.max(0, raw)) : raw;
    out[offset + t] = (v - x.mean) / x.std;
    if (x.indicator) out[offset + k++] = ((missing ? 1 : 0) - x.indicatorMean) / x.indicatorStd;
  }
  return out;
}

/** Every row (n × d) → model inputs (n × width). */
export function transformRows(p: Preprocessing, rows: Float32Array): Float32Array {
  const n = rows.length / p.rawWidth;
  const out = new Float32Array(n * p.width);
  for (let i = 0; i < n; i++) transformRow(p, rows.subarray(i * p.rawWidth, (i + 1) * p.rawWidth), out, i * p.width);
  return out;
}
