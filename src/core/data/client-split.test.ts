import { describe, expect, it } from 'vitest';
import { splitClientRows } from './client-split.ts';

describe('splitClientRows', () => {
  const labels = Uint8Array.from({ length: 1000 }, (_, i) => i % 4);
  const indices = Int32Array.from({ length: 400 }, (_, i) => i * 2); // labels 0 and 2 only

  it('splits every row into exactly one part, about 70/10/20, per class', () => {
    const r = splitClientRows(indices, labels, 5, 3);
    const all = [...r.train, ...r.validation, ...r.test].sort((a, b) => a - b);
    expect(all).toEqual([...indices]);
    expect(r.test.length).toBe(80);
    expect(r.validation.length).toBe(40);
    for (const part of [r.train, r.validation, r.test]) {
      const zeros = [...part].filter((i) => labels[i] === 0).length;
      expect(zeros * 2).toBe(part.length); // both classes equally, as in the client's rows
    }
  });

  it('is a function of (seed, client) only', () => {
    const a = splitClientRows(indices, labels, 5, 3);
    expect(splitClientRows(indices, labels, 5, 3)).toEqual(a);
    expect(splitClientRows(indices, labels, 5, 4).test).not.toEqual(a.test);
    expect(splitClientRows(indices, labels, 6, 3).test).not.toEqual(a.test);
  });

  it('keeps a single row of a class for training', () => {
    const r = splitClientRows(Int32Array.of(1), labels, 1, 0);
    expect([...r.train]).toEqual([1]);
    expect(r.test.length + r.validation.length).toBe(0);
  });
});
