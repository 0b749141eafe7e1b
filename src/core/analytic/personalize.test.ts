import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { maxRelDiff } from './dense.ts';
import { createGramAccumulator } from './gram.ts';
import type { GramStats } from './gram-stats.ts';
import { chooseLambda, groupClients, labelHistogram, personalizedSolve } from './personalize.ts';
import { solveRidge } from './ridge.ts';

const F = 4;
const C = 3;

function localStats(seed: number, rows: number): { stats: GramStats; x: Float32Array; labels: Uint8Array } {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: rows * F }, () => rng.normal());
  const labels = Uint8Array.from({ length: rows }, () => rng.int(C));
  const t = new Float32Array(rows * C);
  labels.forEach((y, r) => (t[r * C + y] = 1));
  const acc = createGramAccumulator({ features: F, targets: C, bias: true });
  acc.addRows(x, t, rows);
  return { stats: acc.stats(), x, labels };
}

describe('personalizedSolve', () => {
  const { stats } = localStats(1, 30);
  const gamma = 0.1;
  const groupW = Float64Array.from({ length: (F + 1) * C }, (_, i) => Math.cos(i));

  it('λ → ∞ gives the group model', () => {
    const big = personalizedSolve(stats, groupW, 1e12, gamma);
    expect(big.ok && maxRelDiff(big.value, groupW)).toBeLessThan(1e-8);
    const inf = personalizedSolve(stats, groupW, Infinity, gamma);
    expect(inf.ok && inf.value).toEqual(groupW);
  });

  it('λ → 0 gives local ridge', () => {
    const local = solveRidge(stats, { gamma });
    if (!local.ok) throw new Error(local.error.message);
    const zero = personalizedSolve(stats, groupW, 0, gamma);
    expect(zero.ok && zero.value).toEqual(local.value.w);
    const tiny = personalizedSolve(stats, groupW, 1e-12, gamma);
    expect(tiny.ok && maxRelDiff(tiny.value, local.value.w)).toBeLessThan(1e-9);
    // In between it is neither.
    const mid = personalizedSolve(stats, groupW, 10, gamma);
    expect(mid.ok && maxRelDiff(mid.value, local.value.w)).toBeGreaterThan(1e-3);
    expect(mid.ok && maxRelDiff(mid.value, groupW)).toBeGreaterThan(1e-3);
  });

  it('refuses a group model of the wrong shape', () => {
    expect(personalizedSolve(stats, new Float64Array(3), Infinity, gamma).ok).toBe(false);
    expect(personalizedSolve(stats, new Float64Array(3), 1, gamma).ok).toBe(false);
  });
});

describe('chooseLambda', () => {
  it('picks the group model when it is right and local ridge when the group model is wrong', () => {
    // A client whose labels are a fixed linear function of x: local ridge fits it; a zero group model does not.
    const rows = 80;
    const rng = createRng(2);
    const x = Float32Array.from({ length: rows * F }, () => rng.normal());
    const labels = Uint8Array.from({ length: rows }, (_, r) => (x[r * F]! > 0 ? 0 : 1));
    const t = new Float32Array(rows * C);
    labels.forEach((y, r) => (t[r * C + y] = 1));
    const acc = createGramAccumulator({ features: F, targets: C, bias: true });
    acc.addRows(x.subarray(0, 60 * F), t.subarray(0, 60 * C), 60);
    const local = acc.stats();
    const validation = { x: x.subarray(60 * F), rows: 20, labels: labels.subarray(60) };
    const good = solveRidge(local, { gamma: 0.01 });
    if (!good.ok) throw new Error('solve');
    const keep = chooseLambda({ local, groupW: good.value.w, gamma: 0.01, validation });
    expect(keep.ok && keep.value.lambda).toBe(Infinity); // ties favour the group model, listed first
    const wrong = new Float64Array((F + 1) * C);
    for (let r = 0; r <= F; r++) wrong[r * C + 2] = r === F ? 5 : 0; // always predicts class 2
    const fix = chooseLambda({ local, groupW: wrong, gamma: 0.01, validation });
    expect(fix.ok && fix.value.lambda).not.toBe(Infinity);
    expect(fix.ok && fix.value.accuracy).toBeGreaterThan(0.8);
    expect(chooseLambda({ local, groupW: wrong, gamma: 0.01, validation, grid: [] }).ok).toBe(false);
  });
});

describe('groupClients', () => {
  const rng = createRng(4);
  // Three kinds of clients: labels {0,1}, {2,3}, {4,5} out of 6, with noise.
  const hist = (pair: number): Float64Array =>
    labelHistogram(Array.from({ length: 100 }, () => (rng.next() < 0.9 ? pair * 2 + rng.int(2) : rng.int(6))), 6);
  const kinds = [0, 1, 2, 0, 1, 2, 0, 1, 2, 2];
  const descriptors = kinds.map(hist);

  it('recovers the label-skew groups, deterministically', () => {
    const g = groupClients(descriptors, { groups: 3, seed: 1 });
    for (let i = 0; i < kinds.length; i++) {
      for (let j = 0; j < kinds.length; j++) expect(g[i] === g[j]).toBe(kinds[i] === kinds[j]);
    }
    expect(groupClients(descriptors, { groups: 3, seed: 1 })).toEqual(g);
    expect(Array.from(g).slice(0, 3)).toEqual([0, 1, 2]); // numbered by first member
  });

  it('merges groups of near-identical (IID) clients into one', () => {
    const iid = Array.from({ length: 8 }, () => labelHistogram(Array.from({ length: 500 }, () => rng.int(6)), 6));
    expect(new Set(groupClients(iid, { groups: 4, seed: 2 })).size).toBe(1);
    expect(new Set(groupClients(iid, { groups: 4, seed: 2, mergeBelow: 0 })).size).toBe(4);
  });

  it('handles M = 1, M > clients and no clients', () => {
    expect(Array.from(groupClients(descriptors, { groups: 1, seed: 1 }))).toEqual(Array<number>(10).fill(0));
    expect(new Set(groupClients(descriptors.slice(0, 2), { groups: 5, seed: 1, mergeBelow: 0 })).size).toBe(2);
    expect(groupClients([], { groups: 3, seed: 1 }).length).toBe(0);
  });
});

describe('labelHistogram', () => {
  it('normalises counts and ignores labels out of range', () => {
    expect(Array.from(labelHistogram([0, 0, 2, 9], 3))).toEqual([2 / 3, 0, 1 / 3]);
    expect(Array.from(labelHistogram([], 2))).toEqual([0, 0]);
  });
});
