import { describe, expect, it } from 'vitest';
import { weightedMean } from './weighted-mean.ts';

describe('weightedMean', () => {
  it('weights by sample count', () => {
    const r = weightedMean([
      { weight: 1, arrays: [new Float32Array([0, 2])] },
      { weight: 3, arrays: [new Float32Array([4, 2])] },
    ]);
    expect(Array.from(r[0]!)).toEqual([3, 2]);
  });
  it('does not depend on arrival order', () => {
    const a = { weight: 7, arrays: [new Float32Array([0.1, -3.3, 1e-7])] };
    const b = { weight: 2, arrays: [new Float32Array([5.5, 0.25, 2])] };
    const c = { weight: 11, arrays: [new Float32Array([-1, 9, 0.3])] };
    expect(weightedMean([a, b, c])).toEqual(weightedMean([c, a, b]));
  });
  it('rejects mismatched lengths and empty input', () => {
    expect(() => weightedMean([])).toThrow(RangeError);
    expect(() =>
      weightedMean([
        { weight: 1, arrays: [new Float32Array(2)] },
        { weight: 1, arrays: [new Float32Array(3)] },
      ]),
    ).toThrow(RangeError);
  });
});
