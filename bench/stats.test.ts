import { describe, expect, it } from 'vitest';
import { maxOf, median, megabytesPerSecond, ratio, ratioVerdict, stepsBy, timeToTarget } from './stats.ts';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, ignoring non-finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, Number.POSITIVE_INFINITY])).toBe(5);
    expect(median([])).toBeNull();
  });
});

describe('ratio', () => {
  it('divides, and is null when a side is missing or the divisor is not positive', () => {
    expect(ratio(17, 20)).toBeCloseTo(0.85);
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(2, undefined)).toBeNull();
    expect(ratio(2, 0)).toBeNull();
    expect(ratio(Number.NaN, 2)).toBeNull();
  });

  it('maxOf skips nulls', () => {
    expect(maxOf([1, null, 3, 2])).toBe(3);
    expect(maxOf([null])).toBeNull();
  });
});

describe('time and steps to target', () => {
  const curve: [number, number][] = [[1, 0.5], [2, 0.85], [3, 0.91], [4, 0.89], [5, 0.95]];
  it('finds the first time the curve reaches the target', () => {
    expect(timeToTarget(curve, 0.9)).toBe(3);
    expect(timeToTarget(curve, 0.5)).toBe(1);
    expect(timeToTarget(curve, 0.99)).toBeNull();
  });

  it('counts per-step points up to that time', () => {
    const perStep: [number, number][] = [[0.5, 2], [1.5, 1.5], [2.5, 1], [3, 0.8], [3.5, 0.7]];
    expect(stepsBy(perStep, 3)).toBe(4);
    expect(stepsBy(perStep, 0.1)).toBe(0);
    expect(stepsBy(perStep, null)).toBeNull();
  });
});

describe('megabytesPerSecond and ratioVerdict', () => {
  it('computes MB/s in 10^6 bytes', () => {
    expect(megabytesPerSecond(32e6, 2)).toBe(16);
    expect(megabytesPerSecond(1, 0)).toBe(0);
  });

  it('passes floors and ceilings, n/a without data', () => {
    expect(ratioVerdict(0.9, 0.85, 'min')).toBe('pass');
    expect(ratioVerdict(0.8, 0.85, 'min')).toBe('miss');
    expect(ratioVerdict(0.8, 0.85, 'max')).toBe('pass');
    expect(ratioVerdict(null, 0.85, 'min')).toBe('n/a');
    expect(ratioVerdict(1, null, 'min')).toBe('n/a');
  });
});
