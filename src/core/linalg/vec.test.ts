import { describe, expect, it } from 'vitest';
import { VecLengthError, axpy, dot, norm, scale } from './vec.ts';

describe('vec kernels', () => {
  it('dot and norm accumulate in float64 over float32 storage', () => {
    const a = Float32Array.of(3, 4);
    expect(dot(a, Float64Array.of(1, 2))).toBe(11);
    expect(norm(a)).toBe(5);
    // 1e4 copies of 0.1f: float32 accumulation would drift by ~1e-3; float64 keeps ~1e-12 of the exact sum.
    const tenths = new Float32Array(10_000).fill(0.1);
    expect(Math.abs(dot(tenths, new Float32Array(10_000).fill(1)) - 10_000 * Math.fround(0.1))).toBeLessThan(1e-9);
  });

  it('axpy and scale work in place and return their target', () => {
    const y = Float64Array.of(1, 1);
    expect(axpy(2, Float32Array.of(3, -1), y)).toBe(y);
    expect(Array.from(y)).toEqual([7, -1]);
    const x = Float32Array.of(1, -2);
    expect(scale(-0.5, x)).toBe(x);
    expect(Array.from(x)).toEqual([-0.5, 1]);
  });

  it('rejects length mismatches', () => {
    expect(() => dot(new Float32Array(2), new Float32Array(3))).toThrow(VecLengthError);
    expect(() => axpy(1, new Float32Array(2), new Float64Array(1))).toThrow(VecLengthError);
  });
});
