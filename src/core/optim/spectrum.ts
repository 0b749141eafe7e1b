/**
 * Extreme-spectrum estimation (ESE): the k largest and l smallest eigenpairs of a symmetric operator from
 * Lanczos (ALGORITHMS.md §1.2 steps 4–5; reference `extreme_spectrum_estimation.py`).
 *
 * eigh(T) gives Ritz values θ_j (ascending) and vectors s_j; a Ritz vector is v_j = Σ_i s_j[i] q_i = s_jᵀQ,
 * renormalised. Output stacking follows the reference: [bottom-l ascending ; top-k ascending], so index l
 * is the k-th largest eigenvalue and the last index the largest.
 *
 * @example
 * const r = await extremeSpectrum(hvp, { n, seed: 1, k: 5, l: 0 });
 * if (r.ok) fosi.update(g, state, params, r.value); // eigvals/eigvecs feed FOSI
 */
import { tridiagEig } from '../linalg/tridiag-eig.ts';
import { axpy, dot } from '../linalg/vec.ts';
import { err, ok, type Result } from '../result.ts';
import { lanczos, lanczosOrder, type Hvp, type LanczosFailure, type LanczosResult } from './lanczos.ts';

/** Eigen-information for FOSI: rows of `eigvecs` are orthonormal, stacked [bottom-l ; top-k]. */
export interface EigenInfo {
  /** λ, length k + l, stacked as `eigvecs`. */
  readonly eigvals: Float64Array;
  /** V as rows, each of length n. */
  readonly eigvecs: readonly Float32Array[];
  /** Number of largest pairs (the last k entries). */
  readonly k: number;
  /** Number of smallest pairs (the first l entries). */
  readonly l: number;
}

/** Ritz values and their coefficient vectors s_j (length m′) in the Lanczos basis, stacked as EigenInfo. */
export interface RitzSelection {
  readonly values: Float64Array;
  readonly coeffs: readonly Float64Array[];
  readonly k: number;
  readonly l: number;
}

/** Inputs of {@link extremeSpectrum}. `order` defaults to the reference's 4(k + l). */
export interface SpectrumInit {
  readonly n: number;
  readonly seed: number;
  readonly k: number;
  readonly l?: number;
  readonly order?: number;
  readonly breakdownRelTol?: number;
  readonly signal?: AbortSignal;
}

/** {@link EigenInfo} plus what the Lanczos run looked like. */
export interface SpectrumResult extends EigenInfo {
  /** m′: Lanczos iterations actually run. */
  readonly steps: number;
  readonly breakdown: boolean;
}

/**
 * Picks the top-k and bottom-l Ritz pairs of T = tridiag(betas, alphas, betas). When T is smaller than
 * k + l (an early breakdown), k is served first: k′ = min(k, m′), l′ = min(l, m′ − k′).
 */
export function selectRitz(alphas: Float64Array, betas: Float64Array, k: number, l = 0): RitzSelection {
  const { values, vectors } = tridiagEig(alphas, betas);
  const m = values.length;
  const kk = Math.min(k, m);
  const ll = Math.min(l, m - kk);
  const picks = [...range(0, ll), ...range(m - kk, m)];
  return {
    values: Float64Array.from(picks, (j) => values[j] ?? 0),
    coeffs: picks.map((j) => vectors[j] ?? new Float64Array(m)),
    k: kk,
    l: ll,
  };
}

/** Forms unit Ritz vectors v_j = normalise(s_jᵀ Q) from a Lanczos run; see {@link selectRitz}. */
export function ritzPairs(run: LanczosResult, k: number, l = 0): EigenInfo {
  const sel = selectRitz(run.alphas, run.betas, k, l);
  const n = run.basis[0]?.length ?? 0;
  const eigvecs = sel.coeffs.map((s) => {
    const v = new Float64Array(n);
    run.basis.forEach((q, i) => axpy(s[i] ?? 0, q, v));
    const inv = 1 / Math.sqrt(dot(v, v));
    return Float32Array.from(v, (x) => x * inv);
  });
  return { eigvals: sel.values, eigvecs, k: sel.k, l: sel.l };
}

/** ESE in one call: Lanczos on `hvp`, then {@link ritzPairs}. Operator rejections propagate. */
export async function extremeSpectrum(hvp: Hvp, init: SpectrumInit): Promise<Result<SpectrumResult, LanczosFailure>> {
  const l = init.l ?? 0;
  const run = await lanczos(hvp, {
    n: init.n,
    seed: init.seed,
    order: init.order ?? lanczosOrder(init.k, l),
    breakdownRelTol: init.breakdownRelTol,
    signal: init.signal,
  });
  if (!run.ok) return run;
  const pairs = ritzPairs(run.value, init.k, l);
  return ok({ ...pairs, steps: run.value.alphas.length, breakdown: run.value.breakdown });
}

/** Default orthonormality tolerance for {@link checkEigenInfo}: float32 Ritz vectors reach ~1e-6. */
export const EIGVEC_ORTHO_TOL = 1e-3;

/**
 * Validates eigen-information that arrived from elsewhere (a curvature job): counts consistent, n-length
 * finite rows, finite eigenvalues, rows orthonormal to `tol` (max |VVᵀ − I|). Never throws.
 */
export function checkEigenInfo(info: EigenInfo, n: number, tol = EIGVEC_ORTHO_TOL): Result<EigenInfo, string> {
  const r = info.eigvecs.length;
  if (!Number.isInteger(info.k) || !Number.isInteger(info.l) || info.k < 0 || info.l < 0) return err('bad k or l');
  if (info.k + info.l !== r || info.eigvals.length !== r) return err(`expected ${info.k + info.l} pairs`);
  if (!info.eigvals.every(Number.isFinite)) return err('non-finite eigenvalue');
  for (const v of info.eigvecs) {
    if (v.length !== n) return err(`eigenvector length ${v.length}, expected ${n}`);
    if (!v.every(Number.isFinite)) return err('non-finite eigenvector entry');
  }
  for (let i = 0; i < r; i++) {
    for (let j = 0; j <= i; j++) {
      const g = dot(info.eigvecs[i] ?? new Float32Array(n), info.eigvecs[j] ?? new Float32Array(n));
      if (Math.abs(g - (i === j ? 1 : 0)) > tol) return err(`eigenvectors ${i}, ${j} not orthonormal`);
    }
  }
  return ok(info);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
