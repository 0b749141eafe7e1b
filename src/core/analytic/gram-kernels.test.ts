import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { addRowsDense, addRowsSparse, DENSE_BLOCK_ROWS, density } from './gram-kernels.ts';
import type { GramTarget } from './gram-kernels.ts';
import { packedLength } from './packed-symmetric.ts';

function target(features: number, dOut: number, bias: boolean): GramTarget {
  const dIn = features + (bias ? 1 : 0);
  return { dIn, dOut, features, bias, a: new Float64Array(packedLength(dIn)), b: new Float64Array(dIn * dOut) };
}

describe('Gram kernels', () => {
  it('sparse and dense kernels agree bit for bit, across block boundaries and odd widths', () => {
    const rng = createRng(9);
    const features = 7; // dIn = 8 with bias; 7 without: exercises the 4-wide remainder
    const rows = DENSE_BLOCK_ROWS + 17;
    const x = Float64Array.from({ length: rows * features }, () => (rng.next() < 0.3 ? 0 : rng.normal() * 1e3));
    const t = Float64Array.from({ length: rows * 2 }, () => (rng.next() < 0.5 ? 0 : rng.normal()));
    for (const bias of [true, false]) {
      const s = target(features, 2, bias);
      const d = target(features, 2, bias);
      addRowsSparse(s, x, t, 0, rows, new Int32Array(s.dIn), new Float64Array(s.dIn));
      addRowsDense(d, x, t, 0, 100);
      addRowsDense(d, x, t, 100, rows); // continuing from a partial sum keeps the row order
      expect(d.a).toEqual(s.a);
      expect(d.b).toEqual(s.b);
      expect(s.a.some((v) => v !== 0)).toBe(true);
    }
  });

  it('measures density', () => {
    expect(density(Float32Array.from([0, 1, 0, 2]), 2, 0, 2)).toBe(0.5);
    expect(density(Float32Array.from([0, 1, 0, 2]), 2, 0, 1)).toBe(0.5);
    expect(density(new Float32Array(0), 2, 0, 0)).toBe(0);
  });
});
