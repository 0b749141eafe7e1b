import { describe, expect, it } from 'vitest';
import { AdmmLocal, baseOptimizerOf, type AdmmRoundInput, type LocalGradient } from './admm-local.ts';

const N = 4;
const LR = 0.1;
const RHO = 0.5;
const C = [1, -2, 0.5, 3];
const START = [0.25, 0.75, -1, 2];
const V = [2, 0, -0.5, 1.5];

const input = (o: Partial<AdmmRoundInput>): AdmmRoundInput => ({ steps: 3, rho: RHO, newtonRate: 0.3, clip: 3, restart: false, anchor: Float32Array.from(V), ...o });

/** f(x) = ½‖x − c‖²: gradient x − c; call t reports count 5 + t and lossSum = f(x)·count. Records the points it saw. */
function quadratic(c: readonly number[] = C): { gradient: LocalGradient; seen: number[][]; counts: number[]; losses: number[] } {
  const seen: number[][] = [];
  const counts: number[] = [];
  const losses: number[] = [];
  const gradient: LocalGradient = (x) => {
    seen.push(Array.from(x));
    const count = 5 + counts.length;
    const loss = 0.5 * Array.from(x).reduce((s, xj, j) => s + (xj - (c[j] ?? 0)) ** 2, 0) * count;
    counts.push(count);
    losses.push(loss);
    return Promise.resolve({ g: Float32Array.from(x, (xj, j) => xj - (c[j] ?? 0)), count, lossSum: loss });
  };
  return { gradient, seen, counts, losses };
}

function startOf(v: readonly number[]): { start: () => Promise<Float32Array>; calls: () => number } {
  let calls = 0;
  return {
    start: () => {
      calls += 1;
      return Promise.resolve(Float32Array.from(v));
    },
    calls: () => calls,
  };
}

// float64 oracles
const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, j) => s + x * (b[j] ?? 0), 0);
/** Plain SGD on the augmented gradient (x − c) + ρ(x − v), `steps` times, in float64. */
function sgdSteps(x0: readonly number[], v: readonly number[], steps: number, lr = LR, rho = RHO): number[][] {
  const path = [x0.slice()];
  let x = x0.slice();
  for (let t = 0; t < steps; t++) {
    x = x.map((xj, j) => xj - lr * (xj - (C[j] ?? 0) + rho * (xj - (v[j] ?? 0))));
    path.push(x);
  }
  return path;
}

function expectClose(actual: ArrayLike<number>, want: readonly number[], tol = 1e-6): void {
  expect(actual.length).toBe(want.length);
  Array.from(actual).forEach((a, j) => {
    const w = want[j] ?? Number.NaN;
    expect(Math.abs(a - w), `index ${j}: ${a} vs ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  });
}

describe('AdmmLocal rounds with base SGD and no eigen-information', () => {
  it('a restart round starts from start() and anchors to it: the first step has no ρ term', async () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    const q = quadratic();
    const st = startOf(START);
    // The anchor passed in is ignored on a restart.
    const r = await local.round(input({ restart: true, steps: 2, anchor: Float32Array.from([9, 9, 9, 9]) }), st.start, q.gradient);
    expect(st.calls()).toBe(1);
    expectClose(q.seen[0] ?? [], START, 0);
    // First step: x − η(x − c) exactly (x − v = 0 with v = start).
    const first = START.map((s, j) => s - LR * (s - (C[j] ?? 0)));
    expectClose(q.seen[1] ?? [], first);
    const want = sgdSteps(START, START, 2);
    expectClose(r.x, want[2] ?? []);
    expect(q.seen).toHaveLength(2);
  });

  it('a non-restart round goes on from x_i with x ← x − η[(x − c) + ρ(x − v)] for K steps', async () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    const st = startOf(START);
    const first = await local.round(input({ restart: true, steps: 2 }), st.start, quadratic().gradient);
    const q = quadratic();
    const r = await local.round(input({ steps: 4 }), st.start, q.gradient);
    expect(st.calls()).toBe(1); // no restart: start() is not called again
    const path = sgdSteps(Array.from(first.x), V, 4);
    expect(q.seen).toHaveLength(4);
    q.seen.forEach((x, t) => { expectClose(x, path[t] ?? []); });
    expectClose(r.x, path[4] ?? []);
    // Rows and loss are the sums over the K steps.
    expect(r.count).toBe(5 + 6 + 7 + 8);
    expect(r.lossSum).toBeCloseTo(q.losses.reduce((a, b) => a + b, 0), 10);
    const ownLoss = q.seen.reduce((s, x, t) => s + 0.5 * x.reduce((a, xj, j) => a + (xj - (C[j] ?? 0)) ** 2, 0) * (5 + t), 0);
    expect(r.lossSum).toBeCloseTo(ownLoss, 5);
  });

  it('a later restart goes back to start(), not on from x_i', async () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    const st = startOf(START);
    await local.round(input({ restart: true, steps: 3 }), st.start, quadratic().gradient);
    await local.round(input({ steps: 3 }), st.start, quadratic().gradient);
    const q = quadratic();
    const r = await local.round(input({ restart: true, steps: 1 }), st.start, q.gradient);
    expect(st.calls()).toBe(2);
    expectClose(q.seen[0] ?? [], START, 0);
    expectClose(r.x, sgdSteps(START, START, 1)[1] ?? []);
  });

  it('the first round without restart also starts from start(), anchored to the given v', async () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    const st = startOf(START);
    const q = quadratic();
    const r = await local.round(input({ steps: 2 }), st.start, q.gradient);
    expect(st.calls()).toBe(1);
    expectClose(r.x, sgdSteps(START, V, 2)[2] ?? []);
  });

  it('rejects an anchor of the wrong length', async () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    const st = startOf(START);
    await local.round(input({ restart: true, steps: 1 }), st.start, quadratic().gradient);
    await expect(local.round(input({ anchor: new Float32Array(N + 1) }), st.start, quadratic().gradient)).rejects.toThrow(RangeError);
  });
});

describe('AdmmLocal eigen-information', () => {
  const E = [0.5, 0.5, 0.5, 0.5]; // unit, exact in float32
  const LAMBDA = 4;
  const ALPHA = 0.3;

  it('setEigen rejects a wrong length and non-finite values, accepts a good one; curvatureFloats = r·n', () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    expect(local.curvatureFloats).toBe(0);
    expect(local.setEigen(Float64Array.of(1, 2), new Float32Array(2 * N - 1), N)).toMatch(/floats/);
    expect(local.setEigen(Float64Array.of(1), new Float32Array(2 * N), N)).toMatch(/floats/);
    expect(local.setEigen(Float64Array.of(Number.NaN), Float32Array.from(E), N)).toMatch(/non-finite/);
    expect(local.setEigen(Float64Array.of(1), Float32Array.from([0.5, Number.POSITIVE_INFINITY, 0.5, 0.5]), N)).toMatch(/non-finite/);
    expect(local.curvatureFloats).toBe(0);
    expect(local.setEigen(Float64Array.of(1, 3), new Float32Array(2 * N), N)).toBeNull();
    expect(local.curvatureFloats).toBe(2 * N);
    expect(local.setEigen(Float64Array.of(LAMBDA), Float32Array.from(E), N)).toBeNull();
    expect(local.curvatureFloats).toBe(N);
  });

  /** Runs a restart round of 1 step then a normal round with eigen-information installed before it. */
  async function withEigen(baseKind: 'sgd' | 'heavy-ball', eigvals: number[], eigvecs: number[][], steps: number, clip = 3): Promise<{ x0: number[]; seen: number[][]; x: number[]; before: number[][] }> {
    const local = new AdmmLocal(baseOptimizerOf(baseKind, LR));
    const st = startOf(START);
    const warm = quadratic();
    const first = await local.round(input({ restart: true, steps: 1, newtonRate: ALPHA, clip }), st.start, warm.gradient);
    expect(local.setEigen(Float64Array.from(eigvals), Float32Array.from(eigvecs.flat()), N)).toBeNull();
    const q = quadratic();
    const r = await local.round(input({ steps, newtonRate: ALPHA, clip }), st.start, q.gradient);
    return { x0: Array.from(first.x), seen: q.seen, x: Array.from(r.x), before: warm.seen };
  }

  it('with SGD and one eigenpair (e, λ): the step along e is the Newton step −α(e·g)/(λ + ρ) (the local Hessian is H + ρI), the rest is −η g⊥', async () => {
    const { x0, seen, x } = await withEigen('sgd', [LAMBDA], [E], 1);
    const g = x0.map((xj, j) => xj - (C[j] ?? 0) + RHO * (xj - (V[j] ?? 0)));
    const along = dot(E, g);
    const gPerp = g.map((gj, j) => gj - along * (E[j] ?? 0));
    const step = x.map((xj, j) => xj - (x0[j] ?? 0));
    expectClose(seen[0] ?? [], x0, 0);
    // Along e: FOSI's −α/λ (e·g), not SGD's −η (e·g).
    expect(ALPHA / (LAMBDA + RHO)).not.toBeCloseTo(LR, 3);
    expect(dot(E, step)).toBeCloseTo(-(ALPHA / (LAMBDA + RHO)) * along, 6);
    expect(Math.abs(dot(E, step) - -LR * along)).toBeGreaterThan(1e-3);
    // Orthogonal to e: the base step on g's orthogonal part.
    const stepPerp = step.map((sj, j) => sj - dot(E, step) * (E[j] ?? 0));
    expectClose(stepPerp, gPerp.map((v) => -LR * v));
  });

  it('a new ρ re-installs the eigen-information shifted by it: the next Newton step is −α(e·g)/(λ + ρ_new)', async () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    const st = startOf(START);
    expect(local.setEigen(Float64Array.of(LAMBDA), Float32Array.from(E), N)).toBeNull();
    await local.round(input({ restart: true, steps: 1, newtonRate: ALPHA }), st.start, quadratic().gradient);
    const q = quadratic();
    const rho = 2;
    const r = await local.round(input({ steps: 1, newtonRate: ALPHA, rho }), st.start, q.gradient);
    const x0 = q.seen[0] ?? [];
    const g = x0.map((xj, j) => xj - (C[j] ?? 0) + rho * (xj - (V[j] ?? 0)));
    const step = Array.from(r.x).map((xj, j) => xj - (x0[j] ?? 0));
    expect(dot(E, step)).toBeCloseTo(-(ALPHA / (LAMBDA + rho)) * dot(E, g), 6);
  });

  it('a restart keeps the last eigen-information: the first step after it is the Newton step again', async () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    const st = startOf(START);
    expect(local.setEigen(Float64Array.of(LAMBDA), Float32Array.from(E), N)).toBeNull();
    const newtonAlongE = async (): Promise<number> => {
      const r = await local.round(input({ restart: true, steps: 1, newtonRate: ALPHA }), st.start, quadratic().gradient);
      const g = START.map((xj, j) => xj - (C[j] ?? 0)); // restart: anchored to the start, no ρ term
      const step = Array.from(r.x).map((xj, j) => xj - (START[j] ?? 0));
      return dot(E, step) / (-(ALPHA / (LAMBDA + RHO)) * dot(E, g));
    };
    expect(await newtonAlongE()).toBeCloseTo(1, 5);
    expect(await newtonAlongE()).toBeCloseTo(1, 5);
  });

  it('with SGD the Newton part holds on every step of the round (no velocity memory for SGD)', async () => {
    const { x0, x } = await withEigen('sgd', [LAMBDA], [E], 3);
    let y = x0.slice();
    for (let t = 0; t < 3; t++) {
      const g = y.map((yj, j) => yj - (C[j] ?? 0) + RHO * (yj - (V[j] ?? 0)));
      const along = dot(E, g);
      y = y.map((yj, j) => yj - LR * ((g[j] ?? 0) - along * (E[j] ?? 0)) - (ALPHA / (LAMBDA + RHO)) * along * (E[j] ?? 0));
    }
    expectClose(x, y);
  });

  it('with two eigenpairs the base part is scaled by s = clip((λ_max + ρ) / (λ_min + ρ), 1, c)', async () => {
    const e1 = [0.5, 0.5, 0.5, 0.5];
    const e2 = [0.5, -0.5, 0.5, -0.5];
    const lams = [2, 5]; // ascending
    for (const clip of [3, 2]) {
      const { x0, x } = await withEigen('sgd', lams, [e1, e2], 1, clip);
      // The local Hessian is H + ρI: η = 1/(λ + ρ), and s = clip(η_min-λ / η_max-λ) = clip((5 + ρ)/(2 + ρ)).
      const s = Math.min(Math.max((5 + RHO) / (2 + RHO), 1), clip);
      const g = x0.map((xj, j) => xj - (C[j] ?? 0) + RHO * (xj - (V[j] ?? 0)));
      const a1 = dot(e1, g);
      const a2 = dot(e2, g);
      const gPerp = g.map((gj, j) => gj - a1 * (e1[j] ?? 0) - a2 * (e2[j] ?? 0));
      const want = x0.map((xj, j) => xj - s * LR * (gPerp[j] ?? 0) - ALPHA * ((a1 / (2 + RHO)) * (e1[j] ?? 0) + (a2 / (5 + RHO)) * (e2[j] ?? 0)));
      expectClose(x, want);
    }
  });

  it('with heavy-ball the Newton velocity decays by 0.9 and the base momentum sees only g⊥', async () => {
    const steps = 3;
    const { x0, x, before } = await withEigen('heavy-ball', [LAMBDA], [E], steps);
    // The warm-up restart round took one heavy-ball step on the full gradient (no eigen-information yet).
    const g0 = (before[0] ?? []).map((sj, j) => sj - (C[j] ?? 0)); // anchored to start: ρ term 0
    let trace = g0.slice();
    let vel = [0, 0, 0, 0]; // the Newton velocity of the warm-up step: g₁ = 0 without V
    let y = x0.slice();
    for (let t = 0; t < steps; t++) {
      const g = y.map((yj, j) => yj - (C[j] ?? 0) + RHO * (yj - (V[j] ?? 0)));
      const along = dot(E, g);
      const g1 = E.map((ej) => along * ej);
      const g2 = g.map((gj, j) => gj - (g1[j] ?? 0));
      trace = g2.map((gj, j) => gj + 0.9 * (trace[j] ?? 0));
      vel = g1.map((gj, j) => gj + 0.9 * (vel[j] ?? 0));
      const base = trace.map((tj) => -LR * tj);
      const baseAlong = dot(E, base);
      const d2 = base.map((bj, j) => bj - baseAlong * (E[j] ?? 0));
      const d1 = E.map((ej) => (dot(E, vel) / (LAMBDA + RHO)) * ej);
      y = y.map((yj, j) => yj + (d2[j] ?? 0) - ALPHA * (d1[j] ?? 0));
    }
    expectClose(x, y, 2e-6);
    // Not the SGD-base result: the momentum matters.
    const noMomentum = (() => {
      let z = x0.slice();
      for (let t = 0; t < steps; t++) {
        const g = z.map((zj, j) => zj - (C[j] ?? 0) + RHO * (zj - (V[j] ?? 0)));
        const along = dot(E, g);
        z = z.map((zj, j) => zj - LR * ((g[j] ?? 0) - along * (E[j] ?? 0)) - (ALPHA / (LAMBDA + RHO)) * along * (E[j] ?? 0));
      }
      return z;
    })();
    expect(Math.max(...x.map((xj, j) => Math.abs(xj - (noMomentum[j] ?? 0))))).toBeGreaterThan(1e-3);
  });

  it('eigen-information given before the first round is installed at its first step', async () => {
    const local = new AdmmLocal(baseOptimizerOf('sgd', LR));
    expect(local.setEigen(Float64Array.of(LAMBDA), Float32Array.from(E), N)).toBeNull();
    const st = startOf(START);
    const r = await local.round(input({ restart: true, steps: 1, newtonRate: ALPHA }), st.start, quadratic().gradient);
    const g = START.map((s, j) => s - (C[j] ?? 0));
    const along = dot(E, g);
    const want = START.map((s, j) => s - LR * ((g[j] ?? 0) - along * (E[j] ?? 0)) - (ALPHA / (LAMBDA + RHO)) * along * (E[j] ?? 0));
    expectClose(r.x, want);
  });
});
