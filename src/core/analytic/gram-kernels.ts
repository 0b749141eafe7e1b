/**
 * The two accumulation kernels behind `gram.ts`. Both add rows [start, end) of a batch into the packed
 * A = XᵀX and B = XᵀT, and both add the terms of every entry in row order, one at a time, onto the running
 * value; so they give bit-identical sums (adding an exact ±0 product leaves a float64 sum unchanged), and
 * any batch split gives the same result as one row at a time.
 *
 * - `addRowsSparse`: rank-1 updates over the non-zero inputs of each row; fast on sparse rows (pixels).
 * - `addRowsDense`: transposes the block and runs each entry's sum in a register, four entries at a time;
 *   several times faster on dense rows (hidden features), where the rank-1 loop is memory bound.
 *
 * @example
 * addRowsSparse(target, x, t, 0, rows); // or addRowsDense: same bits either way
 */
import type { NumericArray } from './dense.ts';
import { packedRowStart } from './packed-symmetric.ts';

/** The arrays and shape being accumulated into (owned by the accumulator). */
export interface GramTarget {
  readonly dIn: number;
  readonly dOut: number;
  /** Input columns before the bias column. */
  readonly features: number;
  readonly bias: boolean;
  readonly a: Float64Array;
  readonly b: Float64Array;
}

/** Fraction of non-zero inputs above which the dense kernel is used (measured: dense wins from ~25%). */
export const DENSE_KERNEL_DENSITY = 0.25;
/** Rows per dense block: 256 rows of 1001 float64 features is 2 MB, about one core's L2 cache. */
export const DENSE_BLOCK_ROWS = 256;

/** Rank-1 updates over each row's non-zero entries; `idx`/`val` are scratch arrays of length dIn. */
export function addRowsSparse(g: GramTarget, x: NumericArray, t: NumericArray, start: number, end: number, idx: Int32Array, val: Float64Array): void {
  const { dIn, dOut, features, a, b } = g;
  for (let r = start; r < end; r++) {
    let nnz = 0;
    for (let f = 0, xr = r * features; f < features; f++) {
      const v = x[xr + f] ?? 0;
      if (v !== 0) [idx[nnz], val[nnz++]] = [f, v];
    }
    if (g.bias) [idx[nnz], val[nnz++]] = [features, 1];
    for (let p = 0; p < nnz; p++) {
      const i = idx[p] ?? 0;
      const vi = val[p] ?? 0;
      const base = packedRowStart(i, dIn) - i;
      for (let q = p; q < nnz; q++) {
        const at = base + (idx[q] ?? 0);
        a[at] = (a[at] ?? 0) + vi * (val[q] ?? 0);
      }
      for (let c = 0, bi = i * dOut, tr = r * dOut; c < dOut; c++) {
        const tc = t[tr + c] ?? 0;
        if (tc !== 0) b[bi + c] = (b[bi + c] ?? 0) + vi * tc;
      }
    }
  }
}

/** Column-major copy of rows [start, end): out[i·R + r] = x[(start + r)·cols + i], plus a column of 1s. */
function transposeBlock(x: NumericArray, cols: number, start: number, end: number, withOnes: boolean): Float64Array {
  const rows = end - start;
  const out = new Float64Array((cols + (withOnes ? 1 : 0)) * rows);
  for (let r = 0; r < rows; r++) {
    const src = (start + r) * cols;
    for (let i = 0; i < cols; i++) out[i * rows + r] = x[src + i] ?? 0;
  }
  if (withOnes) out.fill(1, cols * rows);
  return out;
}

/** s_k += Σ_r u[r]·v_k[r] for four columns at once, each sum in row order. */
function dotRow(a: Float64Array, at: number, xt: Float64Array, oi: number, oj: number, rows: number, count: number): void {
  if (count === 4) {
    let s0 = a[at] ?? 0, s1 = a[at + 1] ?? 0, s2 = a[at + 2] ?? 0, s3 = a[at + 3] ?? 0;
    const o1 = oj + rows, o2 = o1 + rows, o3 = o2 + rows;
    for (let r = 0; r < rows; r++) {
      const v = xt[oi + r] ?? 0;
      s0 += v * (xt[oj + r] ?? 0);
      s1 += v * (xt[o1 + r] ?? 0);
      s2 += v * (xt[o2 + r] ?? 0);
      s3 += v * (xt[o3 + r] ?? 0);
    }
    [a[at], a[at + 1], a[at + 2], a[at + 3]] = [s0, s1, s2, s3];
    return;
  }
  for (let k = 0; k < count; k++) {
    let s = a[at + k] ?? 0;
    const ok = oj + k * rows;
    for (let r = 0; r < rows; r++) s += (xt[oi + r] ?? 0) * (xt[ok + r] ?? 0);
    a[at + k] = s;
  }
}

/** Dense kernel: per block of DENSE_BLOCK_ROWS rows, every entry's sum runs in a register (module comment). */
export function addRowsDense(g: GramTarget, x: NumericArray, t: NumericArray, start: number, end: number): void {
  const { dIn, dOut, features, a, b } = g;
  for (let s = start; s < end; s += DENSE_BLOCK_ROWS) {
    const e = Math.min(end, s + DENSE_BLOCK_ROWS);
    const rows = e - s;
    const xt = transposeBlock(x, features, s, e, g.bias);
    const tt = transposeBlock(t, dOut, s, e, false);
    for (let i = 0; i < dIn; i++) {
      const base = packedRowStart(i, dIn) - i;
      for (let j = i; j < dIn; j += 4) dotRow(a, base + j, xt, i * rows, j * rows, rows, Math.min(4, dIn - j));
      for (let c = 0; c < dOut; c++) {
        let sum = b[i * dOut + c] ?? 0;
        for (let r = 0, oi = i * rows, oc = c * rows; r < rows; r++) sum += (xt[oi + r] ?? 0) * (tt[oc + r] ?? 0);
        b[i * dOut + c] = sum;
      }
    }
  }
}

/** Fraction of non-zero entries among rows [start, end) of x (rows×features). */
export function density(x: NumericArray, features: number, start: number, end: number): number {
  const total = (end - start) * features;
  if (total === 0) return 0;
  let nnz = 0;
  for (let i = start * features; i < end * features; i++) if (x[i] !== 0) nnz++;
  return nnz / total;
}
