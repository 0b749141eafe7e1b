/**
 * Eigenvalues and eigenvectors of a real symmetric tridiagonal matrix, in float64.
 *
 * Algorithm: implicit QL with Wilkinson-style shifts and eigenvector accumulation, as in EISPACK `tql2`
 * (Bowdler, Martin, Reinsch & Wilkinson 1968; the JAMA port). It is the eigen-solve behind Lanczos:
 * T = tridiag(beta, alpha, beta) of order m ≤ a few hundred, so the O(m³) vector accumulation is cheap.
 *
 * @example
 * // tridiag(-1, 2, -1) of order 3: eigenvalues 2 − √2, 2, 2 + √2
 * const { values, vectors } = tridiagEig(Float64Array.of(2, 2, 2), Float64Array.of(-1, -1));
 * // values ascending; vectors[j] is the unit eigenvector for values[j]
 */

/** Output of {@link tridiagEig}: `values` ascending, `vectors[j]` the unit eigenvector of `values[j]`. */
export interface TridiagEigen {
  readonly values: Float64Array;
  readonly vectors: readonly Float64Array[];
}

/** Thrown on malformed input (length mismatch, non-finite entries) or if QL fails to converge. */
export class TridiagEigError extends RangeError {
  static readonly NAME = 'TridiagEigError';
  constructor(message: string) {
    super(message);
    this.name = TridiagEigError.NAME;
  }
}

/** float64 machine epsilon, 2^-52: the deflation threshold relative to the matrix scale. */
const EPS = 2 ** -52;
/** QL sweeps allowed per eigenvalue; tql2 typically needs 1–3, EISPACK gives up after 30. */
const MAX_SWEEPS_PER_VALUE = 60;

/**
 * Solves T v = λ v for the symmetric tridiagonal T with diagonal `alpha` (length m) and off-diagonal
 * `beta` (length m − 1). Inputs are not modified.
 * @throws TridiagEigError on malformed input or non-convergence.
 */
export function tridiagEig(alpha: Float64Array, beta: Float64Array): TridiagEigen {
  const m = alpha.length;
  if (m === 0) return { values: new Float64Array(0), vectors: [] };
  if (beta.length !== m - 1) throw new TridiagEigError(`beta must have length ${m - 1}, got ${beta.length}`);
  for (const x of [...alpha, ...beta]) {
    if (!Number.isFinite(x)) throw new TridiagEigError('tridiagonal entries must be finite');
  }
  const d = Float64Array.from(alpha);
  // e[i] couples rows i and i+1; e[m-1] = 0 terminates the deflation search.
  const e = new Float64Array(m);
  e.set(beta);
  const z = new Float64Array(m * m); // row-major; column j accumulates eigenvector j
  for (let i = 0; i < m; i++) z[i * m + i] = 1;
  ql(d, e, z, m);
  return sortPairs(d, z, m);
}

/** Implicit QL sweeps on (d, e), accumulating rotations into z (tql2). */
function ql(d: Float64Array, e: Float64Array, z: Float64Array, m: number): void {
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < m; l++) {
    tst1 = Math.max(tst1, Math.abs(at(d, l)) + Math.abs(at(e, l)));
    let end = l;
    while (end < m - 1 && Math.abs(at(e, end)) > EPS * tst1) end++;
    let sweeps = 0;
    while (end > l) {
      if (++sweeps > MAX_SWEEPS_PER_VALUE) throw new TridiagEigError(`QL did not converge for eigenvalue ${l}`);
      f += shift(d, e, l, m);
      sweep(d, e, z, l, end, m);
      if (Math.abs(at(e, l)) <= EPS * tst1) break;
    }
    d[l] = at(d, l) + f;
    e[l] = 0;
  }
}

/** Wilkinson-style shift: the eigenvalue of the leading 2×2 block nearer d[l]; returns the shift applied. */
function shift(d: Float64Array, e: Float64Array, l: number, m: number): number {
  const g = at(d, l);
  const el = at(e, l);
  const p = (at(d, l + 1) - g) / (2 * el);
  const r = Math.sign(p || 1) * Math.hypot(p, 1);
  d[l] = el / (p + r);
  d[l + 1] = el * (p + r);
  const h = g - at(d, l);
  for (let i = l + 2; i < m; i++) d[i] = at(d, i) - h;
  return h;
}

/** One implicit QL sweep from row `end` up to row `l`, with Givens rotations applied to z. */
function sweep(d: Float64Array, e: Float64Array, z: Float64Array, l: number, end: number, m: number): void {
  const dl1 = at(d, l + 1);
  const el1 = at(e, l + 1);
  let p = at(d, end);
  let c = 1;
  let c2 = 1;
  let c3 = 1;
  let s = 0;
  let s2 = 0;
  for (let i = end - 1; i >= l; i--) {
    c3 = c2;
    c2 = c;
    s2 = s;
    const ei = at(e, i);
    const g = c * ei;
    const h = c * p;
    const r = Math.hypot(p, ei);
    e[i + 1] = s * r;
    s = ei / r;
    c = p / r;
    p = c * at(d, i) - s * g;
    d[i + 1] = h + s * (c * g + s * at(d, i));
    for (let k = 0; k < m; k++) {
      const zi = at(z, k * m + i);
      const zi1 = at(z, k * m + i + 1);
      z[k * m + i + 1] = s * zi + c * zi1;
      z[k * m + i] = c * zi - s * zi1;
    }
  }
  p = (-s * s2 * c3 * el1 * at(e, l)) / dl1;
  e[l] = s * p;
  d[l] = c * p;
}

/** Sorts eigenvalues ascending and extracts the matching columns of z as vectors. */
function sortPairs(d: Float64Array, z: Float64Array, m: number): TridiagEigen {
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => at(d, a) - at(d, b));
  const values = Float64Array.from(order, (j) => at(d, j));
  const vectors = order.map((j) => Float64Array.from({ length: m }, (_, k) => at(z, k * m + j)));
  return { values, vectors };
}

/** Typed-array read for indices the loops above keep in range. */
function at(a: Float64Array, i: number): number {
  return a[i] ?? 0;
}
