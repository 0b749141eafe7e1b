import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { AGGREGATION_RULES, isAggregationRule, robustAggregate } from './robust-aggregate.ts';
import { weightedMean, type Weighted } from './weighted-mean.ts';

/** One part with the given weight and tensors given as plain number lists. */
const part = (weight: number, ...tensors: number[][]): Weighted => ({
  weight,
  arrays: tensors.map((t) => Float32Array.from(t)),
});
const values = (arrays: readonly Float32Array[]): number[][] => arrays.map((a) => Array.from(a));

/** ||a - b|| / ||b|| over all tensors, in float64. */
function relativeError(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let diff = 0;
  let ref = 0;
  b.forEach((bt, t) => {
    const at = a[t]!;
    for (let j = 0; j < bt.length; j++) {
      diff += (at[j]! - bt[j]!) ** 2;
      ref += bt[j]! ** 2;
    }
  });
  return Math.sqrt(diff / ref);
}

describe('isAggregationRule', () => {
  it('accepts exactly the listed rules', () => {
    expect(AGGREGATION_RULES).toEqual(['mean', 'clip', 'trimmed', 'median']);
    for (const r of AGGREGATION_RULES) expect(isAggregationRule(r)).toBe(true);
    expect(isAggregationRule('Median')).toBe(false);
    expect(isAggregationRule('krum')).toBe(false);
    expect(isAggregationRule('')).toBe(false);
  });
});

describe("robustAggregate 'mean'", () => {
  it('is exactly weightedMean', () => {
    const parts = [part(7, [0.1, -3.3], [1e-7]), part(2, [5.5, 0.25], [2]), part(11, [-1, 9], [0.3])];
    const r = robustAggregate(parts, 'mean');
    expect(r.arrays).toEqual(weightedMean(parts));
    expect(r.clipped).toBe(0);
    expect(r.trimmedPerSide).toBe(0);
  });
});

describe("robustAggregate 'clip'", () => {
  it('leaves parts with similar norms untouched (same result as the weighted mean)', () => {
    // Norms 5, 5.39, 6.08: the median is 5.39 and the threshold 10.77, above all of them.
    const parts = [part(1, [3], [4]), part(2, [2], [5]), part(3, [-6], [1])];
    const r = robustAggregate(parts, 'clip');
    expect(r.clipped).toBe(0);
    expect(r.arrays).toEqual(weightedMean(parts));
  });

  it('scales a 100x part down to the threshold, using the global norm over all tensors', () => {
    // Norms 5, 5, 500 (tensors [3],[4] -> sqrt(9 + 16)). Median 5, threshold 2 x 5 = 10, so the poisoned
    // part becomes [300, 400] x 10/500 = [6, 8]. Weighted mean with weights 1, 1, 2:
    // ([3, 4] + [0, 5] + 2 x [6, 8]) / 4 = [15, 25] / 4 = [3.75, 6.25].
    const r = robustAggregate([part(1, [3], [4]), part(1, [0], [5]), part(2, [300], [400])], 'clip');
    expect(r.clipped).toBe(1);
    expect(r.trimmedPerSide).toBe(0);
    expect(r.arrays).toHaveLength(2);
    expect(r.arrays[0]![0]).toBeCloseTo(3.75, 6);
    expect(r.arrays[1]![0]).toBeCloseTo(6.25, 6);
  });

  it('uses clipFactor and the even-count median (mean of the two middle norms)', () => {
    // Norms 1, 2, 4, 40: median (2 + 4) / 2 = 3, threshold 1.5 x 3 = 4.5, so only 40 is clipped, to 4.5.
    // Unit weights: (1 + 2 + 4 + 4.5) / 4 = 2.875.
    const r = robustAggregate([part(1, [1]), part(1, [-2]), part(1, [4]), part(1, [40])], 'clip', {
      clipFactor: 1.5,
    });
    expect(r.clipped).toBe(1);
    expect(r.arrays[0]![0]).toBeCloseTo((1 - 2 + 4 + 4.5) / 4, 6);
  });

  it('drops a part holding NaN or Infinity, and its weight with it', () => {
    // Kept: [1, 2] (weight 1) and [3, 4] (weight 3) -> [(1 + 9) / 4, (2 + 12) / 4] = [2.5, 3.5].
    const r = robustAggregate(
      [part(1, [1, 2]), part(5, [Number.NaN, 0]), part(3, [3, 4]), part(2, [0, Infinity])],
      'clip',
    );
    expect(r.clipped).toBe(2);
    expect(values(r.arrays)).toEqual([[2.5, 3.5]]);
  });

  it('throws when every part is dropped', () => {
    expect(() => robustAggregate([part(1, [Number.NaN]), part(1, [-Infinity])], 'clip')).toThrow(RangeError);
  });

  it('scales nonzero parts to zero when the median norm is zero, without NaN', () => {
    const r = robustAggregate([part(1, [0, 0]), part(1, [0, 0]), part(2, [3, -4])], 'clip');
    expect(r.clipped).toBe(1);
    expect(values(r.arrays)).toEqual([[0, 0]]);
  });

  it('rejects a bad clipFactor', () => {
    const parts = [part(1, [1])];
    for (const clipFactor of [0, -1, Number.NaN, Infinity]) {
      expect(() => robustAggregate(parts, 'clip', { clipFactor })).toThrow(RangeError);
    }
  });
});

describe("robustAggregate 'trimmed'", () => {
  it('drops one value at each end of 5 (default 0.2) and averages the middle 3, unweighted', () => {
    // Coordinate 0: 1, 2, 3, 4, 300 -> mean(2, 3, 4) = 3. Coordinate 1: -2, 0, 1, 5, 500 -> mean(0, 1, 5) = 2.
    // Weights differ on purpose: they must not matter.
    const parts = [part(1, [1, -2]), part(2, [2, 0]), part(3, [3, 5]), part(4, [4, 1]), part(5, [300, 500])];
    const r = robustAggregate(parts, 'trimmed');
    expect(r.trimmedPerSide).toBe(1);
    expect(r.clipped).toBe(0);
    expect(values(r.arrays)).toEqual([[3, 2]]);
  });

  it('with trimFraction 0 is the plain unweighted mean', () => {
    const r = robustAggregate([part(9, [1, 0.5]), part(1, [2, 0.25]), part(5, [4, -1])], 'trimmed', {
      trimFraction: 0,
    });
    expect(r.trimmedPerSide).toBe(0);
    expect(values(r.arrays)).toEqual([[Math.fround(7 / 3), Math.fround(-0.25 / 3)]]);
  });

  it('always keeps at least one value', () => {
    // n = 2: floor(0.49 x 2) = 0, both kept.
    const two = robustAggregate([part(1, [1]), part(1, [4])], 'trimmed', { trimFraction: 0.49 });
    expect(two.trimmedPerSide).toBe(0);
    expect(values(two.arrays)).toEqual([[2.5]]);
    // n = 3: floor(0.49 x 3) = 1, only the middle value is kept.
    const three = robustAggregate([part(1, [1]), part(1, [4]), part(1, [100])], 'trimmed', { trimFraction: 0.49 });
    expect(three.trimmedPerSide).toBe(1);
    expect(values(three.arrays)).toEqual([[4]]);
    // n = 1: nothing can be trimmed.
    const one = robustAggregate([part(1, [-7])], 'trimmed', { trimFraction: 0.49 });
    expect(one.trimmedPerSide).toBe(0);
    expect(values(one.arrays)).toEqual([[-7]]);
  });

  it('trims non-finite values first (NaN as +Infinity)', () => {
    // Coordinate 0: -Inf, 1, 2, 3, NaN -> 1, 2, 3. Coordinate 1: 4, 5, 6, Inf, NaN with k = 1 keeps 5, 6, Inf.
    const parts = [
      part(1, [-Infinity, 4]),
      part(1, [1, 5]),
      part(1, [2, 6]),
      part(1, [3, Infinity]),
      part(1, [Number.NaN, Number.NaN]),
    ];
    const r = robustAggregate(parts, 'trimmed');
    expect(values(r.arrays)).toEqual([[2, Infinity]]);
  });

  it('does not depend on the order of the parts', () => {
    const parts = [part(1, [0.1, -3.3]), part(2, [5.5, 0.25]), part(3, [-1, 9]), part(4, [7, 1e-7])];
    const a = robustAggregate(parts, 'trimmed', { trimFraction: 0.25 });
    const b = robustAggregate([parts[2]!, parts[0]!, parts[3]!, parts[1]!], 'trimmed', { trimFraction: 0.25 });
    expect(b.arrays).toEqual(a.arrays);
    expect(a.arrays[0]![0]).toBe(Math.fround((Math.fround(0.1) + 5.5) / 2));
  });

  it('rejects a trimFraction outside [0, 0.5)', () => {
    const parts = [part(1, [1]), part(1, [2])];
    for (const trimFraction of [-0.1, 0.5, 1, Number.NaN]) {
      expect(() => robustAggregate(parts, 'trimmed', { trimFraction })).toThrow(RangeError);
    }
  });
});

describe("robustAggregate 'median'", () => {
  it('takes the middle value for an odd count, unweighted', () => {
    const r = robustAggregate([part(10, [5, -1]), part(1, [1, 7]), part(1, [3, 2])], 'median');
    expect(r.trimmedPerSide).toBe(1);
    expect(values(r.arrays)).toEqual([[3, 2]]);
  });

  it('takes the mean of the two middle values for an even count', () => {
    const r = robustAggregate([part(1, [10, 0]), part(1, [1, -4]), part(1, [3, 8]), part(1, [2, 1])], 'median');
    expect(r.trimmedPerSide).toBe(1);
    // Coordinate 0: 1, 2, 3, 10 -> 2.5. Coordinate 1: -4, 0, 1, 8 -> 0.5.
    expect(values(r.arrays)).toEqual([[2.5, 0.5]]);
  });

  it('treats NaN as +Infinity and sorts -Infinity lowest', () => {
    const r = robustAggregate([part(1, [Number.NaN, -Infinity]), part(1, [1, 5]), part(1, [2, 6])], 'median');
    expect(values(r.arrays)).toEqual([[2, 5]]);
  });

  it('handles 8 parts x 100k coordinates over two tensors', () => {
    // Part i, coordinate j (counted across both tensors): j + ((3i + j) mod 8). For a fixed j the offsets
    // run over 0..7 once (3 is coprime to 8), so the median is j + 3.5, exact in float32.
    const sizes = [60_000, 40_000];
    const parts = Array.from({ length: 8 }, (_, i) => {
      let j0 = 0;
      const arrays = sizes.map((size) => {
        const a = new Float32Array(size);
        for (let j = 0; j < size; j++) a[j] = j0 + j + ((3 * i + j0 + j) % 8);
        j0 += size;
        return a;
      });
      return { weight: 1 + i, arrays };
    });
    const r = robustAggregate(parts, 'median');
    expect(r.arrays.map((a) => a.length)).toEqual(sizes);
    expect(r.arrays[0]![0]).toBe(3.5);
    expect(r.arrays[0]![59_999]).toBe(60_002.5);
    expect(r.arrays[1]![0]).toBe(60_003.5);
    expect(r.arrays[1]![39_999]).toBe(100_002.5);
    let wrong = 0;
    r.arrays.forEach((a, t) => {
      const j0 = t === 0 ? 0 : sizes[0]!;
      for (let j = 0; j < a.length; j++) if (a[j] !== j0 + j + 3.5) wrong++;
    });
    expect(wrong).toBe(0);
  });
});

describe('robustAggregate against a poisoned update', () => {
  // 4 honest workers: a shared gradient g plus 10% per-worker noise, two tensors (300 + 700 values).
  const rng = createRng(20240611);
  const sizes = [300, 700];
  const g = sizes.map((n) => Float64Array.from({ length: n }, () => rng.normal()));
  const honest = Array.from({ length: 4 }, (_, i) => ({
    weight: 10 + i,
    arrays: g.map((gt) => Float32Array.from(gt, (v) => v + 0.1 * rng.normal())),
  }));
  const honestMean = weightedMean(honest);
  const attacks: [string, Weighted][] = [
    ['100x an honest gradient', { weight: 10, arrays: honest[0]!.arrays.map((a) => a.map((v) => 100 * v)) }],
    [
      'a huge random vector',
      { weight: 10, arrays: sizes.map((n) => Float32Array.from({ length: n }, () => 1e4 * rng.normal())) },
    ],
  ];

  // Clip still lets the attacker in with a vector of 2x the median norm: for the random vector (orthogonal
  // to g) that is an error of about (10 / 56) x sqrt(1 + 2^2) = 0.40, the tightest of these bounds.
  it.each(attacks)('%s: mean is dragged away, the robust rules stay near the honest mean', (_, poisoned) => {
    const parts = [honest[0]!, honest[1]!, poisoned, honest[2]!, honest[3]!];
    expect(relativeError(robustAggregate(parts, 'mean').arrays, honestMean)).toBeGreaterThan(10);
    for (const rule of ['clip', 'trimmed', 'median'] as const) {
      expect(relativeError(robustAggregate(parts, rule).arrays, honestMean), rule).toBeLessThan(0.5);
    }
    expect(robustAggregate(parts, 'clip').clipped).toBe(1);
  });
});

describe('robustAggregate shape checks', () => {
  it('rejects no parts, mismatched lengths and mismatched tensor counts for every rule', () => {
    for (const rule of AGGREGATION_RULES) {
      expect(() => robustAggregate([], rule)).toThrow(RangeError);
      expect(() => robustAggregate([part(1, [1, 2]), part(1, [1, 2, 3])], rule)).toThrow(RangeError);
      expect(() => robustAggregate([part(1, [1], [2]), part(1, [1], [2, 3])], rule)).toThrow(RangeError);
      expect(() => robustAggregate([part(1, [1]), part(1, [1], [2])], rule)).toThrow(RangeError);
      expect(() => robustAggregate([part(1, [1], [2]), part(1, [1])], rule)).toThrow(RangeError);
      expect(() => robustAggregate([part(1), part(1, [1])], rule)).toThrow(RangeError);
    }
  });
});
