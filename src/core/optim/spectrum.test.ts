import { describe, expect, it } from 'vitest';
import { dot } from '../linalg/vec.ts';
import { createRng } from '../rng.ts';
import type { Hvp } from './lanczos.ts';
import { checkEigenInfo, extremeSpectrum, ritzPairs, selectRitz, type EigenInfo } from './spectrum.ts';

const N = 400;
const TOP = [100, 80, 60, 45, 35]; // k = 5 outliers
const BOTTOM = [-20, -12]; // l = 2 outliers

/** Eigenvalues: the outliers plus a bulk spread over [0, 10). */
const eigenvalues = Array.from({ length: N }, (_, i) => (i < 7 ? [...TOP, ...BOTTOM][i]! : (10 * i) / N));

/** Householder reflector P = I − 2hhᵀ (‖h‖ = 1): A = P diag(λ) P has eigenvectors P e_i, not axis-aligned. */
const h = (() => {
  const rng = createRng(5);
  const v = Float64Array.from({ length: N }, () => rng.normal());
  const s = Math.sqrt(dot(v, v));
  return v.map((x) => x / s);
})();
const reflect = (v: Float64Array): Float64Array => {
  const c = 2 * dot(h, v);
  return v.map((x, i) => x - c * h[i]!);
};
const apply = (v: Float32Array): Float64Array => reflect(reflect(Float64Array.from(v)).map((x, i) => eigenvalues[i]! * x));
const hvp: Hvp = (v) => Promise.resolve(Float32Array.from(apply(v)));
/** Unit eigenvector P e_i of eigenvalue eigenvalues[i]. */
const eigvec = (i: number): Float64Array => reflect(Float64Array.from({ length: N }, (_, j) => (j === i ? 1 : 0)));

describe('extremeSpectrum', () => {
  it('finds the top-k and bottom-l eigenpairs of a known operator, stacked [bottom-l ; top-k]', async () => {
    const r = await extremeSpectrum(hvp, { n: N, seed: 1, k: 5, l: 2 });
    if (!r.ok) throw new Error(r.error.kind);
    const { eigvals, eigvecs, k, l, steps } = r.value;
    expect(steps).toBe(28); // the default order 4(k + l)
    expect([k, l]).toEqual([5, 2]);
    const expected = [-20, -12, 35, 45, 60, 80, 100];
    const truthIndex = [5, 6, 4, 3, 2, 1, 0];
    expected.forEach((lam, j) => {
      expect(Math.abs(eigvals[j]! - lam) / Math.abs(lam)).toBeLessThan(1e-6); // measured ~1e-8
      const v = eigvecs[j]!;
      expect(Math.abs(dot(v, eigvec(truthIndex[j]!)))).toBeGreaterThan(1 - 1e-6);
      const hv = apply(v);
      const res = Math.sqrt(hv.reduce((s, x, t) => s + (x - eigvals[j]! * v[t]!) ** 2, 0));
      expect(res).toBeLessThan(1e-3);
    });
    expect(checkEigenInfo(r.value, N, 1e-5).ok).toBe(true);
  });

  it('serves k before l when breakdown leaves fewer Ritz pairs than asked', () => {
    const sel = selectRitz(Float64Array.of(1, 5, 3), Float64Array.of(0, 0), 2, 2);
    expect([sel.k, sel.l]).toEqual([2, 1]);
    expect(Array.from(sel.values)).toEqual([1, 3, 5]);
    const none = selectRitz(Float64Array.of(4), new Float64Array(0), 0, 1);
    expect([none.k, none.l, none.values[0]]).toEqual([0, 1, 4]);
  });

  it('forms unit Ritz vectors sᵀQ from a basis', () => {
    const basis = [Float32Array.of(1, 0, 0), Float32Array.of(0, 0.6, 0.8)];
    // T = [[2, 1], [1, 2]]: eigenvalues 1, 3 with vectors (1, ∓1)/√2
    const info = ritzPairs({ basis, alphas: Float64Array.of(2, 2), betas: Float64Array.of(1), breakdown: false }, 1, 1);
    expect(Array.from(info.eigvals)).toEqual([1, 3].map((x) => expect.closeTo(x, 12) as number));
    const s = Math.SQRT1_2;
    const top = info.eigvecs[1]!;
    const sign = Math.sign(top[0]!);
    [s, 0.6 * s, 0.8 * s].forEach((x, i) => {
      expect(sign * top[i]!).toBeCloseTo(x, 6);
    });
  });
});

describe('checkEigenInfo', () => {
  const eigvecs = [Float32Array.of(1, 0, 0), Float32Array.of(0, 1, 0)];
  const good: EigenInfo = { eigvals: Float64Array.of(1, 2), eigvecs, k: 2, l: 0 };
  it('accepts orthonormal, finite, consistent information', () => {
    expect(checkEigenInfo(good, 3).ok).toBe(true);
  });
  it.each([
    ['a count mismatch', { ...good, k: 3 }],
    ['a non-finite value', { ...good, eigvals: Float64Array.of(1, Number.NaN) }],
    ['a wrong row length', { ...good, eigvecs: [Float32Array.of(1, 0), Float32Array.of(0, 1)] }],
    ['a NaN entry', { ...good, eigvecs: [Float32Array.of(1, 0, Number.NaN), Float32Array.of(0, 1, 0)] }],
    ['non-orthogonal rows', { ...good, eigvecs: [Float32Array.of(1, 0, 0), Float32Array.of(0.6, 0.8, 0)] }],
    ['non-unit rows', { ...good, eigvecs: [Float32Array.of(2, 0, 0), Float32Array.of(0, 1, 0)] }],
  ])('rejects %s', (_label, info) => {
    expect(checkEigenInfo(info, 3).ok).toBe(false);
  });
});
