import { describe, expect, it } from 'vitest';
import { planShards, shardOffsets } from './shard-plan.ts';

const MLP = [[784, 128], [128], [128, 10], [10]];
const MLP_N = 784 * 128 + 128 + 128 * 10 + 10; // 101770

/** Brute-force oracle: every allowed cut position in [0, n], enumerated element by element. */
function allowedCuts(shapes: readonly (readonly number[])[]): Set<number> {
  const cuts = new Set([0]);
  let offset = 0;
  for (const shape of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const rowLength = shape.slice(1).reduce((a, b) => a * b, 1);
    for (let i = 1; i <= size; i++) if (i % rowLength === 0 || i === size) cuts.add(offset + i);
    offset += size;
  }
  return cuts;
}

function expectValidPlan(shapes: readonly (readonly number[])[], sizes: readonly number[], shards: number): void {
  const allowed = allowedCuts(shapes);
  const offsets = shardOffsets(sizes);
  expect(sizes).toHaveLength(shards);
  expect(offsets).toHaveLength(shards + 1);
  expect(offsets[shards]).toBe(Math.max(...allowed));
  sizes.forEach((s) => { expect(s).toBeGreaterThanOrEqual(1); });
  offsets.forEach((c) => { expect(allowed.has(c), `cut ${c} is allowed`).toBe(true); });
}

/** Distance from x to the nearest allowed cut (the best any planner could do for that target). */
function bestGap(allowed: Set<number>, x: number): number {
  return Math.min(...[...allowed].map((c) => Math.abs(c - x)));
}

describe('planShards', () => {
  it.each([1, 2, 4])('splits the MNIST MLP into %i equal-weight shards at allowed cuts', (shards) => {
    const r = planShards(MLP, Array<number>(shards).fill(1));
    if (!r.ok) throw new Error(r.error);
    expect(r.value.reduce((a, b) => a + b, 0)).toBe(MLP_N);
    expectValidPlan(MLP, r.value, shards);
    // Each cut is the nearest allowed point to its target (no clamping is needed here).
    const allowed = allowedCuts(MLP);
    shardOffsets(r.value)
      .slice(1, -1)
      .forEach((c, p) => {
        const target = (MLP_N * (p + 1)) / shards;
        expect(Math.abs(c - target)).toBe(bestGap(allowed, target));
      });
    if (shards === 4) r.value.forEach((s) => { expect(Math.abs(s - MLP_N / 4)).toBeLessThan(0.01 * (MLP_N / 4)); });
  });

  it('sizes shards by weight', () => {
    const r = planShards(MLP, [2, 1, 1]);
    if (!r.ok) throw new Error(r.error);
    expectValidPlan(MLP, r.value, 3);
    expect(Math.abs(r.value[0]! - MLP_N / 2)).toBeLessThan(128); // within one row of the first tensor
    expect(Math.abs(r.value[1]! - MLP_N / 4)).toBeLessThan(128);
  });

  it('prefers the tensor boundary on a tie and cuts rank-1 tensors anywhere', () => {
    // [[2,4],[4]]: n = 12, cuts at 0,4,8 | 9,10,11,12. Target 6 is 2 from 4 (row cut) and 8 (boundary).
    expect(planShards([[2, 4], [4]], [1, 1])).toEqual({ ok: true, value: [8, 4] });
    // [[3],[2,3]]: n = 9, cuts 0,1,2,3 | 6,9; target 4.5 is 1.5 from both 3 (boundary) and 6 (row cut).
    expect(planShards([[3], [2, 3]], [1, 1])).toEqual({ ok: true, value: [3, 6] });
    // The same tie with the boundary above: [[2,3],[3]], n = 9, cuts 0,3,6 | 7,8,9; target 4.5 → 6.
    expect(planShards([[2, 3], [3]], [1, 1])).toEqual({ ok: true, value: [6, 3] });
    // Weight [1,3] on [[6]]: target 1.5 → tie of two inner cuts, lower one.
    expect(planShards([[6]], [1, 3])).toEqual({ ok: true, value: [1, 5] });
  });

  it('keeps cuts strictly increasing when targets crowd together', () => {
    const shapes = [[4, 25], [3]]; // cut points: 25, 50, 75, 100 | 101, 102, 103
    const r = planShards(shapes, [1, 1, 1, 1, 1, 1, 100]);
    if (!r.ok) throw new Error(r.error);
    expectValidPlan(shapes, r.value, 7);
    expect(r.value.reduce((a, b) => a + b, 0)).toBe(103);
    // All seven shards exist: as many as there are allowed cut points after 0.
    const max = planShards(shapes, Array<number>(7).fill(1));
    if (!max.ok) throw new Error(max.error);
    expectValidPlan(shapes, max.value, 7);
  });

  it('skips empty tensors and treats a scalar as one row', () => {
    const shapes = [[0, 5], [], [3, 2]]; // n = 7: cut points 0 | 1 | 3, 5, 7
    const r = planShards(shapes, [1, 1, 1]);
    if (!r.ok) throw new Error(r.error);
    expectValidPlan(shapes, r.value, 3);
  });

  it('returns errors for bad weights, bad shapes and too many shards', () => {
    expect(planShards(MLP, []).ok).toBe(false);
    expect(planShards(MLP, [1, 0]).ok).toBe(false);
    expect(planShards(MLP, [1, -2]).ok).toBe(false);
    expect(planShards(MLP, [1, Number.NaN]).ok).toBe(false);
    expect(planShards(MLP, [1, Number.POSITIVE_INFINITY]).ok).toBe(false);
    expect(planShards(MLP, [Number.MAX_VALUE, Number.MAX_VALUE]).ok).toBe(false);
    expect(planShards([[2, 1.5]], [1]).ok).toBe(false);
    expect(planShards([[0, 3]], [1]).ok).toBe(false);
    const tiny = [[2, 3], [3]]; // 2 + 3 = 5 allowed cut points after 0
    expect(planShards(tiny, Array<number>(5).fill(1)).ok).toBe(true);
    expect(planShards(tiny, Array<number>(6).fill(1))).toMatchObject({ ok: false });
  });
});

describe('shardOffsets', () => {
  it('returns the P + 1 prefix sums', () => {
    expect(shardOffsets([3, 4, 5])).toEqual([0, 3, 7, 12]);
    expect(shardOffsets([])).toEqual([0]);
  });
});
