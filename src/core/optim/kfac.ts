/**
 * K-FAC for dense layers (Martens & Grosse 2015, docs/math/kfac.md), float64. A layer with input a (the
 * trailing 1 for the bias included, length dIn) and pre-activation gradient g (length dOut) has its Fisher
 * block approximated by A ⊗ G with A = E[a aᵀ], G = E[g gᵀ]. Its gradient ∇ is laid out (dIn)×dOut
 * row-major — kernel rows, then the bias as the last row — and preconditioned as
 *
 *     P = (A + π√λ I)⁻¹ ∇ (G + √λ/π I)⁻¹,   π = √((tr A / dIn) / (tr G / dOut)) clamped to [PI_MIN, PI_MAX],
 *
 * factored Tikhonov damping λ with the π-correction of the paper's §6.3 (π = 1 when a trace is 0).
 *
 * Statistics travel as SUMS (Σ a aᵀ, Σ g gᵀ, count) so contributions from any split of the rows just add;
 * the expectations are the sums over the count. Storage: packed upper triangles (packed-symmetric.ts).
 *
 * Inverses: `invertFactors` stores explicit dense inverses of the damped factors (dIn² + dOut² float64),
 * not Cholesky factors: preconditioning is then two plain matrix products (the same flops as two triangular
 * solve pairs, simpler loops) and a caller may hand the matrices to a GPU matMul as they are. They are
 * formed as L⁻ᵀL⁻¹ from the Cholesky factor (cholesky.ts, with its jitter fallback) in n³/3 flops.
 *
 * @example
 * const inv = invertFactors(sums, 1e-3);           // sums from kfacFactorSums or addFactorSums
 * if (inv.ok) preconditionLayer(inv.value, grad);  // grad: Float32Array of dIn·dOut
 */
import { packedLength, packedRowStart, unpackUpper } from '../analytic/packed-symmetric.ts';
import { cholesky } from '../linalg/cholesky.ts';
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';

/** Summed Kronecker-factor statistics of one dense layer over `count` samples. */
export interface KfacFactorSums {
  /** Layer input width including the bias's constant 1 (the last entry). */
  readonly dIn: number;
  readonly dOut: number;
  readonly count: number;
  /** Packed upper triangle of Σ a aᵀ (dIn×dIn). */
  readonly aUpper: Float64Array;
  /** Packed upper triangle of Σ g gᵀ (dOut×dOut). */
  readonly gUpper: Float64Array;
}

/** Explicit inverses of the damped factors of one layer (module comment). */
export interface KfacInverse {
  readonly dIn: number;
  readonly dOut: number;
  readonly damping: number;
  /** The π used (after clamping). */
  readonly pi: number;
  /** (A + π√λ I)⁻¹, dIn×dIn row-major, symmetric. */
  readonly aInv: Float64Array;
  /** (G + √λ/π I)⁻¹, dOut×dOut row-major, symmetric. */
  readonly gInv: Float64Array;
  /** Extra diagonal the Cholesky fallback needed on the damped A and G (0 when none). */
  readonly jitterA: number;
  readonly jitterG: number;
}

/** π is a ratio of mean eigenvalues; outside [1e-4, 1e4] one factor is degenerate and π must not blow up. */
export const PI_MIN = 1e-4;
export const PI_MAX = 1e4;
/**
 * Relative slack of the Cauchy–Schwarz test |s_ij| ≤ √(s_ii s_jj) on untrusted sums. Honest sums come from
 * float32 products (kfac-stats.ts), good to ~1e-6 relative, so 1e-4 never refuses them.
 */
export const FACTOR_PSD_SLACK = 1e-4;

function checkPacked(name: string, s: unknown, n: number): Result<undefined, string> {
  if (!(s instanceof Float64Array) || s.length !== packedLength(n)) {
    return err(`${name} must be a Float64Array of ${packedLength(n)} entries (packed ${n}×${n})`);
  }
  for (let k = 0; k < s.length; k++) if (!Number.isFinite(s[k] ?? NaN)) return err(`${name} has a NaN or infinite entry at ${k}`);
  for (let i = 0; i < n; i++) {
    const d = s[packedRowStart(i, n)] ?? 0;
    if (d < 0) return err(`${name} has a negative diagonal entry at ${i}: ${d}`);
  }
  // Absolute slack too: a dead unit's diagonal is exactly 0 while float32 matmuls leave round-off off the diagonal.
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, s[packedRowStart(i, n)] ?? 0);
  const floor = FACTOR_PSD_SLACK * maxDiag;
  for (let i = 0; i < n; i++) {
    const start = packedRowStart(i, n) - i;
    const dii = s[start + i] ?? 0;
    for (let j = i + 1; j < n; j++) {
      const bound = Math.sqrt(dii * (s[packedRowStart(j, n)] ?? 0)) * (1 + FACTOR_PSD_SLACK) + floor;
      if (Math.abs(s[start + j] ?? 0) > bound) return err(`${name}(${i}, ${j}) exceeds √(s_ii·s_jj): not a sum of outer products`);
    }
  }
  return ok(undefined);
}

/**
 * Validates untrusted factor sums: dimensions, packed lengths, a positive integer count, finite entries,
 * non-negative diagonals, the Cauchy–Schwarz bound (FACTOR_PSD_SLACK), and the bias entry of Σ a aᵀ
 * (Σ 1·1) equal to the count (to 1e-6 relative).
 */
export function checkFactorSums(f: KfacFactorSums, expectedDIn: number, expectedDOut: number): Result<KfacFactorSums, string> {
  if (f.dIn !== expectedDIn || f.dOut !== expectedDOut) return err(`expected a ${expectedDIn}×${expectedDOut} layer, got ${f.dIn}×${f.dOut}`);
  if (!Number.isSafeInteger(expectedDIn) || expectedDIn < 1 || !Number.isSafeInteger(expectedDOut) || expectedDOut < 1) {
    return err(`layer dimensions must be positive integers, got ${expectedDIn}×${expectedDOut}`);
  }
  if (!Number.isSafeInteger(f.count) || f.count < 1) return err(`count must be an integer >= 1, got ${f.count}`);
  const a = checkPacked('Σaaᵀ', f.aUpper, f.dIn);
  if (!a.ok) return a;
  const g = checkPacked('Σggᵀ', f.gUpper, f.dOut);
  if (!g.ok) return g;
  const bias = f.aUpper[packedLength(f.dIn) - 1] ?? NaN;
  if (Math.abs(bias - f.count) > 1e-6 * f.count) return err(`bias entry of Σaaᵀ is ${bias}, expected the count ${f.count}`);
  return ok(f);
}

/** Sums two layers' statistics (the rows of both). Refuses mismatched shapes. */
export function addFactorSums(a: KfacFactorSums, b: KfacFactorSums): Result<KfacFactorSums, string> {
  if (a.dIn !== b.dIn || a.dOut !== b.dOut) return err(`cannot add a ${a.dIn}×${a.dOut} layer to a ${b.dIn}×${b.dOut} layer`);
  if (a.aUpper.length !== b.aUpper.length || a.gUpper.length !== b.gUpper.length) return err('factor sums have different lengths');
  return ok({
    dIn: a.dIn,
    dOut: a.dOut,
    count: a.count + b.count,
    aUpper: a.aUpper.map((v, i) => v + (b.aUpper[i] ?? 0)),
    gUpper: a.gUpper.map((v, i) => v + (b.gUpper[i] ?? 0)),
  });
}

/** S⁻¹ = L⁻ᵀL⁻¹ from the Cholesky factor L (n×n row-major lower), symmetric row-major, n³/3 flops. */
function inverseFromFactor(l: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n * n); // Y = L⁻¹, lower triangular
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    row.fill(0, 0, i + 1);
    row[i] = 1;
    // Row i of L·Y = e_i: l_ii·y_i = e_i − Σ_{k<i} l_ik·y_k, and y_k is zero beyond column k.
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k] ?? 0;
      if (lik === 0) continue;
      for (let c = 0; c <= k; c++) row[c] = (row[c] ?? 0) - lik * (y[k * n + c] ?? 0);
    }
    const d = l[i * n + i] ?? 1;
    for (let c = 0; c <= i; c++) y[i * n + c] = (row[c] ?? 0) / d;
  }
  // (YᵀY)_ij = Σ_k y_ki·y_kj over k ≥ max(i, j); accumulate the upper triangle row k by row k, then mirror.
  const inv = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const yk = k * n;
    for (let i = 0; i <= k; i++) {
      const yi = y[yk + i] ?? 0;
      if (yi === 0) continue;
      const ri = i * n;
      for (let j = i; j <= k; j++) inv[ri + j] = (inv[ri + j] ?? 0) + yi * (y[yk + j] ?? 0);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inv[i * n + j] = inv[j * n + i] ?? 0;
  return inv;
}

/** E = Σ/count from packed sums, with `shift` added to the diagonal. */
function dampedMean(packed: Float64Array, n: number, count: number, shift: number): Float64Array {
  const m = unpackUpper(packed, n);
  for (let k = 0; k < m.length; k++) m[k] = (m[k] ?? 0) / count;
  for (let i = 0; i < n; i++) m[i * n + i] = (m[i * n + i] ?? 0) + shift;
  return m;
}

function trace(packed: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += packed[packedRowStart(i, n)] ?? 0;
  return t;
}

/**
 * Inverts the damped factors of one layer (module comment). Validates `f` with checkFactorSums first;
 * `damping` λ must be finite and ≥ 0 (λ = 0 leans on the Cholesky jitter for a singular factor).
 */
export function invertFactors(f: KfacFactorSums, damping: number): Result<KfacInverse, string> {
  if (!Number.isFinite(damping) || damping < 0) return err(`damping must be finite and >= 0, got ${damping}`);
  const checked = checkFactorSums(f, f.dIn, f.dOut);
  if (!checked.ok) return checked;
  const { dIn, dOut, count } = f;
  const meanA = trace(f.aUpper, dIn) / (count * dIn);
  const meanG = trace(f.gUpper, dOut) / (count * dOut);
  const pi = meanA > 0 && meanG > 0 ? Math.min(PI_MAX, Math.max(PI_MIN, Math.sqrt(meanA / meanG))) : 1;
  const root = Math.sqrt(damping);
  const la = cholesky(dampedMean(f.aUpper, dIn, count, pi * root), dIn);
  if (!la.ok) return err(`A factor: ${la.error.message}`);
  const lg = cholesky(dampedMean(f.gUpper, dOut, count, root / pi), dOut);
  if (!lg.ok) return err(`G factor: ${lg.error.message}`);
  return ok({
    dIn, dOut, damping, pi,
    aInv: inverseFromFactor(la.value.l, dIn),
    gInv: inverseFromFactor(lg.value.l, dOut),
    jitterA: la.value.jitter,
    jitterG: lg.value.jitter,
  });
}

/**
 * P = A_d⁻¹ ∇ G_d⁻¹ for a layer gradient ∇ laid out dIn×dOut row-major (module comment), accumulated in
 * float64 and returned as float32. Cost dIn²·dOut + dIn·dOut² multiply-adds.
 * @throws RangeError when `grad` does not hold dIn·dOut values (a programmer error).
 */
export function preconditionLayer(inv: KfacInverse, grad: Float32Array): Float32Array {
  const { dIn, dOut, aInv, gInv } = inv;
  if (grad.length !== dIn * dOut) throw new RangeError(`layer gradient has ${grad.length} values, expected ${dIn}×${dOut}`);
  // X = A_d⁻¹ ∇, row i = Σ_k aInv[i][k]·∇[k], over the rows k of ∇ that are not all zero (pixels that are
  // blank in every image of the batch leave whole kernel rows at 0).
  const g = Float64Array.from(grad);
  const live: number[] = [];
  for (let k = 0; k < dIn; k++) if (g.subarray(k * dOut, (k + 1) * dOut).some((v) => v !== 0)) live.push(k);
  const x = new Float64Array(dIn * dOut);
  for (let i = 0; i < dIn; i++) {
    const xi = i * dOut;
    const ai = i * dIn;
    for (const k of live) {
      const a = aInv[ai + k] ?? 0;
      const gk = k * dOut;
      for (let c = 0; c < dOut; c++) x[xi + c] = (x[xi + c] ?? 0) + a * (g[gk + c] ?? 0);
    }
  }
  // P = X·G_d⁻¹, row i = Σ_k x[i][k]·gInv[k].
  const out = new Float32Array(dIn * dOut);
  const acc = new Float64Array(dOut);
  for (let i = 0; i < dIn; i++) {
    acc.fill(0);
    for (let k = 0; k < dOut; k++) {
      const xik = x[i * dOut + k] ?? 0;
      if (xik === 0) continue;
      for (let c = 0; c < dOut; c++) acc[c] = (acc[c] ?? 0) + xik * (gInv[k * dOut + c] ?? 0);
    }
    out.set(acc, i * dOut);
  }
  return out;
}
