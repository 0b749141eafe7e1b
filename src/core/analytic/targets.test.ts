import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { inverseActivation } from './activation.ts';
import { maxRelDiff } from './dense.ts';
import { createGramAccumulator } from './gram.ts';
import { scaledGamma, solveRidge } from './ridge.ts';
import { hiddenTargets, labelCode, oneHotTargets } from './targets.ts';

const C = 4;
const F = 5;
const ROWS = 60;
const WIDTH = 12;

function data(seed: number): { x: Float32Array; labels: Uint8Array } {
  const rng = createRng(seed);
  return {
    x: Float32Array.from({ length: ROWS * F }, () => rng.normal()),
    labels: Uint8Array.from({ length: ROWS }, () => rng.int(C)),
  };
}

describe('labelCode', () => {
  it('is determined by (seed, layer) and differs between layers', () => {
    expect(labelCode(C, WIDTH, 3, 0, 'sign')).toEqual(labelCode(C, WIDTH, 3, 0, 'sign'));
    expect(labelCode(C, WIDTH, 3, 1, 'sign')).not.toEqual(labelCode(C, WIDTH, 3, 0, 'sign'));
    expect(labelCode(C, WIDTH, 4, 0, 'sign')).not.toEqual(labelCode(C, WIDTH, 3, 0, 'sign'));
  });

  it('draws the documented entries', () => {
    expect(labelCode(C, 200, 1, 0, 'sign').every((v) => v === 1 || v === -1)).toBe(true);
    expect(labelCode(C, 200, 1, 0, 'binary').every((v) => v === 0 || v === 1)).toBe(true);
    const g = labelCode(C, 2000, 1, 0, 'gaussian');
    const variance = g.reduce((s, v) => s + v * v, 0) / g.length;
    expect(variance).toBeGreaterThan(0.8 / C);
    expect(variance).toBeLessThan(1.2 / C);
  });
});

describe('oneHotTargets', () => {
  it('encodes labels as 0/1 or ±1 rows, zero rows for out-of-range labels', () => {
    expect(Array.from(oneHotTargets([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(Array.from(oneHotTargets([1], 3, true))).toEqual([-1, 1, -1]);
    expect(Array.from(oneHotTargets([7], 3))).toEqual([0, 0, 0]);
  });
});

describe('hiddenTargets', () => {
  const { x, labels } = data(1);
  const init = { numClasses: C, width: WIDTH, seed: 5, layer: 0, activation: 'tanh' } as const;

  it('label-encoding: explicit targets are φ⁻¹(clip(Y·E)) per row', () => {
    const rule = hiddenTargets({ ...init, scheme: 'label-encoding' });
    const t = rule.targets([2]);
    const code = rule.code!;
    for (let j = 0; j < WIDTH; j++) expect(t[j]).toBeCloseTo(inverseActivation('tanh', code[2 * WIDTH + j]!), 6);
  });

  it('label-encoding: weights from one-hot statistics equal the ridge fit of the explicit targets', () => {
    const rule = hiddenTargets({ ...init, scheme: 'label-encoding' });
    const compressed = createGramAccumulator({ features: F, targets: rule.statsWidth, bias: true });
    compressed.addRows(x, rule.statsTargets(labels), ROWS);
    const explicit = createGramAccumulator({ features: F, targets: WIDTH, bias: true });
    explicit.addRows(x, rule.targets(labels), ROWS);
    const sum = compressed.stats();
    const gamma = scaledGamma(sum, 1e-2);
    const w = rule.weights({ dIn: F + 1, sum, gamma });
    const direct = solveRidge(explicit.stats(), { gamma });
    if (!w.ok || !direct.ok) throw new Error('solve');
    expect(w.value.length).toBe((F + 1) * WIDTH);
    expect(maxRelDiff(w.value, direct.value.w)).toBeLessThan(1e-6); // float32 targets on the explicit route
  });

  it('correlation-projection: unit-norm columns proportional to ΣXᵀ·Y·E', () => {
    const rule = hiddenTargets({ ...init, scheme: 'correlation-projection' });
    const acc = createGramAccumulator({ features: F, targets: C, bias: true });
    acc.addRows(x, rule.statsTargets(labels), ROWS);
    const w = rule.weights({ dIn: F + 1, sum: acc.stats(), gamma: 0 });
    const explicit = createGramAccumulator({ features: F, targets: WIDTH, bias: true });
    explicit.addRows(x, rule.targets(labels), ROWS);
    const b = explicit.stats().b;
    if (!w.ok) throw new Error(w.error.message);
    for (let c = 0; c < WIDTH; c++) {
      let norm = 0;
      for (let r = 0; r <= F; r++) norm += w.value[r * WIDTH + c]! ** 2;
      expect(norm).toBeCloseTo(1, 10);
      const ratio = w.value[c]! / b[c]!;
      for (let r = 1; r <= F; r++) expect(w.value[r * WIDTH + c]! / b[r * WIDTH + c]!).toBeCloseTo(ratio, 6);
    }
  });

  it('random-features: seeded weights, no statistics needed', () => {
    const rule = hiddenTargets({ ...init, scheme: 'random-features' });
    expect(rule.needsStats).toBe(false);
    const a = rule.weights({ dIn: F + 1, gamma: 0 });
    const b = hiddenTargets({ ...init, scheme: 'random-features' }).weights({ dIn: F + 1, gamma: 0 });
    const other = hiddenTargets({ ...init, seed: 6, scheme: 'random-features' }).weights({ dIn: F + 1, gamma: 0 });
    expect(a.ok && b.ok && a.value).toEqual(b.ok ? b.value : null);
    expect(a.ok && other.ok && maxRelDiff(a.value, other.value)).toBeGreaterThan(0.1);
  });

  it('refuses missing or mis-shaped statistics', () => {
    const rule = hiddenTargets({ ...init, scheme: 'label-encoding' });
    expect(rule.weights({ dIn: F + 1, gamma: 1 }).ok).toBe(false);
    const acc = createGramAccumulator({ features: F, targets: WIDTH, bias: true });
    expect(rule.weights({ dIn: F + 1, sum: acc.stats(), gamma: 1 }).ok).toBe(false);
  });
});
