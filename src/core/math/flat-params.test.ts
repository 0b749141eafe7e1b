import { describe, expect, it } from 'vitest';
import { flatten, unflatten } from './flat-params.ts';

describe('flatten / unflatten', () => {
  it('round-trips tensors in order', () => {
    const parts = [Float32Array.of(1, 2, 3), Float32Array.of(), Float32Array.of(-4.5)];
    const flat = flatten(parts);
    expect(Array.from(flat)).toEqual([1, 2, 3, -4.5]);
    expect(unflatten(flat, [3, 0, 1])).toEqual(parts);
  });

  it('returns copies, not views', () => {
    const flat = Float32Array.of(1, 2);
    const [a] = unflatten(flat, [2]);
    flat[0] = 9;
    expect(a?.[0]).toBe(1);
  });

  it('rejects sizes that do not add up', () => {
    expect(() => unflatten(Float32Array.of(1, 2), [1])).toThrow(RangeError);
  });
});
