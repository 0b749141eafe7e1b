import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { cholesky, DEFAULT_JITTER_EPSILON, solveSpd, solveWithFactor } from './cholesky.ts';

/** A random SPD matrix M·Mᵀ + shift·I (n×n). */
function randomSpd(n: number, seed: number, shift: number): Float64Array {
  const rng = createRng(seed);
  const m = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? shift : 0;
      for (let k = 0; k < n; k++) s += m[i * n + k]! * m[j * n + k]!;
      a[i * n + j] = s;
    }
  }
  return a;
}

const residual = (a: Float64Array, n: number, x: Float64Array, b: Float64Array, m: number): number => {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < m; c++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * x[k * m + c]!;
      worst = Math.max(worst, Math.abs(s - b[i * m + c]!));
    }
  }
  return worst;
};

describe('cholesky', () => {
  it('factors a known 2×2 matrix exactly', () => {
    const r = cholesky(Float64Array.from([4, 2, 2, 10]), 2);
    expect(r.ok && Array.from(r.value.l)).toEqual([2, 0, 1, 3]);
    expect(r.ok && r.value.jitter).toBe(0);
  });

  it('reproduces A = L·Lᵀ for a random SPD matrix', () => {
    const n = 12;
    const a = randomSpd(n, 1, 0.5);
    const r = cholesky(a, n);
    if (!r.ok) throw new Error(r.error.message);
    const { l } = r.value;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += l[i * n + k]! * l[j * n + k]!;
        expect(Math.abs(s - a[i * n + j]!)).toBeLessThan(1e-10 * a[i * n + i]!);
      }
      for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
    }
  });

  it('reads only the lower triangle', () => {
    const a = randomSpd(5, 2, 1);
    const stale = Float64Array.from(a);
    for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) stale[i * 5 + j] = 1e9;
    const x = cholesky(a, 5);
    const y = cholesky(stale, 5);
    expect(x.ok && y.ok && Array.from(x.value.l)).toEqual(y.ok ? Array.from(y.value.l) : null);
  });

  it('adds the smallest jitter of the ladder for a singular PSD matrix and reports it', () => {
    // Rank 1: [[1, 1], [1, 1]] has a zero pivot.
    const a = Float64Array.from([1, 1, 1, 1]);
    const r = cholesky(a, 2);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.jitter).toBeGreaterThanOrEqual(DEFAULT_JITTER_EPSILON); // tr/n = 1
      expect(r.value.jitter).toBeLessThan(1e-4);
    }
  });

  it('refuses an indefinite matrix after the bounded retries', () => {
    const r = cholesky(Float64Array.from([1, 0, 0, -1]), 2, { maxTries: 3 });
    expect(!r.ok && r.error.kind).toBe('not-positive-definite');
  });

  it('refuses non-finite entries and wrong shapes as values, not exceptions', () => {
    const nan = cholesky(Float64Array.from([1, NaN, NaN, 1]), 2);
    expect(!nan.ok && nan.error.kind).toBe('non-finite');
    const inf = cholesky(Float64Array.from([Infinity, 0, 0, 1]), 2);
    expect(!inf.ok && inf.error.kind).toBe('non-finite');
    const shape = cholesky(new Float64Array(5), 2);
    expect(!shape.ok && shape.error.kind).toBe('bad-shape');
    expect(cholesky(new Float64Array(0), 0).ok).toBe(false);
  });
});

describe('solveSpd', () => {
  it('solves a known system', () => {
    const r = solveSpd(Float64Array.from([4, 2, 2, 3]), 2, Float64Array.from([2, 1]), 1);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.x[0]).toBeCloseTo(0.5, 14);
      expect(r.value.x[1]).toBeCloseTo(0, 14);
    }
  });

  it('solves many right-hand sides with a tiny residual', () => {
    const n = 30;
    const m = 7;
    const a = randomSpd(n, 3, 1);
    const rng = createRng(4);
    const b = Float64Array.from({ length: n * m }, () => rng.normal());
    const r = solveSpd(a, n, b, m);
    if (!r.ok) throw new Error(r.error.message);
    expect(residual(a, n, r.value.x, b, m)).toBeLessThan(1e-9);
  });

  it('rejects a non-finite or wrongly sized right-hand side', () => {
    const a = Float64Array.from([1, 0, 0, 1]);
    const nan = solveSpd(a, 2, Float64Array.from([1, NaN]), 1);
    expect(!nan.ok && nan.error.kind).toBe('non-finite');
    const short = solveSpd(a, 2, Float64Array.from([1]), 1);
    expect(!short.ok && short.error.kind).toBe('bad-shape');
  });

  it('solveWithFactor throws on a mismatched right-hand side (programmer error)', () => {
    const f = cholesky(Float64Array.from([1, 0, 0, 1]), 2);
    if (!f.ok) throw new Error('factor');
    expect(() => solveWithFactor(f.value, new Float64Array(3), 2)).toThrow(RangeError);
  });
});
