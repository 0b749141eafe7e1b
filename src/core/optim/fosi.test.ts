import { describe, expect, it } from 'vitest';
import { dot } from '../linalg/vec.ts';
import { createRng } from '../rng.ts';
import {
  FOSI_DEFAULTS,
  FosiArgumentError,
  baseStep,
  createFosi,
  initBaseState,
  type BaseOptimizer,
  type FosiState,
} from './fosi.ts';
import { extremeSpectrum, type EigenInfo } from './spectrum.ts';

const randomVec = (n: number, seed: number): Float32Array => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};

/** k orthonormal rows in R^n (Gram–Schmidt of seeded Gaussians). */
function orthonormalRows(k: number, n: number, seed: number): Float32Array[] {
  const rows: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = Float64Array.from(randomVec(n, seed + j));
    for (const r of rows) {
      const c = dot(v, r);
      r.forEach((x, i) => (v[i] = v[i]! - c * x));
    }
    const s = Math.sqrt(dot(v, v));
    rows.push(v.map((x) => x / s));
  }
  return rows.map((r) => Float32Array.from(r));
}

/** True for numbers, strings, booleans, typed arrays and arrays/objects of those: what a checkpoint can hold. */
function isPlainData(x: unknown): boolean {
  if (['number', 'string', 'boolean'].includes(typeof x) || ArrayBuffer.isView(x)) return true;
  if (Array.isArray(x)) return x.every(isPlainData);
  if (typeof x !== 'object' || x === null || Object.getPrototypeOf(x) !== Object.prototype) return false;
  return Object.values(x).every(isPlainData);
}

const BASES: BaseOptimizer[] = [
  { kind: 'sgd', lr: 0.1 },
  { kind: 'heavy-ball', lr: 0.05 },
  { kind: 'heavy-ball', lr: 0.05, momentum: 0.8, nesterov: true },
  { kind: 'adam', lr: 1e-3 },
];

describe('FOSI without eigen-information', () => {
  it.each(BASES)('is bit-identical to its base optimizer ($kind), even when curvature arrives in warmup', (base) => {
    const n = 64;
    const fosi = createFosi({ base, warmup: 25 });
    const eigen: EigenInfo = { eigvals: Float64Array.of(3), eigvecs: orthonormalRows(1, n, 9), k: 1, l: 0 };
    let state = fosi.init(new Float32Array(n));
    let baseState = initBaseState(base, n);
    for (let t = 0; t < 20; t++) {
      const g = randomVec(n, 100 + t);
      const r = fosi.update(g, state, new Float32Array(n), t % 5 === 0 ? eigen : null);
      const b = baseStep(base, g, baseState);
      expect(r.installed).toBe(false);
      expect(r.updates).toEqual(b.step);
      state = r.state;
      baseState = b.state;
    }
    expect(state.count).toBe(20);
    expect(state.eigenStep).toBe(-1);
  });
});

describe('baseStep', () => {
  it('matches the textbook formulas (SGD, heavy-ball, Nesterov, bias-corrected Adam)', () => {
    const g1 = Float32Array.of(1, -2);
    const g2 = Float32Array.of(0.5, 4);
    const two = (opt: BaseOptimizer): Float32Array => baseStep(opt, g2, baseStep(opt, g1, initBaseState(opt, 2)).state).step;
    expect(Array.from(two({ kind: 'sgd', lr: 0.1 }))).toEqual([-0.05, -0.4].map(Math.fround));
    // heavy-ball: trace = g2 + 0.9·g1 = (1.4, 2.2)
    expect(Array.from(two({ kind: 'heavy-ball', lr: 0.1 }))).toEqual([-0.14, -0.22].map((x) => expect.closeTo(x, 6) as number));
    // Nesterov: g2 + 0.9·trace = (0.5 + 1.26, 4 + 1.98)
    const nest = two({ kind: 'heavy-ball', lr: 0.1, nesterov: true });
    expect(Array.from(nest)).toEqual([-0.176, -0.598].map((x) => expect.closeTo(x, 6) as number));
    const adam = two({ kind: 'adam', lr: 0.01 });
    const m = [0.1 * 0.9 * 1 + 0.1 * 0.5, 0.1 * 0.9 * -2 + 0.1 * 4];
    const v = [0.001 * 0.999 * 1 + 0.001 * 0.25, 0.001 * 0.999 * 4 + 0.001 * 16];
    const expected = m.map((mi, i) => (-0.01 * (mi / (1 - 0.81))) / (Math.sqrt(v[i]! / (1 - 0.999 ** 2)) + 1e-8));
    expected.forEach((x, i) => {
      expect(adam[i]!).toBeCloseTo(x, 7);
    });
  });
});

describe('FOSI with eigen-information', () => {
  const n = 40;
  const V = orthonormalRows(3, n, 1);
  const eigen: EigenInfo = { eigvals: Float64Array.of(-2, 10, 50), eigvecs: V, k: 2, l: 1 };

  it('installs η = 1/|λ| and s = clip(λ_max/λ_k, 1, c), once warmup is over', () => {
    const fosi = createFosi({ base: { kind: 'sgd', lr: 0.1 }, warmup: 3 });
    let state = fosi.init(new Float32Array(n));
    for (let t = 0; t < 2; t++) state = fosi.update(randomVec(n, t), state, new Float32Array(n), eigen).state;
    expect(state.eigvecs).toHaveLength(0);
    const r = fosi.update(randomVec(n, 7), state, new Float32Array(n), eigen);
    expect(r.installed).toBe(true);
    expect(Array.from(r.state.etas)).toEqual([0.5, 0.1, 0.02].map((x) => expect.closeTo(x, 12) as number));
    expect(r.state.scale).toBe(3); // 50/10 = 5, clipped to c = 3
    expect(r.state.eigenStep).toBe(2);
    const adam = createFosi({ base: { kind: 'adam', lr: 1e-3 }, warmup: 1 });
    const ra = adam.update(randomVec(n, 7), adam.init(new Float32Array(n)), new Float32Array(n), eigen);
    expect([adam.config.clip, ra.state.scale]).toEqual([1, 1]); // the reference forces c = 1 for Adam
  });

  it('splits the step: Newton part in span(V), re-orthogonalised base step with no component in span(V)', () => {
    const fosi = createFosi({ base: { kind: 'adam', lr: 0.01 }, warmup: 1, alpha: 0 });
    let state: FosiState = fosi.init(new Float32Array(n));
    let r = fosi.update(randomVec(n, 3), state, new Float32Array(n), eigen);
    for (let t = 0; t < 5; t++) {
      state = r.state;
      r = fosi.update(randomVec(n, 10 + t), state, new Float32Array(n), null);
    }
    const scale = Math.sqrt(dot(r.updates, r.updates));
    for (const v of V) expect(Math.abs(dot(v, r.updates)) / scale).toBeLessThan(1e-6);
    // Without the re-orthogonalisation Adam's elementwise step would leak into span(V): the check is not vacuous.
    const g = randomVec(n, 14);
    const proj = V.map((v) => dot(v, g));
    const g2 = g.map((x, i) => x - V.reduce((s, v, j) => s + proj[j]! * v[i]!, 0));
    const raw = baseStep(fosi.config.base, g2, state.base).step;
    expect(Math.max(...V.map((v) => Math.abs(dot(v, raw)))) / Math.sqrt(dot(raw, raw))).toBeGreaterThan(1e-2);

    // Newton part alone (SGD velocity, lr 0): updates = −α Vᵀ(η ⊙ V g) ∈ span(V).
    const newton = createFosi({ base: { kind: 'sgd', lr: 0 }, warmup: 1, alpha: 0.5 });
    const rn = newton.update(g, newton.init(new Float32Array(n)), new Float32Array(n), eigen);
    const etas = [0.5, 0.1, 0.02];
    const expected = g.map((_, i) => -0.5 * V.reduce((s, v, j) => s + etas[j]! * proj[j]! * v[i]!, 0));
    rn.updates.forEach((x, i) => {
      expect(x).toBeCloseTo(expected[i]!, 5);
    });
  });

  it('keeps state as plain data: a structured clone continues identically', () => {
    const fosi = createFosi({ base: { kind: 'heavy-ball', lr: 0.05 }, warmup: 1 });
    const s1 = fosi.update(randomVec(n, 1), fosi.init(new Float32Array(n)), new Float32Array(n), eigen).state;
    const a = fosi.update(randomVec(n, 2), s1, new Float32Array(n), null);
    const b = fosi.update(randomVec(n, 2), structuredClone(s1), new Float32Array(n), null);
    expect(b.updates).toEqual(a.updates);
    expect(isPlainData(s1)).toBe(true);
    expect(isPlainData({ f: () => 1 })).toBe(false);
  });

  it('follows the reference refresh schedule and rejects malformed input', () => {
    const fosi = createFosi({ base: { kind: 'sgd', lr: 0.1 } });
    expect([fosi.config.refreshEvery, fosi.config.warmup, fosi.config.alpha, fosi.config.k]).toEqual([100, 100, 0.1, 5]);
    expect([0, 98, 99, 100, 199].map((t) => fosi.isRefreshStep(t))).toEqual([false, false, true, false, true]);
    const custom = createFosi({ base: { kind: 'sgd', lr: 0.1 }, warmup: 10, refreshEvery: 5 });
    expect([8, 9, 13, 14].map((t) => custom.isRefreshStep(t))).toEqual([false, true, false, true]);
    const s = fosi.init(new Float32Array(4));
    expect(() => fosi.update(new Float32Array(5), s, new Float32Array(4), null)).toThrow(FosiArgumentError);
    const early = createFosi({ base: { kind: 'sgd', lr: 0.1 }, warmup: 1 });
    expect(() => early.update(new Float32Array(4), s, new Float32Array(4), { ...eigen })).toThrow(FosiArgumentError);
    expect(() => createFosi({ base: { kind: 'sgd', lr: 0.1 }, clip: 0.5 })).toThrow(FosiArgumentError);
    expect(FOSI_DEFAULTS.clipAdam).toBe(1);
  });
});

describe('FOSI on an ill-conditioned quadratic', () => {
  const n = 60;
  const lambdas = Array.from({ length: n }, (_, i) => (i < 3 ? [100, 60, 20][i]! : 0.1 + (0.9 * (i - 3)) / (n - 4)));
  const grad = (x: Float32Array): Float32Array => x.map((xi, i) => lambdas[i]! * xi);
  const loss = (x: Float32Array): number => 0.5 * x.reduce((s, xi, i) => s + lambdas[i]! * xi * xi, 0);

  async function stepsToConverge(base: BaseOptimizer, fosiOpts: { clip?: number } | null): Promise<number> {
    const fosi = createFosi({ base, warmup: 1, alpha: 0.1, ...(fosiOpts ?? {}) });
    const r = await extremeSpectrum((v) => Promise.resolve(grad(v)), { n, seed: 2, k: 3 });
    if (!r.ok) throw new Error(r.error.kind);
    let x = new Float32Array(n).fill(1);
    let state = fosi.init(x);
    const target = 1e-8 * loss(x);
    for (let t = 0; t < 20_000; t++) {
      if (loss(x) < target) return t;
      const eigen = fosiOpts !== null && t === 0 ? r.value : null;
      const u = fosi.update(grad(x), state, x, eigen);
      state = u.state;
      x = x.map((xi, i) => xi + u.updates[i]!);
    }
    return Number.POSITIVE_INFINITY;
  }

  it.each([
    { kind: 'sgd', lr: 0.01 },
    { kind: 'heavy-ball', lr: 0.005 },
  ] as const)('FOSI-$kind needs far fewer steps than $kind', async (base) => {
    const plain = await stepsToConverge(base, null);
    const fosiDefault = await stepsToConverge(base, {});
    const fosiWide = await stepsToConverge(base, { clip: 10 });
    expect(plain).toBeLessThan(20_000);
    expect(fosiDefault * 2.5).toBeLessThan(plain); // s = c = 3 on the complement
    expect(fosiWide * 4).toBeLessThan(plain); // s = λ_max/λ_k = 5 with c = 10
  });
});
