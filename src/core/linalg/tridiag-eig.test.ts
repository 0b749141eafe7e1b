import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { TridiagEigError, tridiagEig } from './tridiag-eig.ts';

/** max_i |(T v − λ v)_i| for T = tridiag(beta, alpha, beta). */
function residual(alpha: Float64Array, beta: Float64Array, lambda: number, v: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < alpha.length; i++) {
    const tv = alpha[i]! * v[i]! + (i > 0 ? beta[i - 1]! * v[i - 1]! : 0) + (i < beta.length ? beta[i]! * v[i + 1]! : 0);
    worst = Math.max(worst, Math.abs(tv - lambda * v[i]!));
  }
  return worst;
}

function maxOrthoError(vs: readonly Float64Array[]): number {
  let worst = 0;
  vs.forEach((a, i) => { vs.forEach((b, j) => {
      const d = a.reduce((s, x, t) => s + x * b[t]!, 0);
      worst = Math.max(worst, Math.abs(d - (i === j ? 1 : 0)));
    }); },
  );
  return worst;
}

describe('tridiagEig', () => {
  it.each([1, 2, 3, 10, 64])('finds the 1-D Laplacian spectrum 2 − 2cos(kπ/(m+1)), m = %i', (m) => {
    const alpha = new Float64Array(m).fill(2);
    const beta = new Float64Array(m - 1).fill(-1);
    const { values, vectors } = tridiagEig(alpha, beta);
    for (let k = 1; k <= m; k++) expect(values[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (m + 1)), 12);
    vectors.forEach((v, j) => {
      expect(residual(alpha, beta, values[j]!, v)).toBeLessThan(1e-12);
    });
    expect(maxOrthoError(vectors)).toBeLessThan(1e-12);
  });

  it('returns the Laplacian eigenvectors sin(jkπ/(m+1)) up to sign', () => {
    const m = 8;
    const { vectors } = tridiagEig(new Float64Array(m).fill(2), new Float64Array(m - 1).fill(-1));
    const k = 3;
    const exact = Float64Array.from({ length: m }, (_, j) => Math.sin(((j + 1) * k * Math.PI) / (m + 1)));
    const nrm = Math.hypot(...exact);
    const v = vectors[k - 1]!;
    const sign = Math.sign(v[0]!);
    exact.forEach((x, j) => {
      expect(sign * v[j]!).toBeCloseTo(x / nrm, 12);
    });
  });

  it('solves random tridiagonals: ascending, T v = λ v, orthonormal, trace preserved', () => {
    const rng = createRng(11);
    for (const m of [5, 17, 40]) {
      const alpha = Float64Array.from({ length: m }, () => 10 * rng.normal());
      const beta = Float64Array.from({ length: m - 1 }, () => rng.normal());
      const { values, vectors } = tridiagEig(alpha, beta);
      for (let j = 1; j < m; j++) expect(values[j]!).toBeGreaterThanOrEqual(values[j - 1]!);
      vectors.forEach((v, j) => {
        expect(residual(alpha, beta, values[j]!, v)).toBeLessThan(1e-10);
      });
      expect(maxOrthoError(vectors)).toBeLessThan(1e-12);
      expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(alpha.reduce((s, x) => s + x, 0), 9);
    }
  });

  it('handles split (zero off-diagonal) and near-degenerate matrices (Wilkinson W21+)', () => {
    const split = tridiagEig(Float64Array.of(3, -1, 2), Float64Array.of(0, 0));
    expect(Array.from(split.values)).toEqual([-1, 2, 3]);
    const m = 21;
    const alpha = Float64Array.from({ length: m }, (_, i) => Math.abs(10 - i));
    const beta = new Float64Array(m - 1).fill(1);
    const { values, vectors } = tridiagEig(alpha, beta);
    // W21+ has its two largest eigenvalues equal to ~1e-14 (10.746194182903…).
    expect(values[m - 1]!).toBeCloseTo(10.746194182903, 10);
    expect(values[m - 1]! - values[m - 2]!).toBeLessThan(1e-12);
    vectors.forEach((v, j) => {
      expect(residual(alpha, beta, values[j]!, v)).toBeLessThan(1e-12);
    });
    expect(maxOrthoError(vectors)).toBeLessThan(1e-10);
  });

  it('rejects malformed input', () => {
    expect(tridiagEig(new Float64Array(0), new Float64Array(0)).values.length).toBe(0);
    expect(() => tridiagEig(Float64Array.of(1, 2), Float64Array.of(1, 2))).toThrow(TridiagEigError);
    expect(() => tridiagEig(Float64Array.of(1, Number.NaN), Float64Array.of(1))).toThrow(TridiagEigError);
  });
});
