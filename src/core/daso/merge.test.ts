import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { MergeArgumentError, mergeStale, mergeWeights, sumCopies } from './merge.ts';

function randomVectors(count: number, n: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => new Float32Array(n).map(() => rng.normal()));
}

describe('mergeWeights', () => {
  it('sums to one for every group size and wait', () => {
    for (let copies = 1; copies <= 9; copies++) {
      for (let batchesToWait = 0; batchesToWait <= 8; batchesToWait++) {
        const w = mergeWeights({ copies, batchesToWait });
        expect(w.local + copies * w.perCopy).toBeCloseTo(1, 14);
        expect(w.local).toBeGreaterThanOrEqual(0);
        expect(w.perCopy).toBeGreaterThan(0);
      }
    }
  });

  it('gives the local copy 2B against 1 per stale copy', () => {
    expect(mergeWeights({ copies: 2, batchesToWait: 1 })).toEqual({ local: 0.5, perCopy: 0.25 });
    expect(mergeWeights({ copies: 4, batchesToWait: 2 })).toEqual({ local: 0.5, perCopy: 0.125 });
    const w = mergeWeights({ copies: 3, batchesToWait: 4 });
    expect(w.local / w.perCopy).toBeCloseTo(8, 12);
  });

  it('weights the local copy 0 and each copy 1/P when B = 0 (blocking)', () => {
    expect(mergeWeights({ copies: 4, batchesToWait: 0 })).toEqual({ local: 0, perCopy: 0.25 });
  });

  it('rejects bad shapes with a named error', () => {
    expect(() => mergeWeights({ copies: 0, batchesToWait: 1 })).toThrow(MergeArgumentError);
    expect(() => mergeWeights({ copies: 2, batchesToWait: -1 })).toThrow(MergeArgumentError);
    expect(() => mergeWeights({ copies: 1.5, batchesToWait: 1 })).toThrow(MergeArgumentError);
  });
});

describe('mergeStale', () => {
  it('equals the mean of the copies when B = 0, whatever the local vector holds', () => {
    const copies = randomVectors(3, 50, 1);
    const [junk] = randomVectors(1, 50, 2);
    const merged = mergeStale(junk!, sumCopies(copies), { copies: 3, batchesToWait: 0 });
    for (let i = 0; i < 50; i++) {
      const mean = (copies[0]![i]! + copies[1]![i]! + copies[2]![i]!) / 3;
      expect(merged[i]).toBeCloseTo(mean, 6);
    }
  });

  it('computes (2B·θ + Σθ_i) / (2B + P) element-wise', () => {
    const rng = createRng(5);
    const copies = randomVectors(2, 20, 3);
    const local = new Float32Array(20).map(() => rng.normal());
    const merged = mergeStale(local, sumCopies(copies), { copies: 2, batchesToWait: 3 });
    for (let i = 0; i < 20; i++) {
      const expected = (6 * local[i]! + copies[0]![i]! + copies[1]![i]!) / 8;
      expect(merged[i]).toBeCloseTo(expected, 6);
    }
    // With B > 0 the result is not simply the mean of the copies.
    const mean = mergeStale(local, sumCopies(copies), { copies: 2, batchesToWait: 0 });
    expect(Array.from(merged)).not.toEqual(Array.from(mean));
  });

  it('leaves a consensus unchanged (the weights are an affine combination)', () => {
    const v = randomVectors(1, 30, 9)[0]!;
    for (const batchesToWait of [0, 1, 2, 5]) {
      const merged = mergeStale(v, sumCopies([v, v, v, v]), { copies: 4, batchesToWait });
      for (let i = 0; i < 30; i++) expect(merged[i]).toBeCloseTo(v[i]!, 6);
    }
  });

  it('does not modify its inputs', () => {
    const local = new Float32Array([1, 2, 3]);
    const sum = new Float64Array([4, 5, 6]);
    mergeStale(local, sum, { copies: 2, batchesToWait: 1 });
    expect(Array.from(local)).toEqual([1, 2, 3]);
    expect(Array.from(sum)).toEqual([4, 5, 6]);
  });

  it('rejects mismatched lengths', () => {
    expect(() => mergeStale(new Float32Array(2), new Float64Array(3), { copies: 1, batchesToWait: 1 })).toThrow(
      MergeArgumentError,
    );
  });
});

describe('sumCopies', () => {
  it('accumulates in float64 (a float32 running sum would lose the 1)', () => {
    const s = sumCopies([new Float32Array([1e8]), new Float32Array([1]), new Float32Array([-1e8])]);
    expect(s[0]).toBe(1);
  });

  it('rejects an empty list and mismatched lengths', () => {
    expect(() => sumCopies([])).toThrow(MergeArgumentError);
    expect(() => sumCopies([new Float32Array(1), new Float32Array(2)])).toThrow(MergeArgumentError);
  });
});
