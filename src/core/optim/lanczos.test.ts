import { describe, expect, it } from 'vitest';
import { tridiagEig } from '../linalg/tridiag-eig.ts';
import { dot } from '../linalg/vec.ts';
import { LanczosArgumentError, lanczos, lanczosOrder, startVector, type Hvp } from './lanczos.ts';

/** H = diag(d), applied in float64 and rounded to float32 like a real HVP. */
const diagHvp =
  (d: readonly number[]): Hvp =>
  (v) =>
    Promise.resolve(Float32Array.from(v, (x, i) => d[i]! * x));

/** A spread spectrum: 5 large outliers, a bulk in [0, 10), 2 negative outliers. */
function spectrum(n: number): number[] {
  const d = Array.from({ length: n }, (_, i) => (10 * i) / n);
  [100, 80, 60, 45, 35, -20, -12].forEach((x, j) => (d[(j * 37 + 5) % n] = x));
  return d;
}

function maxOrthoError(rows: readonly Float32Array[]): number {
  let worst = 0;
  rows.forEach((a, i) => { rows.forEach((b, j) => (worst = Math.max(worst, Math.abs(dot(a, b) - (i === j ? 1 : 0))))); });
  return worst;
}

describe('lanczos', () => {
  it('builds an orthonormal basis with T = Q H Qᵀ', async () => {
    const d = spectrum(300);
    const r = await lanczos(diagHvp(d), { n: 300, order: 30, seed: 3 });
    if (!r.ok) throw new Error(r.error.kind);
    const { basis, alphas, betas, breakdown } = r.value;
    expect(basis).toHaveLength(30);
    expect(alphas).toHaveLength(30);
    expect(betas).toHaveLength(29);
    expect(breakdown).toBe(false);
    expect(maxOrthoError(basis)).toBeLessThan(1e-6);
    const hq = (q: Float32Array): Float64Array => Float64Array.from(q, (x, i) => d[i]! * x);
    basis.forEach((q, i) => {
      expect(dot(hq(q), q)).toBeCloseTo(alphas[i]!, 4);
    });
    for (let i = 0; i + 1 < basis.length; i++) expect(dot(hq(basis[i]!), basis[i + 1]!)).toBeCloseTo(betas[i]!, 4);
    // Full reorthogonalisation: T is tridiagonal, the q_{i+2} coupling vanishes.
    expect(Math.abs(dot(hq(basis[0]!), basis[2]!))).toBeLessThan(1e-4);
  });

  it('starts from the seeded N(0, I) direction and is deterministic per seed', async () => {
    const hvp = diagHvp(spectrum(50));
    const a = await lanczos(hvp, { n: 50, order: 8, seed: 9 });
    const b = await lanczos(hvp, { n: 50, order: 8, seed: 9 });
    const c = await lanczos(hvp, { n: 50, order: 8, seed: 10 });
    if (!a.ok || !b.ok || !c.ok) throw new Error('failed');
    expect(a.value.basis[0]).toEqual(Float32Array.from(startVector(50, 9)));
    expect(a.value.alphas).toEqual(b.value.alphas);
    expect(a.value.alphas).not.toEqual(c.value.alphas);
    expect(Math.hypot(...startVector(50, 9))).toBeCloseTo(1, 14);
  });

  it('stops cleanly on breakdown for a low-rank operator and keeps its exact eigenvalues', async () => {
    const d = new Array<number>(200).fill(0);
    d[3] = 5;
    d[50] = -2;
    d[199] = 9;
    const r = await lanczos(diagHvp(d), { n: 200, order: 20, seed: 1 });
    if (!r.ok) throw new Error(r.error.kind);
    // Krylov space span{q0, Hq0, H²q0, …} has dimension 4 (q0 plus the 3-dimensional range).
    expect(r.value.breakdown).toBe(true);
    expect(r.value.alphas).toHaveLength(4);
    expect(r.value.basis).toHaveLength(4);
    expect(r.value.basis.every((q) => q.every(Number.isFinite))).toBe(true);
    const { values } = tridiagEig(r.value.alphas, r.value.betas);
    expect(values[0]).toBeCloseTo(-2, 5);
    expect(values[1]).toBeCloseTo(0, 5);
    expect(values[3]).toBeCloseTo(9, 5);
  });

  it('stops after one step on the zero operator, and caps the order at n', async () => {
    const zero = await lanczos(diagHvp(new Array<number>(10).fill(0)), { n: 10, order: 5, seed: 2 });
    expect(zero.ok && zero.value.alphas.length === 1 && zero.value.breakdown).toBe(true);
    const capped = await lanczos(diagHvp([1, 2, 3]), { n: 3, order: 10, seed: 2 });
    expect(capped.ok && capped.value.alphas.length).toBe(3);
  });

  it('reports a bad operator output and an abort as failures, not throws', async () => {
    const nan: Hvp = (v) => Promise.resolve(v.map((x, i) => (i === 2 ? Number.NaN : x)));
    const short: Hvp = () => Promise.resolve(new Float32Array(3));
    expect(await lanczos(nan, { n: 8, order: 4, seed: 1 })).toMatchObject({ ok: false, error: { kind: 'bad-hvp', step: 0 } });
    expect(await lanczos(short, { n: 8, order: 4, seed: 1 })).toMatchObject({ ok: false, error: { kind: 'bad-hvp' } });
    const ctl = new AbortController();
    let calls = 0;
    const aborting: Hvp = (v) => {
      if (++calls === 2) ctl.abort();
      return Promise.resolve(Float32Array.from(v, (x, i) => (i + 1) * x));
    };
    const r = await lanczos(aborting, { n: 8, order: 6, seed: 1, signal: ctl.signal });
    expect(r).toMatchObject({ ok: false, error: { kind: 'aborted', step: 2 } });
  });

  it('hands the operator a copy, so an operator that scribbles on its input cannot corrupt the basis', async () => {
    const scribbler: Hvp = (v) => {
      const out = Float32Array.from(v, (x, i) => (i + 1) * x);
      v.fill(7);
      return Promise.resolve(out);
    };
    const r = await lanczos(scribbler, { n: 20, order: 6, seed: 4 });
    if (!r.ok) throw new Error(r.error.kind);
    expect(maxOrthoError(r.value.basis)).toBeLessThan(1e-6);
  });

  it('validates its arguments and exposes the reference order 4(k + l)', async () => {
    await expect(lanczos(diagHvp([1]), { n: 0, order: 1, seed: 1 })).rejects.toThrow(LanczosArgumentError);
    await expect(lanczos(diagHvp([1]), { n: 1, order: 0.5, seed: 1 })).rejects.toThrow(LanczosArgumentError);
    expect(lanczosOrder(10)).toBe(40);
    expect(lanczosOrder(5, 2)).toBe(28);
  });
});
