import { describe, expect, it } from 'vitest';
import { validateGramStats } from './gram-check.ts';
import type { GramStats } from './gram-stats.ts';

// A of rows [1, 2, 1] and [3, 4, 1] (bias last), B against targets [1] and [0].
const honest: GramStats = {
  dIn: 3,
  dOut: 1,
  bias: true,
  count: 2,
  aUpper: Float64Array.from([10, 14, 4, 20, 6, 2]),
  b: Float64Array.from([1, 2, 1]),
};
const shape = { dIn: 3, dOut: 1, bias: true };

describe('validateGramStats', () => {
  it('accepts an honest Gram matrix, including one with |a_ij| = √(a_ii·a_jj) exactly', () => {
    expect(validateGramStats(honest, shape).ok).toBe(true);
    // One row [2, 0] without bias: a_01 = 0 ≤ 0, a rank-1 boundary case.
    const rankOne: GramStats = { dIn: 2, dOut: 1, bias: false, count: 1, aUpper: Float64Array.from([4, 6, 9]), b: Float64Array.from([0, 0]) };
    expect(validateGramStats(rankOne, { dIn: 2, dOut: 1, bias: false }).ok).toBe(true);
  });

  it('names the offending entry', () => {
    const r = validateGramStats({ ...honest, aUpper: Float64Array.from([10, 15, 4, 20, 6, 2]) }, shape);
    expect(!r.ok && r.error.kind).toBe('not-psd');
    expect(!r.ok && r.error.message).toContain('A(0, 1)');
  });

  it('refuses a bias flag mismatch and a plain array where a Float64Array is expected', () => {
    expect(validateGramStats({ ...honest, bias: false }, shape).ok).toBe(false);
    const plain = { ...honest, b: [1, 2, 1] } as unknown as GramStats;
    const r = validateGramStats(plain, shape);
    expect(!r.ok && r.error.kind).toBe('shape');
  });
});
