/**
 * AFL's pairwise "absolute aggregation" (AA) law (ZHUANGHP/Analytic-federated-learning `afl.py`), kept as
 * a reference to test against: clients upload W_k = C_k⁻¹B_k and C_k = A_k + γI, and the server merges
 *
 *   W₁:₂ = (I − R₁C₂ + R₁C₂(C₁+C₂)⁻¹C₂)·W₁ + (I − R₂C₁ + R₂C₁(C₁+C₂)⁻¹C₁)·W₂,   C₁:₂ = C₁ + C₂,
 *
 * with R_k = C_k⁻¹, sequentially over clients. This equals (Σ_k C_k)⁻¹ Σ_k C_k W_k = (ΣA + KγI)⁻¹ΣB,
 * which is what `ridge.ts` computes directly from the sums (cheaper: one factorisation, no inverses).
 * O(n³) per merge with explicit inverses: for tests and small n only.
 *
 * @example
 * const merged = aaMerge({ w: w1, c: c1 }, { w: w2, c: c2 }, n, m); // ok({w, c}) or err(message)
 */
import { cholesky, solveWithFactor } from '../linalg/cholesky.ts';
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { matmul } from './dense.ts';

/** One client's (or a merged group's) upload: W (n×m) and C = A + γI (n×n, full, row-major). */
export interface AaModel {
  readonly w: Float64Array;
  readonly c: Float64Array;
}

function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

function inverse(c: Float64Array, n: number): Result<Float64Array, string> {
  const f = cholesky(c, n, { maxTries: 0 });
  return f.ok ? ok(solveWithFactor(f.value, identity(n), n)) : err(f.error.message);
}

/** I − R·Cother + R·Cother·S·Cother, the left factor of one side of the AA law. */
function aaFactor(r: Float64Array, cOther: Float64Array, s: Float64Array, n: number): Float64Array {
  const rc = matmul(r, n, n, cOther, n);
  const rcsc = matmul(matmul(rc, n, n, s, n), n, n, cOther, n);
  const out = identity(n);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) - (rc[i] ?? 0) + (rcsc[i] ?? 0);
  return out;
}

/** Merges two uploads by the AA law; an error if a C (or C₁ + C₂) is not positive definite. */
export function aaMerge(one: AaModel, two: AaModel, n: number, m: number): Result<AaModel, string> {
  const c = new Float64Array(n * n);
  for (let i = 0; i < c.length; i++) c[i] = (one.c[i] ?? 0) + (two.c[i] ?? 0);
  const r1 = inverse(one.c, n);
  const r2 = inverse(two.c, n);
  const s = inverse(c, n);
  if (!r1.ok) return r1;
  if (!r2.ok) return r2;
  if (!s.ok) return s;
  const left = matmul(aaFactor(r1.value, two.c, s.value, n), n, n, one.w, m);
  const right = matmul(aaFactor(r2.value, one.c, s.value, n), n, n, two.w, m);
  const w = new Float64Array(n * m);
  for (let i = 0; i < w.length; i++) w[i] = (left[i] ?? 0) + (right[i] ?? 0);
  return ok({ w, c });
}
