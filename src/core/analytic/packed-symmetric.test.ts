import { describe, expect, it } from 'vitest';
import { packedLength, packedRowStart, packUpper, unpackUpper } from './packed-symmetric.ts';

describe('packed symmetric storage', () => {
  const full = Float64Array.from([1, 2, 3, 2, 4, 5, 3, 5, 6]);

  it('packs the upper triangle row by row and unpacks it back', () => {
    const packed = packUpper(full, 3);
    expect(packed.ok && Array.from(packed.value)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(unpackUpper(Float64Array.from([1, 2, 3, 4, 5, 6]), 3))).toEqual(Array.from(full));
  });

  it('indexes rows consistently with the layout', () => {
    expect(packedLength(3)).toBe(6);
    expect([0, 1, 2].map((i) => packedRowStart(i, 3))).toEqual([0, 3, 5]);
  });

  it('rejects an asymmetric, non-finite or wrongly sized matrix', () => {
    const asym = Float64Array.from(full);
    asym[1] = 2.5;
    expect(packUpper(asym, 3).ok).toBe(false);
    const nan = Float64Array.from(full);
    nan[4] = NaN;
    expect(packUpper(nan, 3).ok).toBe(false);
    expect(packUpper(full, 2).ok).toBe(false);
    expect(() => unpackUpper(new Float64Array(5), 3)).toThrow(RangeError);
  });
});
