import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import {
  ADMM_DEFAULTS,
  AdmmArgumentError,
  DHO2_SIGMA,
  admmResiduals,
  admmRound,
  augmentedGradient,
  balanceRho,
  consensusAverage,
  diagonalQuadraticSolver,
  dho2Anchor,
  dho2Gradient,
  dho2WindowEnd,
  initAdmm,
  type AdmmResiduals,
  type AdmmState,
  type LocalSolver,
} from './admm.ts';

const n = 6;
const rng = createRng(21);
const vec = (f: () => number): Float32Array => Float32Array.from({ length: n }, f);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

/** Solves M x = b (dense, partial pivoting): the test's own oracle, independent of the code under test. */
function solve(M: number[][], b: number[]): number[] {
  const A = M.map((row, i) => [...row, b[i]!]);
  const m = b.length;
  for (let c = 0; c < m; c++) {
    const p = A.reduce((best, row, r) => (r >= c && Math.abs(row[c]!) > Math.abs(A[best]![c]!) ? r : best), c);
    [A[c], A[p]] = [A[p]!, A[c]!];
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      A[r] = A[r]!.map((x, j) => x - f * A[c]![j]!);
    }
  }
  return A.map((row, i) => row[m]! / row[i]!);
}

function run(
  state0: AdmmState,
  solvers: readonly LocalSolver[],
  rounds: number,
  balance = true,
): { state: AdmmState; trace: AdmmResiduals[] } {
  let state = state0;
  const trace: AdmmResiduals[] = [];
  for (let t = 0; t < rounds; t++) {
    const r = admmRound(state, solvers, balance ? ADMM_DEFAULTS : null);
    state = r.state;
    trace.push(r.residuals);
  }
  return { state, trace };
}

describe('consensus ADMM', () => {
  it('on isotropic quadratics converges to the curvature-weighted average of the minimisers', () => {
    const weights = [0.5, 1, 2, 4];
    const centers = weights.map(() => vec(() => 3 * rng.normal()));
    const solvers = weights.map((a, i) => diagonalQuadraticSolver(new Float32Array(n).fill(a), centers[i]!));
    const expected = Array.from({ length: n }, (_, j) => weights.reduce((s, a, i) => s + a * centers[i]![j]!, 0) / 7.5);
    const { state, trace } = run(initAdmm(n, 4), solvers, 60);
    expect(maxDiff(state.z, expected)).toBeLessThan(1e-5);
    state.xs.forEach((x) => {
      expect(maxDiff(x, state.z)).toBeLessThan(1e-5);
    });
    expect(trace.at(-1)!.primal).toBeLessThan(1e-4 * trace[0]!.primal);
    expect(trace.at(-1)!.dual).toBeLessThan(1e-4 * trace[0]!.dual);
    // Σ_i u_i = 0 after every round (z is the mean of x_i + u_i).
    const uSum = state.us.reduce((acc, u) => acc.map((s, j) => s + u[j]!), new Array<number>(n).fill(0));
    expect(Math.max(...uSum.map(Math.abs))).toBeLessThan(1e-5);
  });

  it('on dense quadratics (a provided local solver) converges to (Σ A_i)⁻¹ Σ A_i c_i', () => {
    const workers = 3;
    const mats = Array.from({ length: workers }, () => {
      const B = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
      // A = BᵀB/n + 0.1 I: symmetric positive definite, condition number in the tens.
      return B.map((_, i) => B.map((__, j) => B.reduce((s, row) => s + row[i]! * row[j]!, 0) / n + (i === j ? 0.1 : 0)));
    });
    const centers = mats.map(() => Array.from({ length: n }, () => rng.normal()));
    const rhs = (A: number[][], c: number[]): number[] => A.map((row) => row.reduce((s, x, j) => s + x * c[j]!, 0));
    // f_i(x) = ½ (x − c_i)ᵀ A_i (x − c_i): x-update solves (A_i + ρI) x = A_i c_i + ρ v.
    const solvers: LocalSolver[] = mats.map((A, i) => (v, rho) => {
      const lhs = A.map((row, r) => row.map((x, c) => x + (r === c ? rho : 0)));
      const b = rhs(A, centers[i]!).map((x, j) => x + rho * v[j]!);
      return Float32Array.from(solve(lhs, b));
    });
    const sumA = mats[0]!.map((row, r) => row.map((_, c) => mats.reduce((s, A) => s + A[r]![c]!, 0)));
    const sumB = mats.map((A, i) => rhs(A, centers[i]!)).reduce((acc, b) => acc.map((x, j) => x + b[j]!));
    const expected = solve(sumA, sumB);
    const { state, trace } = run(initAdmm(n, workers), solvers, 300);
    expect(maxDiff(state.z, expected)).toBeLessThan(1e-4);
    expect(trace.at(-1)!.primal).toBeLessThan(1e-4 * trace[0]!.primal);
    expect(trace[100]!.primal).toBeLessThan(trace[5]!.primal);
  });

  it('converges with an inexact x-update made of gradient steps on the augmented objective', () => {
    const centers = [vec(() => 1), vec(() => -3)];
    const curv = [2, 6];
    const gdSolver =
      (i: number): LocalSolver =>
      (v, rho) => {
        let x = v.slice();
        const lr = 1 / (curv[i]! + rho); // exact-ish: step 1/L on a strongly convex quadratic
        for (let k = 0; k < 20; k++) {
          const g = x.map((xj, j) => curv[i]! * (xj - centers[i]![j]!));
          const zeros = new Float32Array(n);
          x = x.map((xj, j) => xj - lr * augmentedGradient(g, x, v, zeros, rho)[j]!);
        }
        return x;
      };
    const { state } = run(initAdmm(n, 2), [gdSolver(0), gdSolver(1)], 80);
    expect(maxDiff(state.z, new Float32Array(n).fill((2 * 1 + 6 * -3) / 8))).toBeLessThan(1e-4);
  });

  it('balances rho by residuals, rescaling u so the unscaled dual ρu is unchanged', () => {
    const res = (primal: number, dual: number): AdmmResiduals => ({ primal, dual, primalPerWorker: new Float64Array(0) });
    expect(balanceRho(1, res(100, 1))).toEqual({ rho: 2, dualScale: 0.5 });
    expect(balanceRho(1, res(1, 100))).toEqual({ rho: 0.5, dualScale: 2 });
    expect(balanceRho(1, res(5, 1))).toEqual({ rho: 1, dualScale: 1 });
    const solvers = [1, 3].map((a, i) => diagonalQuadraticSolver(new Float32Array(n).fill(a), vec(() => i * 4 - 2)));
    const start = initAdmm(n, 2, 1e-3); // a badly chosen rho
    const plain = admmRound(start, solvers, null).state;
    const balanced = admmRound(start, solvers).state;
    expect(balanced.rho).toBe(2e-3);
    balanced.us.forEach((u, i) => {
      expect(maxDiff(u.map((x) => x * balanced.rho), plain.us[i]!.map((x) => x * 1e-3))).toBeLessThan(1e-9);
    });
    const slow = run(start, solvers, 40, false).trace.at(-1)!.primal;
    const fast = run(start, solvers, 40, true).trace.at(-1)!.primal;
    expect(fast).toBeLessThan(1e-3 * slow);
  });

  it('computes stacked residuals and validates its inputs', () => {
    const z = Float32Array.of(0, 0);
    const r = admmResiduals([Float32Array.of(3, 4), Float32Array.of(0, 0)], z, Float32Array.of(1, 0), 2);
    expect(Array.from(r.primalPerWorker)).toEqual([5, 0]);
    expect(r.primal).toBe(5);
    expect(r.dual).toBeCloseTo(2 * Math.SQRT2 * 1, 12);
    const z2 = consensusAverage([Float32Array.of(1), Float32Array.of(3)], [Float32Array.of(1), Float32Array.of(-1)]);
    expect(Array.from(z2)).toEqual([2]);
    expect(() => initAdmm(2, 0)).toThrow(AdmmArgumentError);
    expect(() => consensusAverage([Float32Array.of(1)], [Float32Array.of(1, 2)])).toThrow(AdmmArgumentError);
    const oneSolver = [diagonalQuadraticSolver(Float32Array.of(1, 1), Float32Array.of(0, 0))];
    expect(() => admmRound(initAdmm(2, 2), oneSolver)).toThrow(AdmmArgumentError);
  });
});

describe('DHO2 "ADMM-like" extrapolation (released code, not consensus ADMM)', () => {
  it('jumps θ by the sum of all window displacements, with a negligible gradient term', () => {
    const theta0 = Float32Array.of(1, -2, 0.5);
    let st = dho2Anchor(theta0);
    const d1 = Float32Array.of(0.1, 0.2, -0.3);
    const end1 = theta0.map((x, i) => x + d1[i]!); // FOSI moved θ by δ₁ during window 1
    const w1 = dho2WindowEnd(end1, st);
    expect(maxDiff(w1.theta, end1.map((x, i) => x + d1[i]!))).toBeLessThan(1e-6);
    expect(maxDiff(w1.state.pi, d1.map((x) => x * DHO2_SIGMA))).toBeLessThan(1e-15);
    st = dho2Anchor(w1.theta, w1.state.pi); // the next ESE re-anchors z ← θ
    const d2 = Float32Array.of(-0.05, 0, 0.4);
    const end2 = w1.theta.map((x, i) => x + d2[i]!);
    const w2 = dho2WindowEnd(end2, st);
    expect(maxDiff(w2.theta, end2.map((x, i) => x + d1[i]! + d2[i]!))).toBeLessThan(1e-6);
    // g̃ = g + π: π = σ·(δ₁ + δ₂) is ~1e-9, invisible next to an O(1) gradient in float32.
    const g = Float32Array.of(1, 1, 1);
    expect(dho2Gradient(g, w2.state)).toEqual(g);
    const pi = dho2Gradient(new Float32Array(3), w2.state);
    expect(maxDiff(pi, d1.map((x, i) => DHO2_SIGMA * (x + d2[i]!)))).toBeLessThan(1e-15);
  });
});
