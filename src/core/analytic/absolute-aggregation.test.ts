import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { aaMerge } from './absolute-aggregation.ts';
import type { AaModel } from './absolute-aggregation.ts';
import { maxRelDiff } from './dense.ts';
import { createGramAccumulator, sumGramStats } from './gram.ts';
import { unpackUpper } from './packed-symmetric.ts';
import { solveRidge } from './ridge.ts';

describe('aaMerge (AFL absolute aggregation)', () => {
  it('sequential pairwise merging equals the sum-of-Grams solve (ΣA + KγI)⁻¹ΣB', () => {
    const n = 5;
    const m = 2;
    const gamma = 0.3;
    const rng = createRng(11);
    const clients = [7, 12, 4, 9].map((rows) => {
      const acc = createGramAccumulator({ features: n, targets: m });
      acc.addRows(
        Float64Array.from({ length: rows * n }, () => rng.normal()),
        Float64Array.from({ length: rows * m }, () => rng.normal()),
        rows,
      );
      return acc.stats();
    });
    const uploads: AaModel[] = clients.map((s) => {
      const solved = solveRidge(s, { gamma });
      if (!solved.ok) throw new Error(solved.error.message);
      const c = unpackUpper(s.aUpper, n);
      for (let i = 0; i < n; i++) c[i * n + i]! += gamma;
      return { w: solved.value.w, c };
    });
    let merged = uploads[0]!;
    for (const next of uploads.slice(1)) {
      const r = aaMerge(merged, next, n, m);
      if (!r.ok) throw new Error(r.error);
      merged = r.value;
    }
    const sum = sumGramStats(clients[0]!, clients);
    if (!sum.ok) throw new Error(sum.error.message);
    const direct = solveRidge(sum.value, { gamma: gamma * clients.length });
    if (!direct.ok) throw new Error(direct.error.message);
    expect(maxRelDiff(merged.w, direct.value.w)).toBeLessThan(1e-9);
    // The single-γ solve is a different model: the law really carries Kγ.
    const single = solveRidge(sum.value, { gamma });
    expect(single.ok && maxRelDiff(merged.w, single.value.w)).toBeGreaterThan(1e-6);
  });

  it('refuses a C that is not positive definite', () => {
    const bad = { w: new Float64Array(2), c: Float64Array.from([1, 0, 0, -1]) };
    const good = { w: new Float64Array(2), c: Float64Array.from([1, 0, 0, 1]) };
    expect(aaMerge(bad, good, 2, 1).ok).toBe(false);
  });
});
