import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { maxRelDiff } from './dense.ts';
import { createGramAccumulator, sumGramStats } from './gram.ts';
import type { GramStats } from './gram-stats.ts';
import { unpackUpper } from './packed-symmetric.ts';
import { meanDiagonal, scaledGamma, solveRidge } from './ridge.ts';

const F = 8;
const C = 3;
const ROWS = 120;

function dataset(seed: number): { x: Float32Array; t: Float32Array } {
  const rng = createRng(seed);
  return {
    x: Float32Array.from({ length: ROWS * F }, () => rng.normal()),
    t: Float32Array.from({ length: ROWS * C }, () => rng.normal()),
  };
}

function statsOf(x: Float32Array, t: Float32Array, rows: readonly number[]): GramStats {
  const acc = createGramAccumulator({ features: F, targets: C, bias: true });
  for (const r of rows) acc.addRows(x.subarray(r * F, (r + 1) * F), t.subarray(r * C, (r + 1) * C), 1);
  return acc.stats();
}

/**
 * Independent oracle: centralised ridge on the pooled rows, built column by column from [X, 1] and solved
 * by Gauss–Jordan elimination with partial pivoting (no Cholesky, no packed storage).
 */
function centralRidge(x: Float32Array, t: Float32Array, gamma: number): Float64Array {
  const d = F + 1;
  const col = (r: number, i: number): number => (i === F ? 1 : x[r * F + i]!);
  const m = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d + C }, (_, j) => {
      let s = j < d && i === j ? gamma : 0;
      for (let r = 0; r < ROWS; r++) s += col(r, i) * (j < d ? col(r, j) : t[r * C + (j - d)]!);
      return s;
    }),
  );
  for (let p = 0; p < d; p++) {
    let best = p;
    for (let r = p + 1; r < d; r++) if (Math.abs(m[r]![p]!) > Math.abs(m[best]![p]!)) best = r;
    [m[p], m[best]] = [m[best]!, m[p]!];
    const piv = m[p]!;
    const inv = 1 / piv[p]!;
    for (let j = 0; j < d + C; j++) piv[j]! *= inv;
    for (let r = 0; r < d; r++) {
      if (r === p) continue;
      const f = m[r]![p]!;
      for (let j = 0; j < d + C; j++) m[r]![j]! -= f * piv[j]!;
    }
  }
  return Float64Array.from(m.flatMap((row) => row.slice(d)));
}

describe('solveRidge', () => {
  const { x, t } = dataset(1);
  const all = Array.from({ length: ROWS }, (_, r) => r);
  const pooled = statsOf(x, t, all);
  const gamma = scaledGamma(pooled, 1e-2);

  it('matches an independent centralised ridge solution', () => {
    const r = solveRidge(pooled, { gamma });
    if (!r.ok) throw new Error(r.error.message);
    expect(maxRelDiff(r.value.w, centralRidge(x, t, gamma))).toBeLessThan(1e-12);
  });

  it('the aggregated solve equals the pooled solution for any partition of the rows (≤ 1e-9)', () => {
    const central = centralRidge(x, t, gamma);
    const rng = createRng(7);
    const partitions: number[][][] = [
      [all], // one client
      all.map((r) => [r]), // one row per client
      [all.filter((r) => r % 2 === 0), all.filter((r) => r % 2 === 1)],
      [all.slice(0, 3), all.slice(3, 100), all.slice(100)],
    ];
    for (let k = 0; k < 5; k++) {
      const shuffled = rng.shuffle([...all]);
      const cuts = [0, rng.int(40), 40 + rng.int(40), ROWS];
      partitions.push(cuts.slice(1).map((end, i) => shuffled.slice(cuts[i], end)));
    }
    for (const part of partitions) {
      const sum = sumGramStats(pooled, part.map((rows) => statsOf(x, t, rows)));
      if (!sum.ok) throw new Error(sum.error.message);
      const r = solveRidge(sum.value, { gamma });
      if (!r.ok) throw new Error(r.error.message);
      expect(maxRelDiff(r.value.w, central)).toBeLessThan(1e-9);
    }
  });

  it('satisfies the normal equations (A + γI)W = B, and γ changes the answer', () => {
    const r = solveRidge(pooled, { gamma });
    if (!r.ok) throw new Error(r.error.message);
    const d = F + 1;
    const a = unpackUpper(pooled.aUpper, d);
    let worst = 0;
    for (let i = 0; i < d; i++) {
      for (let c = 0; c < C; c++) {
        let s = gamma * r.value.w[i * C + c]!;
        for (let k = 0; k < d; k++) s += a[i * d + k]! * r.value.w[k * C + c]!;
        worst = Math.max(worst, Math.abs(s - pooled.b[i * C + c]!));
      }
    }
    expect(worst).toBeLessThan(1e-9 * meanDiagonal(pooled));
    const doubled = solveRidge(pooled, { gamma: gamma * 2 });
    expect(doubled.ok && maxRelDiff(doubled.value.w, r.value.w)).toBeGreaterThan(1e-6);
  });

  it('with a prior, pulls towards it: λ huge gives the prior, λ = 0 gives plain ridge', () => {
    const prior = Float64Array.from({ length: (F + 1) * C }, (_, i) => Math.sin(i));
    const plain = solveRidge(pooled, { gamma });
    const zero = solveRidge(pooled, { gamma, prior: { w: prior, lambda: 0 } });
    const huge = solveRidge(pooled, { gamma, prior: { w: prior, lambda: 1e12 } });
    if (!plain.ok || !zero.ok || !huge.ok) throw new Error('solve');
    expect(zero.value.w).toEqual(plain.value.w);
    expect(maxRelDiff(huge.value.w, prior)).toBeLessThan(1e-6);
  });

  it('gamma = 0 on a singular Gram matrix still solves, through the jitter', () => {
    const few = statsOf(x, t, [0, 1, 2]); // 3 rows, 9 unknowns: A is singular
    const r = solveRidge(few, { gamma: 0 });
    expect(r.ok && r.value.jitter).toBeGreaterThan(0);
  });

  it('refuses a bad gamma, a bad prior or mismatched statistics', () => {
    expect(solveRidge(pooled, { gamma: -1 }).ok).toBe(false);
    expect(solveRidge(pooled, { gamma: NaN }).ok).toBe(false);
    expect(solveRidge(pooled, { gamma, prior: { w: new Float64Array(2), lambda: 1 } }).ok).toBe(false);
    expect(solveRidge(pooled, { gamma, prior: { w: new Float64Array(27), lambda: -1 } }).ok).toBe(false);
    const r = solveRidge({ ...pooled, b: new Float64Array(3) }, { gamma });
    expect(!r.ok && r.error.kind).toBe('bad-argument');
  });

  it('scales gamma by the mean diagonal', () => {
    expect(scaledGamma(pooled, 0.5)).toBeCloseTo(0.5 * meanDiagonal(pooled), 12);
    expect(meanDiagonal(pooled)).toBeGreaterThan(0);
  });
});
