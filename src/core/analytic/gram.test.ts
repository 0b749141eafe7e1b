import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { createGramAccumulator, gramFromVector, gramToVector, sumGramStats } from './gram.ts';
import type { GramStats } from './gram-stats.ts';
import { unpackUpper } from './packed-symmetric.ts';

const FEATURES = 6;
const TARGETS = 3;

/** rows×FEATURES float32 inputs with ~half zeros, and rows×TARGETS targets. */
function data(rows: number, seed: number): { x: Float32Array; t: Float32Array } {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: rows * FEATURES }, () => (rng.next() < 0.5 ? 0 : rng.normal()));
  const t = Float32Array.from({ length: rows * TARGETS }, () => rng.normal());
  return { x, t };
}

function accumulate(x: Float32Array, t: Float32Array, rows: number, batches: readonly number[], bias = true): GramStats {
  const acc = createGramAccumulator({ features: FEATURES, targets: TARGETS, bias });
  let at = 0;
  for (const size of batches) {
    acc.addRows(x.subarray(at * FEATURES, (at + size) * FEATURES), t.subarray(at * TARGETS, (at + size) * TARGETS), size);
    at += size;
  }
  expect(at).toBe(rows);
  return acc.stats();
}

describe('createGramAccumulator', () => {
  it('computes A = XᵀX and B = XᵀT with a bias column (hand-checked example)', () => {
    const acc = createGramAccumulator({ features: 2, targets: 1, bias: true });
    acc.addRows(Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 0]), 2);
    const s = acc.stats();
    expect(Array.from(s.aUpper)).toEqual([10, 14, 4, 20, 6, 2]);
    expect(Array.from(s.b)).toEqual([1, 2, 1]);
    expect(s.count).toBe(2);
    expect(s.dIn).toBe(3);
  });

  it('matches a naive XᵀX / XᵀT in float64', () => {
    const rows = 40;
    const { x, t } = data(rows, 1);
    const s = accumulate(x, t, rows, [rows], false);
    const a = unpackUpper(s.aUpper, FEATURES);
    for (let i = 0; i < FEATURES; i++) {
      for (let j = 0; j < FEATURES; j++) {
        let sum = 0;
        for (let r = 0; r < rows; r++) sum += x[r * FEATURES + i]! * x[r * FEATURES + j]!;
        expect(a[i * FEATURES + j]).toBeCloseTo(sum, 10);
      }
      for (let c = 0; c < TARGETS; c++) {
        let sum = 0;
        for (let r = 0; r < rows; r++) sum += x[r * FEATURES + i]! * t[r * TARGETS + c]!;
        expect(s.b[i * TARGETS + c]).toBeCloseTo(sum, 10);
      }
    }
  });

  it('gives bit-identical sums for any batch split (the adaptive-batch property)', () => {
    const rows = 97;
    const { x, t } = data(rows, 2);
    const whole = accumulate(x, t, rows, [97]);
    for (const split of [[1, 96], [50, 47], [10, 10, 10, 10, 10, 10, 10, 10, 10, 7], Array<number>(97).fill(1)]) {
      const s = accumulate(x, t, rows, split);
      expect(s.aUpper).toEqual(whole.aUpper);
      expect(s.b).toEqual(whole.b);
      expect(s.count).toBe(rows);
    }
  });

  it('sparse and dense kernels give bit-identical sums', () => {
    const rows = 300; // more than one dense block of 256 rows
    const { x, t } = data(rows, 3);
    const run = (kernel: 'sparse' | 'dense'): GramStats => {
      const acc = createGramAccumulator({ features: FEATURES, targets: TARGETS, bias: true });
      acc.addRows(x, t, rows, kernel);
      return acc.stats();
    };
    const sparse = run('sparse');
    const dense = run('dense');
    expect(dense.aUpper).toEqual(sparse.aUpper);
    expect(dense.b).toEqual(sparse.b);
  });

  it('keeps the bias diagonal equal to the row count', () => {
    const { x, t } = data(13, 4);
    const s = accumulate(x, t, 13, [5, 8]);
    expect(s.aUpper[s.aUpper.length - 1]).toBe(13);
  });

  it('throws a GramShapeError on a mis-sized batch (programmer error)', () => {
    const acc = createGramAccumulator({ features: 2, targets: 1 });
    expect(() => {
      acc.addRows(new Float32Array(3), new Float32Array(2), 2);
    }).toThrow(/batch of 2 rows/);
    expect(() => createGramAccumulator({ features: 0, targets: 1 })).toThrow(/bad Gram shape/);
  });
});

describe('addStats / sumGramStats', () => {
  const { x, t } = data(20, 5);
  const good = accumulate(x, t, 20, [20]);
  const shape = { dIn: good.dIn, dOut: good.dOut, bias: true };

  it('sums contributions', () => {
    const sum = sumGramStats(shape, [good, good]);
    if (!sum.ok) throw new Error(sum.error.message);
    expect(sum.value.count).toBe(40);
    expect(sum.value.aUpper[0]).toBe(2 * good.aUpper[0]!);
  });

  it('refuses bad contributions with a clear error and leaves the running sum untouched', () => {
    const acc = createGramAccumulator({ features: FEATURES, targets: TARGETS, bias: true });
    expect(acc.addStats(good).ok).toBe(true);
    const before = acc.stats();
    const nanA = Float64Array.from(good.aUpper);
    nanA[3] = NaN;
    const negDiag = Float64Array.from(good.aUpper);
    negDiag[0] = -1;
    const bigOff = Float64Array.from(good.aUpper);
    bigOff[1] = 1e6;
    const infB = Float64Array.from(good.b);
    infB[0] = Infinity;
    const bad: [GramStats, string][] = [
      [{ ...good, aUpper: nanA }, 'non-finite'],
      [{ ...good, b: infB }, 'non-finite'],
      [{ ...good, aUpper: negDiag }, 'not-psd'],
      [{ ...good, aUpper: bigOff }, 'not-psd'],
      [{ ...good, aUpper: good.aUpper.slice(1) }, 'shape'],
      [{ ...good, dOut: 2 }, 'shape'],
      [{ ...good, count: 1.5 }, 'count'],
      [{ ...good, count: 19 }, 'bias'],
    ];
    for (const [c, kind] of bad) {
      const r = acc.addStats(c);
      expect(!r.ok && r.error.kind).toBe(kind);
      expect(!r.ok && r.error.message.length).toBeGreaterThan(10);
    }
    const after = acc.stats();
    expect(after.aUpper).toEqual(before.aUpper);
    expect(after.b).toEqual(before.b);
    expect(after.count).toBe(before.count);
  });

  it('reports which contribution was bad', () => {
    const r = sumGramStats(shape, [good, { ...good, count: -1 }]);
    expect(!r.ok && r.error.index).toBe(1);
  });
});

describe('gramToVector / gramFromVector', () => {
  it('round-trips and checks the length', () => {
    const { x, t } = data(9, 6);
    const s = accumulate(x, t, 9, [9]);
    const v = gramToVector(s);
    expect(v[0]).toBe(9);
    const back = gramFromVector(v, s);
    expect(back.ok && back.value.aUpper).toEqual(s.aUpper);
    expect(back.ok && back.value.b).toEqual(s.b);
    expect(gramFromVector(v.subarray(1), s).ok).toBe(false);
  });
});
