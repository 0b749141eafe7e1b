import { describe, expect, it } from 'vitest';
import { batchShares } from './batch-shares.ts';

describe('batchShares', () => {
  it('splits in proportion to speed and sums exactly', () => {
    expect(batchShares(128, { a: 300, b: 100 })).toEqual({ a: 96, b: 32 });
    const s = batchShares(100, { a: 1, b: 1, c: 1 });
    expect(Object.values(s).reduce((x, y) => x + y, 0)).toBe(100);
    expect(Math.max(...Object.values(s)) - Math.min(...Object.values(s))).toBeLessThanOrEqual(1);
  });
  it('gives very slow workers at least one sample', () => {
    const s = batchShares(64, { fast: 1e6, slow: 1 });
    expect(s.slow).toBe(1);
    expect(s.fast).toBe(63);
  });
  it('treats unknown speeds as the slowest known speed', () => {
    const s = batchShares(30, { a: 10, b: 20, c: Number.NaN });
    expect(s).toEqual({ a: 8, b: 15, c: 7 });
  });
});
