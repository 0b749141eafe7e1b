/**
 * Packed storage of a symmetric n×n matrix as its upper triangle, row by row:
 * (0,0) (0,1) … (0,n−1) (1,1) … (1,n−1) … (n−1,n−1), n(n+1)/2 entries. This is how Gram matrices are kept
 * while accumulating and how they travel on the wire (half the bytes of the full matrix).
 *
 * @example
 * const full = Float64Array.from([1, 2, 2, 5]);
 * const packed = packUpper(full, 2); // ok: [1, 2, 5]
 * unpackUpper(Float64Array.from([1, 2, 5]), 2); // Float64Array [1, 2, 2, 5]
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';

/** Number of entries of a packed n×n symmetric matrix. */
export const packedLength = (n: number): number => (n * (n + 1)) / 2;

/** Offset of row i's first stored entry (i, i) in the packed array; entry (i, j ≥ i) is at this + j − i. */
export const packedRowStart = (i: number, n: number): number => i * n - (i * (i - 1)) / 2;

/**
 * Relative asymmetry |a_ij − a_ji| / max|a| tolerated by `packUpper`: a few hundred float64 ulps, enough
 * for a matrix assembled as Xᵀ·X in two different orders, far below any real asymmetry.
 */
export const SYMMETRY_TOLERANCE = 1e-12;

/** Packs the upper triangle of a full symmetric n×n row-major matrix; rejects a wrong length or asymmetry. */
export function packUpper(full: Float64Array, n: number): Result<Float64Array, string> {
  if (!Number.isInteger(n) || n < 1 || full.length !== n * n) {
    return err(`matrix has ${full.length} entries, expected ${n}×${n}`);
  }
  let scale = 0;
  for (const v of full) {
    if (!Number.isFinite(v)) return err('matrix has a NaN or infinite entry');
    scale = Math.max(scale, Math.abs(v));
  }
  const out = new Float64Array(packedLength(n));
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const upper = full[i * n + j] ?? 0;
      const lower = full[j * n + i] ?? 0;
      if (Math.abs(upper - lower) > SYMMETRY_TOLERANCE * scale) {
        return err(`matrix is not symmetric at (${i}, ${j}): ${upper} vs ${lower}`);
      }
      out[at++] = upper;
    }
  }
  return ok(out);
}

/**
 * Expands a packed upper triangle into the full symmetric n×n row-major matrix.
 * @throws RangeError if `packed` does not hold n(n+1)/2 entries (a programmer error; validate first).
 */
export function unpackUpper(packed: Float64Array, n: number): Float64Array {
  if (packed.length !== packedLength(n)) {
    throw new RangeError(`packed matrix has ${packed.length} entries, expected ${packedLength(n)} for n = ${n}`);
  }
  const full = new Float64Array(n * n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = packed[at++] ?? 0;
      full[i * n + j] = v;
      full[j * n + i] = v;
    }
  }
  return full;
}
