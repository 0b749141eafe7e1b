/**
 * Matrix-free Lanczos with full reorthogonalisation: the Krylov engine of FOSI's extreme-spectrum
 * estimation (ALGORITHMS.md §1.2; reference `hsivan/fosi` `lanczos_algorithm.py`).
 *
 * For i = 0 … m−1: w = H q_i; α_i = ⟨w, q_i⟩; if i+1 < m, classical Gram–Schmidt against every stored row,
 * twice (w ← w − Qᵀ(Q w), as the reference does), β_i = ‖w‖, q_{i+1} = w / β_i. The three-term recurrence
 * is implicit: the reorthogonalisation removes the q_i and q_{i−1} components.
 *
 * Precision: the basis rows are stored as Float32Array (they are what the HVP consumes); the working vector
 * and every scalar (α, β, projections) are float64. Breakdown guard (ours, the reference has none): stop
 * early when β_i ≤ `breakdownRelTol` · max(|α_j|, β_j seen so far); the default 1e-6 sits above the
 * float32 noise floor (~1e-7) of a float32 basis and HVP.
 *
 * @example
 * const hvp = (v: Float32Array) => Promise.resolve(v.map((x, i) => (i + 1) * x)); // diag(1..n)
 * const r = await lanczos(hvp, { n: 100, order: 20, seed: 7 });
 * if (r.ok) tridiagEig(r.value.alphas, r.value.betas); // Ritz values
 */
import { axpy, dot } from '../linalg/vec.ts';
import { err, ok, type Result } from '../result.ts';
import { createRng } from '../rng.ts';

/** Options an HVP receives: an abort signal that a remote implementation should honour. */
export interface HvpOptions {
  readonly signal?: AbortSignal;
}

/** A Hessian-vector product H·v (or any symmetric linear operator), local or remote. */
export type Hvp = (v: Float32Array, opts?: HvpOptions) => Promise<Float32Array>;

/** Inputs of {@link lanczos}. `order` is m, the number of iterations (see {@link lanczosOrder}). */
export interface LanczosInit {
  /** Dimension n of the operator. */
  readonly n: number;
  /** m: the number of Lanczos iterations, capped at n. */
  readonly order: number;
  /** Seed of the N(0, I) start vector ({@link startVector}). */
  readonly seed: number;
  /** Relative breakdown threshold; default {@link BREAKDOWN_REL_TOL}. */
  readonly breakdownRelTol?: number;
  readonly signal?: AbortSignal;
}

/** Lanczos output: m′ ≤ m basis rows, T = tridiag(betas, alphas, betas) of order m′. */
export interface LanczosResult {
  /** Orthonormal rows q_0 … q_{m′−1}, each of length n. */
  readonly basis: Float32Array[];
  /** Diagonal of T, length m′. */
  readonly alphas: Float64Array;
  /** Off-diagonal of T, length m′ − 1. */
  readonly betas: Float64Array;
  /** True when the breakdown guard stopped the run before m iterations (m′ < m). */
  readonly breakdown: boolean;
}

/** Why a run produced no result: aborted by its signal, or the operator (or a shard) returned unusable output. */
export type LanczosFailure =
  | { readonly kind: 'aborted'; readonly step: number }
  | { readonly kind: 'bad-hvp'; readonly step: number; readonly reason: string }
  /** Sharded runs only: a shard owner's partial sums were not finite (or a norm not positive). */
  | { readonly kind: 'bad-partial'; readonly step: number; readonly reason: string };

/** Thrown for programmer errors: n or m not a positive integer. */
export class LanczosArgumentError extends RangeError {
  static readonly NAME = 'LanczosArgumentError';
  constructor(message: string) {
    super(message);
    this.name = LanczosArgumentError.NAME;
  }
}

/** Default relative breakdown threshold (see the module comment). */
export const BREAKDOWN_REL_TOL = 1e-6;
/** The reference's Lanczos order per wanted eigenpair: m = 4(k + l). */
export const ORDER_PER_EIGENPAIR = 4;

/** The reference's default Lanczos order m = 4(k + l). */
export function lanczosOrder(k: number, l = 0): number {
  return ORDER_PER_EIGENPAIR * (k + l);
}

/**
 * The seeded start direction: n draws of N(0, 1) from `createRng(seed)`, in index order, normalised to
 * unit length in float64. Unnormalised when `normalise` is false (sharded owners normalise globally).
 */
export function startVector(n: number, seed: number, normalise = true): Float64Array {
  const rng = createRng(seed);
  const q = Float64Array.from({ length: n }, () => rng.normal());
  if (!normalise) return q;
  let s = 0;
  for (const x of q) s += x * x;
  const inv = 1 / Math.sqrt(s);
  for (let i = 0; i < n; i++) q[i] = (q[i] ?? 0) * inv;
  return q;
}

/** Checks an HVP output: right length and all finite. Returns a reason, or null when it is usable. */
export function hvpOutputProblem(w: Float32Array, n: number): string | null {
  if (w.length !== n) return `length ${w.length}, expected ${n}`;
  for (const x of w) if (!Number.isFinite(x)) return 'non-finite entry';
  return null;
}

/** Runs m = `order` Lanczos iterations on `hvp`; see the module comment. Operator rejections propagate. */
export async function lanczos(hvp: Hvp, init: LanczosInit): Promise<Result<LanczosResult, LanczosFailure>> {
  const { n, signal } = init;
  if (!Number.isInteger(n) || n < 1) throw new LanczosArgumentError(`n must be a positive integer, got ${n}`);
  if (!Number.isInteger(init.order) || init.order < 1) {
    throw new LanczosArgumentError(`order must be a positive integer, got ${init.order}`);
  }
  const m = Math.min(init.order, n);
  const relTol = init.breakdownRelTol ?? BREAKDOWN_REL_TOL;
  const basis: Float32Array[] = [Float32Array.from(startVector(n, init.seed))];
  const alphas: number[] = [];
  const betas: number[] = [];
  let scale = 0; // running max of |α| and β: a lower bound on ‖H‖
  for (let i = 0; i < m; i++) {
    if (signal?.aborted === true) return err({ kind: 'aborted', step: i });
    const q = basis[i] ?? new Float32Array(n);
    const out = await hvp(q.slice(), { signal }); // a copy: the operator cannot corrupt the basis
    const problem = hvpOutputProblem(out, n);
    if (problem !== null) return err({ kind: 'bad-hvp', step: i, reason: problem });
    const w = Float64Array.from(out);
    const alpha = dot(w, q);
    alphas.push(alpha);
    scale = Math.max(scale, Math.abs(alpha));
    if (i + 1 === m) break;
    reorthogonalise(w, basis);
    reorthogonalise(w, basis);
    const beta = Math.sqrt(dot(w, w));
    if (beta <= relTol * scale) {
      return ok({ basis, alphas: Float64Array.from(alphas), betas: Float64Array.from(betas), breakdown: true });
    }
    scale = Math.max(scale, beta);
    betas.push(beta);
    const inv = 1 / beta; // multiply by the inverse, as the sharded driver does, so both round alike
    basis.push(Float32Array.from(w, (x) => x * inv));
  }
  return ok({ basis, alphas: Float64Array.from(alphas), betas: Float64Array.from(betas), breakdown: false });
}

/** One classical Gram–Schmidt pass: w ← w − Qᵀ(Q w), projections computed before any subtraction. */
function reorthogonalise(w: Float64Array, basis: readonly Float32Array[]): void {
  const c = basis.map((q) => dot(w, q));
  basis.forEach((q, j) => axpy(-(c[j] ?? 0), q, w));
}
