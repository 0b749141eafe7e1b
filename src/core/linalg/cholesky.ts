/**
 * Float64 Cholesky factorisation A = L·Lᵀ of a symmetric positive-definite matrix and the solve
 * A·X = B for many right-hand sides, with a jitter fallback for matrices that are only semi-definite
 * in floating point (Gram matrices of rank-deficient data, the usual case for layer-wise least squares).
 *
 * Storage: dense row-major `Float64Array`s. A is n×n; only its lower triangle (i ≥ j) is read, so a
 * caller may pass a matrix whose upper triangle is stale. B and X are n×m.
 *
 * Jitter: the plain factorisation is tried first. If a pivot is not positive (or not finite), the factor is
 * retried on A + δ·I with δ = epsilon·(tr A / n), then δ·10, δ·100, … for at most `maxTries` retries. The
 * result reports the δ that succeeded (0 when none was needed), so a caller can log or surface it.
 *
 * Cost: n³/3 multiply-adds for the factor, n²·m for the solve. n = 785 takes well under a second in V8.
 *
 * @example
 * const a = Float64Array.from([4, 2, 2, 3]); // [[4, 2], [2, 3]]
 * const r = solveSpd(a, 2, Float64Array.from([2, 1]), 1);
 * if (r.ok) r.value.x; // ≈ [0.5, 0]
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';

/** Why a factorisation or solve was refused. */
export type CholeskyFailureKind = 'bad-shape' | 'non-finite' | 'not-positive-definite';

/** A refused factorisation or solve: a kind to branch on and a message for people. */
export interface CholeskyFailure {
  readonly kind: CholeskyFailureKind;
  readonly message: string;
}

/** Options of `cholesky` / `solveSpd`. */
export interface CholeskyInit {
  /** First jitter, relative to the mean diagonal tr(A)/n. Default DEFAULT_JITTER_EPSILON. */
  readonly epsilon?: number;
  /** Retries with jitter (each ×10 the last) after the plain attempt fails. Default DEFAULT_JITTER_TRIES. */
  readonly maxTries?: number;
}

/** L with A + jitter·I = L·Lᵀ. `l` is n×n row-major, lower triangle filled, upper triangle zero. */
export interface CholeskyFactor {
  readonly n: number;
  readonly l: Float64Array;
  /** The absolute δ added to the diagonal (0 when A factorised as given). */
  readonly jitter: number;
}

/** Solution of A·X = B: X is n×m row-major. */
export interface SpdSolution {
  readonly x: Float64Array;
  readonly jitter: number;
}

/**
 * 1e-12 of the mean diagonal: about 1e4 float64 ulps, small enough to leave a well-conditioned solve
 * unchanged to ~1e-12 and large enough to lift a zero eigenvalue above round-off.
 */
export const DEFAULT_JITTER_EPSILON = 1e-12;
/** 8 retries reach 1e-12·10⁷ = 1e-5 of the mean diagonal; a matrix that needs more is not a Gram matrix. */
export const DEFAULT_JITTER_TRIES = 8;
/** Growth of the jitter between tries (the usual decade ladder). */
const JITTER_GROWTH = 10;

const fail = (kind: CholeskyFailureKind, message: string): Result<never, CholeskyFailure> => err({ kind, message });

function allFinite(a: Float64Array): boolean {
  for (const v of a) if (!Number.isFinite(v)) return false;
  return true;
}

/** In-place-free factor of A + jitter·I; returns undefined when a pivot is not positive. */
function factorOnce(a: Float64Array, n: number, jitter: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j] ?? 0;
      for (let k = 0; k < j; k++) s -= (l[ri + k] ?? 0) * (l[rj + k] ?? 0);
      if (i === j) {
        s += jitter;
        // `!(s > 0)` also catches NaN from overflow.
        if (!(s > 0) || !Number.isFinite(s)) return undefined;
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / (l[rj + j] ?? 1);
      }
    }
  }
  return l;
}

function checkSquare(a: Float64Array, n: number): Result<undefined, CholeskyFailure> {
  if (!Number.isInteger(n) || n < 1) return fail('bad-shape', `n must be a positive integer, got ${n}`);
  if (a.length !== n * n) return fail('bad-shape', `matrix has ${a.length} entries, expected ${n}×${n} = ${n * n}`);
  if (!allFinite(a)) return fail('non-finite', 'matrix has a NaN or infinite entry');
  return ok(undefined);
}

/**
 * Factors A (n×n, row-major, lower triangle read) as L·Lᵀ, adding jitter if needed (module comment).
 * Never throws: a wrong length, a non-finite entry or a matrix that stays indefinite after every retry
 * is an error value.
 */
export function cholesky(a: Float64Array, n: number, init: CholeskyInit = {}): Result<CholeskyFactor, CholeskyFailure> {
  const shape = checkSquare(a, n);
  if (!shape.ok) return shape;
  const epsilon = init.epsilon ?? DEFAULT_JITTER_EPSILON;
  const maxTries = init.maxTries ?? DEFAULT_JITTER_TRIES;
  const plain = factorOnce(a, n, 0);
  if (plain !== undefined) return ok({ n, l: plain, jitter: 0 });
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i] ?? 0;
  // A zero or negative trace gives no scale: fall back to absolute jitter (scale 1).
  const scale = trace > 0 ? trace / n : 1;
  let jitter = epsilon * scale;
  for (let t = 0; t < maxTries; t++, jitter *= JITTER_GROWTH) {
    const l = factorOnce(a, n, jitter);
    if (l !== undefined) return ok({ n, l, jitter });
  }
  return fail('not-positive-definite', `not positive definite even with jitter ${jitter / JITTER_GROWTH} on the diagonal`);
}

/**
 * Solves L·Lᵀ·X = B for X (n×m, row-major) by forward then backward substitution.
 * @throws RangeError if `b` is not n×m (a programmer error: the factor came from this module).
 */
export function solveWithFactor(factor: CholeskyFactor, b: Float64Array, m: number): Float64Array {
  const { n, l } = factor;
  if (b.length !== n * m) throw new RangeError(`right-hand side has ${b.length} entries, expected ${n}×${m}`);
  const x = Float64Array.from(b);
  // Forward: L·Y = B, row by row; each row of Y is a linear combination of earlier rows.
  for (let i = 0; i < n; i++) {
    const xi = i * m;
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k] ?? 0;
      if (lik === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] ?? 0) - lik * (x[xk + c] ?? 0);
    }
    const d = l[i * n + i] ?? 1;
    for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] ?? 0) / d;
  }
  // Backward: Lᵀ·X = Y, from the last row up; (Lᵀ)[i][k] = L[k][i].
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * m;
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i] ?? 0;
      if (lki === 0) continue;
      const xk = k * m;
      for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] ?? 0) - lki * (x[xk + c] ?? 0);
    }
    const d = l[i * n + i] ?? 1;
    for (let c = 0; c < m; c++) x[xi + c] = (x[xi + c] ?? 0) / d;
  }
  return x;
}

/**
 * Solves A·X = B for a symmetric positive-(semi)definite A (n×n) and B (n×m), both row-major, with the
 * jitter fallback of `cholesky`. Rejects a wrong shape or a non-finite entry in A or B as an error value.
 */
export function solveSpd(
  a: Float64Array,
  n: number,
  b: Float64Array,
  m: number,
  init: CholeskyInit = {},
): Result<SpdSolution, CholeskyFailure> {
  if (!Number.isInteger(m) || m < 1) return fail('bad-shape', `m must be a positive integer, got ${m}`);
  if (b.length !== n * m) return fail('bad-shape', `right-hand side has ${b.length} entries, expected ${n}×${m}`);
  if (!allFinite(b)) return fail('non-finite', 'right-hand side has a NaN or infinite entry');
  const factor = cholesky(a, n, init);
  if (!factor.ok) return factor;
  return ok({ x: solveWithFactor(factor.value, b, m), jitter: factor.value.jitter });
}
