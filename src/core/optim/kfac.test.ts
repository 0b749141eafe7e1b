import { describe, expect, it } from 'vitest';
import { packUpper, packedLength, unpackUpper } from '../analytic/packed-symmetric.ts';
import { createRng } from '../rng.ts';
import type { KfacFactorSums } from './kfac.ts';
import { addFactorSums, checkFactorSums, invertFactors, preconditionLayer, PI_MAX } from './kfac.ts';

/** Σ v vᵀ over rows (rows×n), packed. */
function outerSum(rows: readonly number[][], n: number): Float64Array {
  const full = new Float64Array(n * n);
  for (const r of rows) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) full[i * n + j] = (full[i * n + j] ?? 0) + (r[i] ?? 0) * (r[j] ?? 0);
  const p = packUpper(full, n);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

/** Random samples: a with a trailing 1 (dIn incl. bias), g of dOut. */
function samples(count: number, dIn: number, dOut: number, seed: number): { as: number[][]; gs: number[][] } {
  const rng = createRng(seed);
  const as = Array.from({ length: count }, () => [...Array.from({ length: dIn - 1 }, () => rng.normal()), 1]);
  const gs = Array.from({ length: count }, () => Array.from({ length: dOut }, () => 0.1 * rng.normal()));
  return { as, gs };
}

function sums(count: number, dIn: number, dOut: number, seed: number): KfacFactorSums {
  const { as, gs } = samples(count, dIn, dOut, seed);
  return { dIn, dOut, count, aUpper: outerSum(as, dIn), gUpper: outerSum(gs, dOut) };
}

/** Dense Gaussian elimination with partial pivoting (the test's independent solver). */
function gaussSolve(m: Float64Array, n: number, b: Float64Array): Float64Array {
  const a = Float64Array.from(m);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c] ?? 0) > Math.abs(a[p * n + c] ?? 0)) p = r;
    for (let k = 0; k < n; k++) { const t = a[c * n + k] ?? 0; a[c * n + k] = a[p * n + k] ?? 0; a[p * n + k] = t; }
    const t = x[c] ?? 0; x[c] = x[p] ?? 0; x[p] = t;
    for (let r = c + 1; r < n; r++) {
      const f = (a[r * n + c] ?? 0) / (a[c * n + c] ?? 1);
      for (let k = c; k < n; k++) a[r * n + k] = (a[r * n + k] ?? 0) - f * (a[c * n + k] ?? 0);
      x[r] = (x[r] ?? 0) - f * (x[c] ?? 0);
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r] ?? 0;
    for (let k = r + 1; k < n; k++) s -= (a[r * n + k] ?? 0) * (x[k] ?? 0);
    x[r] = s / (a[r * n + r] ?? 1);
  }
  return x;
}

const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs((a[i] ?? 0) - (b[i] ?? 0))); s = Math.max(s, Math.abs(b[i] ?? 0)); }
  return d / s;
};

describe('preconditionLayer', () => {
  it('solves the Kronecker system ((G+δ_G I) ⊗ (A+δ_A I)) vec(P) = vec(∇) built explicitly (dIn 3, dOut 2)', () => {
    const [dIn, dOut, count, damping] = [3, 2, 7, 0.05];
    const f = sums(count, dIn, dOut, 1);
    const inv = invertFactors(f, damping);
    if (!inv.ok) throw new Error(inv.error);
    const a = unpackUpper(f.aUpper, dIn).map((v) => v / count);
    const g = unpackUpper(f.gUpper, dOut).map((v) => v / count);
    const pi = Math.sqrt(((a[0] ?? 0) + (a[4] ?? 0) + (a[8] ?? 0)) / dIn / (((g[0] ?? 0) + (g[3] ?? 0)) / dOut));
    expect(inv.value.pi).toBeCloseTo(pi, 12);
    for (let i = 0; i < dIn; i++) a[i * dIn + i] = (a[i * dIn + i] ?? 0) + pi * Math.sqrt(damping);
    for (let i = 0; i < dOut; i++) g[i * dOut + i] = (g[i * dOut + i] ?? 0) + Math.sqrt(damping) / pi;
    // Column-major vec: entry (r, c) of a dIn×dOut matrix is vec[c·dIn + r]; (G ⊗ A)[(c,r),(c',r')] = G[c][c']·A[r][r'].
    const n = dIn * dOut;
    const k = new Float64Array(n * n);
    for (let c = 0; c < dOut; c++) for (let r = 0; r < dIn; r++) for (let c2 = 0; c2 < dOut; c2++) for (let r2 = 0; r2 < dIn; r2++) {
      k[(c * dIn + r) * n + c2 * dIn + r2] = (g[c * dOut + c2] ?? 0) * (a[r * dIn + r2] ?? 0);
    }
    const rng = createRng(2);
    const grad = Float32Array.from({ length: n }, () => rng.normal());
    const vecGrad = new Float64Array(n);
    for (let r = 0; r < dIn; r++) for (let c = 0; c < dOut; c++) vecGrad[c * dIn + r] = grad[r * dOut + c] ?? 0;
    const vecP = gaussSolve(k, n, vecGrad);
    const expected = new Float64Array(n);
    for (let r = 0; r < dIn; r++) for (let c = 0; c < dOut; c++) expected[r * dOut + c] = vecP[c * dIn + r] ?? 0;
    expect(maxRel(preconditionLayer(inv.value, grad), expected)).toBeLessThan(1e-6);
  });

  it('with A = I and G = s·I gives ∇ / ((1 + π√λ)(s + √λ/π)), π = 1/√s, and ∇/s as λ → 0', () => {
    const [dIn, dOut, count, s] = [4, 3, 5, 4];
    const diag = (n: number, v: number): Float64Array => {
      const full = new Float64Array(n * n);
      for (let i = 0; i < n; i++) full[i * n + i] = v;
      const p = packUpper(full, n);
      if (!p.ok) throw new Error(p.error);
      return p.value;
    };
    const f: KfacFactorSums = { dIn, dOut, count, aUpper: diag(dIn, count), gUpper: diag(dOut, count * s) };
    const grad = Float32Array.from({ length: dIn * dOut }, (_, i) => i - 5.5);
    for (const damping of [0.04, 1e-14]) {
      const inv = invertFactors(f, damping);
      if (!inv.ok) throw new Error(inv.error);
      const pi = 1 / Math.sqrt(s);
      expect(inv.value.pi).toBeCloseTo(pi, 14);
      const factor = (1 + pi * Math.sqrt(damping)) * (s + Math.sqrt(damping) / pi);
      expect(maxRel(preconditionLayer(inv.value, grad), grad.map((v) => v / factor))).toBeLessThan(1e-6);
    }
    const tiny = invertFactors(f, 1e-14);
    if (tiny.ok) expect(maxRel(preconditionLayer(tiny.value, grad), grad.map((v) => v / s))).toBeLessThan(1e-6);
  });

  it('throws on a gradient of the wrong length', () => {
    const inv = invertFactors(sums(4, 3, 2, 3), 0.1);
    if (!inv.ok) throw new Error(inv.error);
    expect(() => preconditionLayer(inv.value, new Float32Array(5))).toThrow(RangeError);
  });
});

describe('invertFactors', () => {
  it('returns true inverses of the damped factors on a larger layer (dIn 40, dOut 12)', () => {
    const [dIn, dOut, count, damping] = [40, 12, 60, 1e-3];
    const f = sums(count, dIn, dOut, 4);
    const inv = invertFactors(f, damping);
    if (!inv.ok) throw new Error(inv.error);
    const { pi, aInv, gInv } = inv.value;
    for (const [packed, n, shift, m] of [[f.aUpper, dIn, pi * Math.sqrt(damping), aInv], [f.gUpper, dOut, Math.sqrt(damping) / pi, gInv]] as const) {
      const s = unpackUpper(packed, n).map((v) => v / count);
      for (let i = 0; i < n; i++) s[i * n + i] = (s[i * n + i] ?? 0) + shift;
      let worst = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let p = 0;
        for (let k = 0; k < n; k++) p += (s[i * n + k] ?? 0) * (m[k * n + j] ?? 0);
        worst = Math.max(worst, Math.abs(p - (i === j ? 1 : 0)));
        expect(m[i * n + j]).toBe(m[j * n + i]);
      }
      expect(worst).toBeLessThan(1e-9);
    }
  });

  it('uses the jitter fallback for a rank-deficient factor with no damping, and clamps π', () => {
    // One sample: Σ a aᵀ has rank 1; G is tiny so π would exceed PI_MAX.
    const f: KfacFactorSums = { dIn: 3, dOut: 2, count: 1, aUpper: outerSum([[2, -1, 1]], 3), gUpper: outerSum([[1e-12, 0]], 2) };
    const inv = invertFactors(f, 0);
    if (!inv.ok) throw new Error(inv.error);
    expect(inv.value.jitterA).toBeGreaterThan(0);
    expect(inv.value.pi).toBe(PI_MAX);
    expect(Array.from(inv.value.aInv).every(Number.isFinite)).toBe(true);
  });

  it('refuses a negative or non-finite damping and invalid sums', () => {
    const f = sums(4, 3, 2, 5);
    expect(invertFactors(f, -1).ok).toBe(false);
    expect(invertFactors(f, Number.NaN).ok).toBe(false);
    expect(invertFactors({ ...f, count: 0 }, 0.1).ok).toBe(false);
  });
});

describe('factor sums', () => {
  it('addFactorSums of two sample sets equals the sums over their union; mismatched shapes are refused', () => {
    const one = samples(5, 4, 3, 6);
    const two = samples(3, 4, 3, 7);
    const added = addFactorSums(sums(5, 4, 3, 6), sums(3, 4, 3, 7));
    if (!added.ok) throw new Error(added.error);
    expect(added.value.count).toBe(8);
    expect(maxRel(added.value.aUpper, outerSum([...one.as, ...two.as], 4))).toBeLessThan(1e-14);
    expect(maxRel(added.value.gUpper, outerSum([...one.gs, ...two.gs], 3))).toBeLessThan(1e-14);
    expect(addFactorSums(sums(5, 4, 3, 6), sums(5, 3, 3, 6)).ok).toBe(false);
  });

  it('checkFactorSums accepts honest sums and rejects every kind of bad input', () => {
    const f = sums(6, 4, 3, 8);
    expect(checkFactorSums(f, 4, 3).ok).toBe(true);
    const withA = (mut: (a: Float64Array) => void): KfacFactorSums => {
      const aUpper = Float64Array.from(f.aUpper);
      mut(aUpper);
      return { ...f, aUpper };
    };
    const bad: [RegExp, KfacFactorSums, number, number][] = [
      [/NaN/, withA((a) => { a[1] = Number.NaN; }), 4, 3],
      [/Σggᵀ has a NaN or infinite/, { ...f, gUpper: f.gUpper.map((v, i) => (i === 2 ? Infinity : v)) }, 4, 3],
      [/Σaaᵀ must be a Float64Array of 10/, { ...f, aUpper: f.aUpper.subarray(1) }, 4, 3],
      [/Σaaᵀ must be a Float64Array/, { ...f, aUpper: Float32Array.from(f.aUpper) as unknown as Float64Array }, 4, 3],
      [/Σggᵀ must be a Float64Array of 6/, { ...f, gUpper: new Float64Array(packedLength(4)) }, 4, 3],
      [/negative diagonal entry at 0/, withA((a) => { a[0] = -1; }), 4, 3],
      [/Σaaᵀ\(0, 1\) exceeds/, withA((a) => { a[1] = 1e6; }), 4, 3],
      [/bias entry/, withA((a) => { a[packedLength(4) - 1] = 7; }), 4, 3],
      [/count must be/, { ...f, count: 0 }, 4, 3],
      [/count must be/, { ...f, count: 2.5 }, 4, 3],
      [/expected a 5×3 layer/, f, 5, 3],
      [/expected a 4×2 layer/, f, 4, 2],
    ];
    for (const [why, sum, dIn, dOut] of bad) {
      const r = checkFactorSums(sum, dIn, dOut);
      expect(r.ok ? 'accepted' : r.error, why.source).toMatch(why);
    }
  });
});
