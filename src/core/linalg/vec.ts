/**
 * Minimal dense vector kernels over typed arrays, shared by Lanczos, FOSI and ADMM.
 *
 * Every reduction accumulates in a JS number (float64), whatever the storage type, so a Float32Array
 * dot product of length 1e5 loses no more than float64 rounding. In-place kernels write back into the
 * given array, which rounds to its storage type (float32 for `Float32Array`).
 *
 * @example
 * const x = new Float32Array([3, 4]);
 * norm(x);                 // 5
 * axpy(2, x, x);           // x = [9, 12]
 */

/** A dense vector: float32 for n-dimensional parameter-space vectors, float64 for small scalar problems. */
export type Vec = Float32Array | Float64Array;

/** Thrown when two vectors that must match in length do not (a programmer error). */
export class VecLengthError extends RangeError {
  static readonly NAME = 'VecLengthError';
  constructor(a: number, b: number) {
    super(`vector lengths differ: ${a} vs ${b}`);
    this.name = VecLengthError.NAME;
  }
}

function sameLength(a: Vec, b: Vec): void {
  if (a.length !== b.length) throw new VecLengthError(a.length, b.length);
}

/** ⟨a, b⟩ accumulated in float64. @throws VecLengthError on a length mismatch. */
export function dot(a: Vec, b: Vec): number {
  sameLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

/** ‖a‖₂, accumulated in float64. */
export function norm(a: Vec): number {
  return Math.sqrt(dot(a, a));
}

/** y ← y + alpha·x, in place; returns y. @throws VecLengthError on a length mismatch. */
export function axpy<T extends Vec>(alpha: number, x: Vec, y: T): T {
  sameLength(x, y);
  for (let i = 0; i < y.length; i++) y[i] = (y[i] ?? 0) + alpha * (x[i] ?? 0);
  return y;
}

/** x ← alpha·x, in place; returns x. */
export function scale<T extends Vec>(alpha: number, x: T): T {
  for (let i = 0; i < x.length; i++) x[i] = alpha * (x[i] ?? 0);
  return x;
}
