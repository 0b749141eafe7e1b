/**
 * Closed-form ridge least squares from summed statistics:
 *
 *   W = (A + γI)⁻¹ B, or with a prior W₀ and weight λ:  W = (A + (γ + λ)I)⁻¹ (B + λW₀),
 *
 * the minimiser of ‖XW − T‖²_F + γ‖W‖²_F (+ λ‖W − W₀‖²_F), where A = ΣXᵀX and B = ΣXᵀT may be summed
 * over any number of clients: the solution depends only on the sums, so it equals the centralised ridge
 * solution on the pooled rows for any partition (the AFL / FedACnnL invariance). Solved in float64 by
 * Cholesky with the jitter fallback of `linalg/cholesky.ts`.
 *
 * The bias row (when `stats.bias`) is regularised like the others, as in the spec's (ΣA + γI)W = ΣB.
 * AFL's optional "clean regularisation" W* = (ΣA)⁻¹ΣB is `gamma: 0` here (the jitter then keeps a
 * singular ΣA solvable).
 *
 * @example
 * const r = solveRidge(sumStats, { gamma: scaledGamma(sumStats, 1e-3) });
 * if (r.ok) r.value.w; // dIn×dOut, row-major
 */
import { solveSpd } from '../linalg/cholesky.ts';
import type { CholeskyFailureKind, CholeskyInit } from '../linalg/cholesky.ts';
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import type { GramStats } from './gram-stats.ts';
import { packedRowStart, unpackUpper } from './packed-symmetric.ts';

/** A prior the solution is pulled towards: λ‖W − w‖²_F (pFedACnnL's group model). */
export interface RidgePrior {
  /** dIn×dOut row-major. */
  readonly w: Float64Array;
  /** λ ≥ 0, finite. */
  readonly lambda: number;
}

/** Options of `solveRidge`. */
export interface RidgeInit {
  /** γ ≥ 0, absolute (see `scaledGamma` for the data-relative choice). */
  readonly gamma: number;
  readonly prior?: RidgePrior;
  readonly jitter?: CholeskyInit;
}

/** The solved layer. */
export interface RidgeSolution {
  /** dIn×dOut row-major. */
  readonly w: Float64Array;
  /** Diagonal jitter the factorisation needed on top of γ + λ (0 normally). */
  readonly jitter: number;
}

/** Why a solve was refused. */
export interface RidgeError {
  readonly kind: 'bad-argument' | CholeskyFailureKind;
  readonly message: string;
}

/** Trace of the packed A divided by dIn: the mean diagonal, the natural scale for γ and λ. */
export function meanDiagonal(stats: GramStats): number {
  let trace = 0;
  for (let i = 0; i < stats.dIn; i++) trace += stats.aUpper[packedRowStart(i, stats.dIn)] ?? 0;
  return trace / stats.dIn;
}

/** γ = γ₀·tr(A)/dIn, the spec's data-scaled ridge (γ₀ in [1e-4, 1e-1]); depends only on the sum. */
export const scaledGamma = (stats: GramStats, gamma0: number): number => gamma0 * meanDiagonal(stats);

const badArgument = (message: string): Result<never, RidgeError> => err({ kind: 'bad-argument', message });

function rightHandSide(stats: GramStats, prior: RidgePrior | undefined): Result<Float64Array, RidgeError> {
  if (prior === undefined) return ok(stats.b);
  if (!Number.isFinite(prior.lambda) || prior.lambda < 0) return badArgument(`lambda must be finite and >= 0, got ${prior.lambda}`);
  if (prior.w.length !== stats.b.length) return badArgument(`prior has ${prior.w.length} entries, expected ${stats.dIn}×${stats.dOut}`);
  const rhs = Float64Array.from(stats.b);
  for (let i = 0; i < rhs.length; i++) rhs[i] = (rhs[i] ?? 0) + prior.lambda * (prior.w[i] ?? 0);
  return ok(rhs);
}

/** Solves (A + (γ + λ)I) W = B + λW₀ (module comment); never throws on bad numbers. */
export function solveRidge(stats: GramStats, init: RidgeInit): Result<RidgeSolution, RidgeError> {
  const { gamma } = init;
  if (!Number.isFinite(gamma) || gamma < 0) return badArgument(`gamma must be finite and >= 0, got ${gamma}`);
  if (stats.aUpper.length !== (stats.dIn * (stats.dIn + 1)) / 2 || stats.b.length !== stats.dIn * stats.dOut) {
    return badArgument(`statistics do not match dIn ${stats.dIn}, dOut ${stats.dOut}`);
  }
  const rhs = rightHandSide(stats, init.prior);
  if (!rhs.ok) return rhs;
  const n = stats.dIn;
  const a = unpackUpper(stats.aUpper, n);
  const shift = gamma + (init.prior?.lambda ?? 0);
  for (let i = 0; i < n; i++) a[i * n + i] = (a[i * n + i] ?? 0) + shift;
  const solved = solveSpd(a, n, rhs.value, stats.dOut, init.jitter);
  if (!solved.ok) return err(solved.error);
  return ok({ w: solved.value.x, jitter: solved.value.jitter });
}
