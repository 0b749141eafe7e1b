/**
 * Small dense helpers on row-major arrays for the analytic (closed-form) layers: a matrix product, the
 * relative difference used by the partition-invariance checks, and arg-max classification.
 *
 * @example
 * matmul(Float64Array.from([1, 2]), 1, 2, Float64Array.from([3, 4]), 1); // Float64Array [11]
 */

/** A row-major numeric array: float32 batches from tfjs or float64 from the solvers. */
export type NumericArray = Float32Array | Float64Array;

/**
 * C = A·B with A rows×inner and B inner×cols (row-major), accumulated in float64 in a fixed order
 * (k ascending for each entry), so the same inputs always give bit-identical outputs.
 * @throws RangeError on mismatched lengths (a programmer error).
 */
export function matmul(a: NumericArray, rows: number, inner: number, b: NumericArray, cols: number): Float64Array {
  if (a.length !== rows * inner) throw new RangeError(`A has ${a.length} entries, expected ${rows}×${inner}`);
  if (b.length !== inner * cols) throw new RangeError(`B has ${b.length} entries, expected ${inner}×${cols}`);
  const c = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const ci = i * cols;
    for (let k = 0; k < inner; k++) {
      const aik = a[i * inner + k] ?? 0;
      if (aik === 0) continue;
      const bk = k * cols;
      for (let j = 0; j < cols; j++) c[ci + j] = (c[ci + j] ?? 0) + aik * (b[bk + j] ?? 0);
    }
  }
  return c;
}

/**
 * Z = [X, 1]·W for X rows×features and W (features + 1)×outputs when `bias` (the last row of W is the
 * bias), or Z = X·W when not: a layer's pre-activations, float64, fixed summation order.
 * @throws RangeError on mismatched lengths (a programmer error).
 */
export function affineRows(x: NumericArray, rows: number, features: number, w: Float64Array, outputs: number, bias: boolean): Float64Array {
  if (w.length !== (features + (bias ? 1 : 0)) * outputs) {
    throw new RangeError(`W has ${w.length} entries, expected ${features + (bias ? 1 : 0)}×${outputs}`);
  }
  const z = matmul(x, rows, features, bias ? w.subarray(0, features * outputs) : w, outputs);
  if (!bias) return z;
  const b = w.subarray(features * outputs);
  for (let i = 0; i < rows; i++) for (let j = 0; j < outputs; j++) z[i * outputs + j] = (z[i * outputs + j] ?? 0) + (b[j] ?? 0);
  return z;
}

/**
 * max_i |a_i − b_i| / max_j |b_j|: the difference relative to the scale of the reference `b` (an
 * entry-wise ratio would blow up on entries that are zero in exact arithmetic). 0 when both are all zero;
 * Infinity when the lengths differ, `b` is all zero and `a` is not, or an entry is not finite.
 */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] ?? NaN;
    const bi = b[i] ?? NaN;
    if (!Number.isFinite(ai) || !Number.isFinite(bi)) return Infinity;
    diff = Math.max(diff, Math.abs(ai - bi));
    scale = Math.max(scale, Math.abs(bi));
  }
  if (diff === 0) return 0;
  return scale === 0 ? Infinity : diff / scale;
}

/** Index of the largest entry of each row of a rows×cols score matrix (ties go to the lower index). */
export function argmaxRows(scores: NumericArray, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let j = 0; j < cols; j++) {
      const s = scores[i * cols + j] ?? -Infinity;
      if (s > bestScore) {
        bestScore = s;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Fraction of positions where `predicted` equals `labels` (0 for empty input). */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = Math.min(predicted.length, labels.length);
  if (n === 0) return 0;
  let hits = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === labels[i]) hits++;
  return hits / n;
}
