import { describe, expect, it } from 'vitest';
import { BatchIndexError, toFloatBatch } from './batch.ts';
import type { Split } from './dataset.ts';

/** 4 images of 2 pixels: image i has pixels (i·50, 255 − i·50) and label 9 − i. */
const split: Split = {
  images: Uint8Array.from([0, 255, 50, 205, 100, 155, 150, 105]),
  labels: Uint8Array.of(9, 8, 7, 6),
  count: 4,
};

describe('toFloatBatch', () => {
  it('gathers the selected samples, scaled to [0, 1]', () => {
    const { x, y, count } = toFloatBatch(split, Int32Array.of(3, 0, 2), 1, 2);
    expect(count).toBe(2);
    expect(Array.from(y)).toEqual([9, 7]);
    expect(Array.from(x)).toEqual([0, 1, 100 / 255, 155 / 255].map(Math.fround));
  });

  it('clamps the count at the end of the index list', () => {
    expect(toFloatBatch(split, [1, 2, 3], 2, 10).count).toBe(1);
    const empty = toFloatBatch(split, [1, 2, 3], 5, 10);
    expect([empty.count, empty.x.length, empty.y.length]).toEqual([0, 0, 0]);
  });

  it('reuses buffers of the right size and ignores others', () => {
    const into = { x: new Float32Array(4), y: new Uint8Array(2) };
    const same = toFloatBatch(split, [0, 1], 0, 2, into);
    expect(same.x).toBe(into.x);
    expect(same.y).toBe(into.y);
    expect(Array.from(into.y)).toEqual([9, 8]);
    const fresh = toFloatBatch(split, [0], 0, 1, into);
    expect(fresh.x).not.toBe(into.x);
  });

  it('throws BatchIndexError for an index outside the split', () => {
    expect(() => toFloatBatch(split, [0, 4], 0, 2)).toThrow(BatchIndexError);
    expect(() => toFloatBatch(split, [-1], 0, 1)).toThrow(BatchIndexError);
    expect(() => toFloatBatch(split, [0.5], 0, 1)).toThrow(BatchIndexError);
  });
});
