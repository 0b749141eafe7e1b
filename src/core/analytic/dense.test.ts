import { describe, expect, it } from 'vitest';
import { accuracy, affineRows, argmaxRows, matmul, maxRelDiff } from './dense.ts';

describe('dense helpers', () => {
  it('multiplies matrices', () => {
    // [[1, 2], [3, 4]] · [[5], [6]] = [[17], [39]]
    expect(Array.from(matmul(Float64Array.from([1, 2, 3, 4]), 2, 2, Float32Array.from([5, 6]), 1))).toEqual([17, 39]);
    expect(() => matmul(new Float64Array(3), 2, 2, new Float64Array(2), 1)).toThrow(RangeError);
  });

  it('applies an affine layer with the bias as the last row', () => {
    // x = [[1, 2]], W = [[1, 0], [0, 1], [10, 20]] → [[11, 22]]
    expect(Array.from(affineRows(Float32Array.from([1, 2]), 1, 2, Float64Array.from([1, 0, 0, 1, 10, 20]), 2, true))).toEqual([11, 22]);
    expect(Array.from(affineRows(Float32Array.from([1, 2]), 1, 2, Float64Array.from([1, 0, 0, 1]), 2, false))).toEqual([1, 2]);
    expect(() => affineRows(Float32Array.from([1, 2]), 1, 2, new Float64Array(4), 2, true)).toThrow(RangeError);
  });

  it('measures the difference relative to the reference scale', () => {
    expect(maxRelDiff([1, 2], [1, 2])).toBe(0);
    expect(maxRelDiff([1, 2.5], [1, 2])).toBeCloseTo(0.25, 15);
    expect(maxRelDiff([1e-20, 4], [0, 4])).toBeCloseTo(2.5e-21, 30);
    expect(maxRelDiff([1], [1, 2])).toBe(Infinity);
    expect(maxRelDiff([NaN], [1])).toBe(Infinity);
    expect(maxRelDiff([1], [0])).toBe(Infinity);
  });

  it('classifies by arg-max and scores accuracy', () => {
    const pred = argmaxRows(Float64Array.from([0, 5, 1, 9, 2, 9]), 2, 3);
    expect(Array.from(pred)).toEqual([1, 0]); // ties go to the lower index
    expect(accuracy(pred, [1, 2])).toBe(0.5);
    expect(accuracy([], [])).toBe(0);
  });
});
