import { describe, expect, it } from 'vitest';
import { createRng, RngArgumentError } from './rng.ts';

const draws = (n: number, f: () => number): number[] => Array.from({ length: n }, f);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: readonly number[]): number => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
};

describe('createRng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = draws(100, () => a.next());
    expect(draws(100, () => b.next())).toEqual(seqA);
    expect(draws(100, () => c.next())).not.toEqual(seqA);
  });

  it('keeps its output stream fixed (golden values: changing them reshuffles every data split)', () => {
    const rng = createRng(1);
    expect(draws(3, () => rng.next()).map((x) => Math.round(x * 2 ** 32))).toMatchInlineSnapshot(`
      [
        2693262067,
        11749833,
        2265367787,
      ]
    `);
  });

  it('next() is uniform in [0, 1)', () => {
    const rng = createRng(7);
    const xs = draws(100_000, () => rng.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 2);
    expect(variance(xs)).toBeCloseTo(1 / 12, 2);
  });

  it('int(n) covers [0, n) evenly (chi-square)', () => {
    const rng = createRng(3);
    const n = 10;
    const samples = 50_000;
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < samples; i++) {
      const k = rng.int(n);
      expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const expected = samples / n;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.9); // 99.9th percentile of chi-square with 9 degrees of freedom
  });

  it('normal() has mean 0 and variance 1', () => {
    const rng = createRng(11);
    const xs = draws(100_000, () => rng.normal());
    expect(Math.abs(mean(xs))).toBeLessThan(0.02);
    expect(variance(xs)).toBeCloseTo(1, 1);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it.each([0.1, 0.5, 1, 2.5, 100])('gamma(%s) has mean and variance equal to the shape', (shape) => {
    const rng = createRng(5);
    const xs = draws(50_000, () => rng.gamma(shape));
    expect(xs.every((x) => x >= 0 && Number.isFinite(x))).toBe(true);
    // Standard error of the mean is sqrt(shape / 50k); allow 5 of them.
    expect(Math.abs(mean(xs) - shape)).toBeLessThan(5 * Math.sqrt(shape / 50_000));
    expect(variance(xs) / shape).toBeGreaterThan(0.9);
    expect(variance(xs) / shape).toBeLessThan(1.1);
  });

  it('shuffle() returns a permutation, in place, reproducibly', () => {
    const input = Int32Array.from({ length: 1000 }, (_, i) => i);
    const a = createRng(9).shuffle(input.slice());
    const b = createRng(9).shuffle(Array.from(input));
    expect(Array.from(a)).toEqual(b);
    expect(Array.from(a)).not.toEqual(Array.from(input));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from(input));
    const same = [1, 2, 3];
    expect(createRng(1).shuffle(same)).toBe(same);
  });

  it('shuffle() puts each element in each position about equally often', () => {
    const rng = createRng(2);
    const hits = [0, 0, 0, 0]; // how often element 0 lands at each position
    for (let t = 0; t < 40_000; t++) hits[rng.shuffle([0, 1, 2, 3]).indexOf(0)]! += 1;
    for (const h of hits) expect(h / 40_000).toBeCloseTo(0.25, 1);
  });

  it('fork(label) depends only on the seed and the label', () => {
    const parent = createRng(100);
    const first = draws(5, () => parent.fork('data').next());
    parent.next(); // consuming the parent does not change its forks
    const again = parent.fork('data');
    expect(again.next()).toBe(first[0]);
    expect(createRng(100).fork('data').seed).toBe(parent.fork('data').seed);
    expect(createRng(100).fork('init').seed).not.toBe(parent.fork('data').seed);
    expect(createRng(101).fork('data').seed).not.toBe(parent.fork('data').seed);
  });

  it('forked streams are uncorrelated with the parent', () => {
    const parent = createRng(8);
    const child = parent.fork('x');
    const xs = draws(20_000, () => parent.next() - 0.5);
    const ys = draws(20_000, () => child.next() - 0.5);
    const corr = xs.reduce((s, x, i) => s + x * (ys[i] ?? 0), 0) / (xs.length / 12);
    expect(Math.abs(corr)).toBeLessThan(0.05);
  });

  it('normalises seeds: negatives and values above 2^32 are fine, non-integers are rejected', () => {
    expect(createRng(-1).seed).toBe(0xffffffff);
    expect(createRng(2 ** 40).seed).not.toBe(createRng(0).seed);
    expect(() => createRng(1.5)).toThrow(RngArgumentError);
    expect(() => createRng(Number.NaN)).toThrow(RngArgumentError);
  });

  it('rejects bad arguments with RngArgumentError', () => {
    const rng = createRng(1);
    expect(() => rng.int(0)).toThrow(RngArgumentError);
    expect(() => rng.int(2.5)).toThrow(RngArgumentError);
    expect(() => rng.gamma(0)).toThrow(RngArgumentError);
    expect(() => rng.gamma(Number.NaN)).toThrow(RngArgumentError);
  });
});
