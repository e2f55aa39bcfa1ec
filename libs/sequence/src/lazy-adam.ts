export interface LazyAdamOptions {
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  /** Default 1e-7, as tf.train.adam on a float32 backend. */
  readonly epsilon?: number;
}

/** Terms of the catch-up series kept: the ratio β1/√β2 ≈ 0.9005 to the 160th is below 1e-7. */
const CATCH_UP_TERMS = 160;

/**
 * An embedding table [rows, dim] trained by Adam, held outside TensorFlow and updated lazily
 * (ADR 0067): a step reads the rows a batch names (`gather`) and, given the gradient of those
 * gathered rows, sums it per distinct row and updates only those rows (`apply`). A row a batch does
 * not name still moves in dense Adam (its first moment decays but is not zero); that movement is
 * applied when the row is next named, or by `flush`, in closed form: over k steps without a gradient
 * m and v decay by β1^k and β2^k, and the row moves by lr · (m/√v) · Σ_j c1(s+j)/√c2(s+j) · (β1/√β2)^j
 * (c1, c2 the bias corrections at each skipped step; ε left out of that sum). So the result is dense
 * Adam's, within float rounding and that ε, at the cost of the rows a batch names: tf.train.adam
 * over the whole 43k × 100 table rewrote every row and both moments each step, half of a step.
 */
export class LazyAdamTable {
  readonly values: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly slotOf: Int32Array;
  private readonly stampOf: Int32Array;
  /** The step each row was last brought up to. */
  private readonly lastStep: Int32Array;
  private stamp = 0;
  private correction = new Float64Array(0);
  private step = 0;
  private distinct = new Int32Array(0);
  private sums = new Float32Array(0);
  private lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    values: Float32Array,
    readonly dim: number,
    options: LazyAdamOptions,
  ) {
    if (values.length % dim !== 0) throw new Error(`LazyAdamTable: ${values.length} values is not a whole number of rows of ${dim}`);
    this.values = values;
    this.m = new Float32Array(values.length);
    this.v = new Float32Array(values.length);
    const rows = values.length / dim;
    this.slotOf = new Int32Array(rows);
    this.stampOf = new Int32Array(rows);
    this.lastStep = new Int32Array(rows);
    this.lr = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
  }

  get rows(): number {
    return this.values.length / this.dim;
  }

  /** Copies rows `rows[0..n)` into `out` ([n, dim]). */
  gather(rows: Int32Array, n: number, out: Float32Array): void {
    const d = this.dim;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      out.set(this.values.subarray(r * d, r * d + d), i * d);
    }
  }

  /** One Adam step for the distinct rows of `rows[0..n)`; `grads` [n, dim] is the gradient of what `gather` returned. */
  apply(rows: Int32Array, n: number, grads: Float32Array): void {
    const d = this.dim;
    if (this.distinct.length < n) {
      this.distinct = new Int32Array(n);
      this.sums = new Float32Array(n * d);
    }
    const { slotOf, stampOf, distinct, sums } = this;
    if (++this.stamp === 0x7fffffff) {
      stampOf.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      let slot: number;
      if (stampOf[r] !== stamp) {
        stampOf[r] = stamp;
        slot = slotOf[r] = count;
        distinct[count++] = r;
        sums.set(grads.subarray(i * d, i * d + d), slot * d);
        continue;
      }
      slot = slotOf[r]!;
      for (let k = 0, o = slot * d, q = i * d; k < d; k++) sums[o + k]! += grads[q + k]!;
    }
    const t = ++this.step;
    const { beta1, beta2, epsilon, lr, m, v, values } = this;
    const c1 = 1 / (1 - beta1 ** t);
    const c2 = 1 / (1 - beta2 ** t);
    for (let j = 0; j < count; j++) {
      const row = distinct[j]!;
      this.catchUp(row, t - 1);
      const base = row * d;
      const o = j * d;
      for (let k = 0; k < d; k++) {
        const g = sums[o + k]!;
        const mk = (m[base + k] = beta1 * m[base + k]! + (1 - beta1) * g);
        const vk = (v[base + k] = beta2 * v[base + k]! + (1 - beta2) * g * g);
        values[base + k]! -= (lr * (mk * c1)) / (Math.sqrt(vk * c2) + epsilon);
      }
      this.lastStep[row] = t;
    }
  }

  /**
   * Changes the learning rate from the next step. Every row is first brought up to the current step
   * at the old rate, so the closed-form catch-up (which assumes one rate) stays exact.
   */
  setLearningRate(lr: number): void {
    if (lr === this.lr) return;
    this.flush();
    this.lr = lr;
  }

  /** c1(s)/√c2(s) for every step s up to `upTo` (index s), grown as needed. */
  private corrections(upTo: number): Float64Array {
    if (this.correction.length <= upTo) {
      const next = new Float64Array(Math.max(upTo + 1, 2 * this.correction.length, 1024));
      for (let s = 1; s < next.length; s++) next[s] = 1 / (1 - this.beta1 ** s) / Math.sqrt(1 / (1 - this.beta2 ** s));
      this.correction = next;
    }
    return this.correction;
  }

  /** Brings every row up to the current step (before the values are read as the trained table). */
  flush(): void {
    for (let row = 0; row < this.rows; row++) {
      this.catchUp(row, this.step);
      this.lastStep[row] = this.step;
    }
  }

  /** Applies the steps after the row's last one, up to step `to`, in which it had no gradient. */
  private catchUp(row: number, to: number): void {
    const from = this.lastStep[row]!;
    const skipped = to - from;
    if (skipped <= 0 || from === 0) return; // from 0: never updated, its moments are zero
    const { beta1, beta2, lr, m, v, values, dim: d } = this;
    const correction = this.corrections(from + Math.min(skipped, CATCH_UP_TERMS));
    const ratio = beta1 / Math.sqrt(beta2);
    let sum = 0;
    let power = 1;
    const terms = Math.min(skipped, CATCH_UP_TERMS);
    for (let j = 1; j <= terms; j++) {
      power *= ratio;
      sum += power * correction[from + j]!;
    }
    const step = lr * sum;
    const decay1 = beta1 ** skipped;
    const decay2 = beta2 ** skipped;
    const base = row * d;
    for (let k = 0; k < d; k++) {
      const vk = v[base + k]!;
      if (vk > 0) values[base + k]! -= (step * m[base + k]!) / Math.sqrt(vk);
      m[base + k] = decay1 * m[base + k]!;
      v[base + k] = decay2 * vk;
    }
  }
}
