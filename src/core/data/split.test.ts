import { describe, expect, it } from 'vitest';
import { indicesByClass, SplitError, stratifiedSplit } from './split.ts';

/** 10 classes with uneven sizes (50 + 5c samples of class c), stored sorted by class like the sources. */
const pool = Uint8Array.from(Array.from({ length: 10 }, (_, c) => new Array<number>(50 + 5 * c).fill(c)).flat());

const histogram = (labels: Uint8Array, idx: Int32Array): number[] => {
  const h = new Array<number>(10).fill(0);
  for (const i of idx) h[labels[i]!]! += 1;
  return h;
};

describe('stratifiedSplit', () => {
  it('holds out exactly testPerClass of every class, each index once', () => {
    const { train, test } = stratifiedSplit({ labels: pool, testPerClass: 20, seed: 1 });
    expect(histogram(pool, test)).toEqual(new Array<number>(10).fill(20));
    expect(histogram(pool, train)).toEqual(Array.from({ length: 10 }, (_, c) => 30 + 5 * c));
    const all = [...train, ...test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: pool.length }, (_, i) => i));
  });

  it('is deterministic per seed and different across seeds', () => {
    const a = stratifiedSplit({ labels: pool, testPerClass: 20, seed: 1 });
    const b = stratifiedSplit({ labels: pool, testPerClass: 20, seed: 1 });
    const c = stratifiedSplit({ labels: pool, testPerClass: 20, seed: 2 });
    expect(Array.from(b.test)).toEqual(Array.from(a.test));
    expect(Array.from(b.train)).toEqual(Array.from(a.train));
    expect(Array.from(c.test)).not.toEqual(Array.from(a.test));
  });

  it('shuffles, so the first batch mixes classes', () => {
    const { train, test } = stratifiedSplit({ labels: pool, testPerClass: 20, seed: 3 });
    const firstClasses = (idx: Int32Array) => new Set(Array.from(idx.subarray(0, 32), (i) => pool[i])).size;
    expect(firstClasses(train)).toBeGreaterThanOrEqual(6);
    expect(firstClasses(test)).toBeGreaterThanOrEqual(6);
  });

  it('refuses to empty a class or take a bad count', () => {
    expect(() => stratifiedSplit({ labels: pool, testPerClass: 50, seed: 1 })).toThrow(SplitError);
    expect(() => stratifiedSplit({ labels: pool, testPerClass: -1, seed: 1 })).toThrow(SplitError);
  });
});

describe('indicesByClass', () => {
  it('groups indices by label, ascending, with empty groups for missing classes', () => {
    const groups = indicesByClass(Uint8Array.of(2, 0, 2, 2));
    expect(groups.map((g) => Array.from(g))).toEqual([[1], [], [0, 2, 3]]);
  });
});
