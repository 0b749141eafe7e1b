/**
 * Consensus ADMM in scaled form (Boyd, Parikh, Chu, Peleato & Eckstein 2011, §7.1 and §3.4.1), plus the
 * released DHO2 code's "ADMM-like" extrapolation (ALGORITHMS.md §2.4), which is a different update and is
 * labelled as such.
 *
 * Consensus problem: minimise Σ_i f_i(x_i) subject to x_i = z. With scaled duals u_i = y_i / ρ:
 *   x_i ← argmin_x f_i(x) + (ρ/2)‖x − z + u_i‖²        (local, exact or K gradient steps)
 *   z   ← mean_i(x_i + u_i)
 *   u_i ← u_i + x_i − z
 *   r = ‖(x_i − z)_i‖ (primal), s = ρ·√N·‖z − z_prev‖ (dual), stacked over the N workers.
 * Residual balancing: if r > μ·s then ρ ← τρ, u ← u/τ; if s > μ·r then ρ ← ρ/τ, u ← τu (μ = 10, τ = 2).
 *
 * @example
 * let st = initAdmm(n, solvers.length);
 * for (let i = 0; i < 100; i++) ({ state: st } = admmRound(st, solvers));
 */

/** x-update oracle: argmin_x f_i(x) + (ρ/2)‖x − v‖², with v = z − u_i. */
export type LocalSolver = (v: Float32Array, rho: number) => Float32Array;

/** Consensus state held by one process (the coordinator view): N local x_i and u_i, the global z. */
export interface AdmmState {
  readonly xs: readonly Float32Array[];
  readonly us: readonly Float32Array[];
  readonly z: Float32Array;
  /** ρ: the penalty parameter. */
  readonly rho: number;
  readonly iteration: number;
}

/** Residuals after a round; `primalPerWorker[i]` = ‖x_i − z‖. */
export interface AdmmResiduals {
  readonly primal: number;
  readonly dual: number;
  readonly primalPerWorker: Float64Array;
}

/** Residual-balancing options: μ (imbalance ratio that triggers a change) and τ (the factor). */
export interface RhoBalance {
  readonly mu: number;
  readonly tau: number;
}

/** Textbook defaults: ρ₀ = 1, μ = 10, τ = 2 (Boyd et al. §3.4.1). */
export const ADMM_DEFAULTS = { rho: 1, mu: 10, tau: 2 } as const;

/** Thrown for programmer errors (length mismatches, no workers, bad ρ). */
export class AdmmArgumentError extends RangeError {
  static readonly NAME = 'AdmmArgumentError';
  constructor(message: string) {
    super(message);
    this.name = AdmmArgumentError.NAME;
  }
}

/** Closed-form x-update for f(x) = ½ Σ_j a_j (x_j − c_j)²: x_j = (a_j c_j + ρ v_j) / (a_j + ρ). */
export function diagonalQuadraticSolver(curvature: Float32Array, center: Float32Array): LocalSolver {
  sameLength(curvature, center);
  return (v, rho) => {
    sameLength(v, center);
    return v.map((vj, j) => {
      const a = curvature[j] ?? 0;
      return (a * (center[j] ?? 0) + rho * vj) / (a + rho);
    });
  };
}

/** ∇ of the augmented local objective: g + ρ(x − z + u), for inexact x-updates by gradient steps. */
export function augmentedGradient(
  g: Float32Array,
  x: Float32Array,
  z: Float32Array,
  u: Float32Array,
  rho: number,
): Float32Array {
  sameLength(g, x);
  return g.map((gi, i) => gi + rho * ((x[i] ?? 0) - (z[i] ?? 0) + (u[i] ?? 0)));
}

/** Starting state: x_i = z = z0 (zeros by default), u_i = 0. */
export function initAdmm(n: number, workers: number, rho: number = ADMM_DEFAULTS.rho, z0?: Float32Array): AdmmState {
  if (!(workers >= 1) || !(rho > 0)) throw new AdmmArgumentError('need at least one worker and rho > 0');
  const z = z0?.slice() ?? new Float32Array(n);
  sameLength(z, new Float32Array(n));
  return {
    xs: Array.from({ length: workers }, () => z.slice()),
    us: Array.from({ length: workers }, () => new Float32Array(n)),
    z,
    rho,
    iteration: 0,
  };
}

/** Local x-update on worker i: x_i = solver(z − u_i, ρ). */
export function localUpdate(solver: LocalSolver, z: Float32Array, u: Float32Array, rho: number): Float32Array {
  sameLength(z, u);
  return solver(z.map((zj, j) => zj - (u[j] ?? 0)), rho);
}

/** z = mean_i(x_i + u_i), accumulated in float64 in worker order. */
export function consensusAverage(xs: readonly Float32Array[], us: readonly Float32Array[]): Float32Array {
  const first = xs[0];
  if (first === undefined || xs.length !== us.length) throw new AdmmArgumentError('need matching, non-empty xs and us');
  const acc = new Float64Array(first.length);
  xs.forEach((x, i) => {
    const u = us[i] ?? new Float32Array(0);
    sameLength(x, first);
    sameLength(u, first);
    for (let j = 0; j < acc.length; j++) acc[j] = (acc[j] ?? 0) + (x[j] ?? 0) + (u[j] ?? 0);
  });
  return Float32Array.from(acc, (s) => s / xs.length);
}

/** Scaled dual ascent: u_i + x_i − z. */
export function dualUpdate(u: Float32Array, x: Float32Array, z: Float32Array): Float32Array {
  sameLength(u, x);
  sameLength(u, z);
  return u.map((ui, j) => ui + (x[j] ?? 0) - (z[j] ?? 0));
}

/** Stacked residuals: primal ‖(x_i − z)_i‖, dual ρ·√N·‖z − z_prev‖. */
export function admmResiduals(xs: readonly Float32Array[], z: Float32Array, zPrev: Float32Array, rho: number): AdmmResiduals {
  const primalPerWorker = Float64Array.from(xs, (x) => distance(x, z));
  const primal = Math.sqrt(primalPerWorker.reduce((s, r) => s + r * r, 0));
  return { primal, dual: rho * Math.sqrt(xs.length) * distance(z, zPrev), primalPerWorker };
}

/** Residual balancing: the new ρ and the factor to multiply every scaled dual u_i by (1 when unchanged). */
export function balanceRho(
  rho: number,
  res: AdmmResiduals,
  opts: RhoBalance = ADMM_DEFAULTS,
): { rho: number; dualScale: number } {
  if (res.primal > opts.mu * res.dual) return { rho: rho * opts.tau, dualScale: 1 / opts.tau };
  if (res.dual > opts.mu * res.primal) return { rho: rho / opts.tau, dualScale: opts.tau };
  return { rho, dualScale: 1 };
}

/**
 * One synchronous round in one process: x-updates, z-average, dual updates, residuals, then (unless
 * `balance` is null) residual balancing of ρ with the duals rescaled. The reference for a distributed run.
 */
export function admmRound(
  state: AdmmState,
  solvers: readonly LocalSolver[],
  balance: RhoBalance | null = ADMM_DEFAULTS,
): { state: AdmmState; residuals: AdmmResiduals } {
  if (solvers.length !== state.xs.length) throw new AdmmArgumentError('need one solver per worker');
  const xs = solvers.map((solve, i) => localUpdate(solve, state.z, state.us[i] ?? new Float32Array(0), state.rho));
  const z = consensusAverage(xs, state.us);
  let us = state.us.map((u, i) => dualUpdate(u, xs[i] ?? new Float32Array(0), z));
  const residuals = admmResiduals(xs, z, state.z, state.rho);
  const next = balance === null ? { rho: state.rho, dualScale: 1 } : balanceRho(state.rho, residuals, balance);
  if (next.dualScale !== 1) us = us.map((u) => u.map((x) => x * next.dualScale));
  return { state: { xs, us, z, rho: next.rho, iteration: state.iteration + 1 }, residuals };
}

// ---------------------------------------------------------------------------------------------------
// DHO2's released "ADMM-like" update (§2.4) [V-code]. NOT consensus ADMM: one anchor z per curvature
// window, a dual π added to the gradient, and at the window end an extrapolation θ ← θ + π/σ, where
// π/σ is the sum of all window displacements so far.
// ---------------------------------------------------------------------------------------------------

/** σ of the released DHO2 script (`run_gpu3.sh`). */
export const DHO2_SIGMA = 5e-9;

/** State of the DHO2 extrapolation: dual π (starts at 0) and anchor z (θ at the last ESE). */
export interface Dho2ExtrapolationState {
  readonly pi: Float32Array;
  readonly anchor: Float32Array;
}

/** DHO2 variant: set the anchor z ← θ (at each ESE); π is kept. */
export function dho2Anchor(theta: Float32Array, pi: Float32Array = new Float32Array(theta.length)): Dho2ExtrapolationState {
  sameLength(theta, pi);
  return { pi: pi.slice(), anchor: theta.slice() };
}

/** DHO2 variant: the gradient FOSI steps on, g̃ = g + π (the σ(θ − z) term is dropped, as in the code). */
export function dho2Gradient(g: Float32Array, state: Dho2ExtrapolationState): Float32Array {
  sameLength(g, state.pi);
  return g.map((x, i) => x + (state.pi[i] ?? 0));
}

/** DHO2 variant, at a window end: π ← π + σ(θ − z), then θ ← θ + π/σ. Returns the new θ and state. */
export function dho2WindowEnd(
  theta: Float32Array,
  state: Dho2ExtrapolationState,
  sigma: number = DHO2_SIGMA,
): { theta: Float32Array; state: Dho2ExtrapolationState } {
  sameLength(theta, state.anchor);
  const pi = state.pi.map((p, i) => p + sigma * ((theta[i] ?? 0) - (state.anchor[i] ?? 0)));
  return { theta: theta.map((t, i) => t + (pi[i] ?? 0) / sigma), state: { pi, anchor: state.anchor } };
}

function distance(a: Float32Array, b: Float32Array): number {
  sameLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.sqrt(s);
}

function sameLength(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new AdmmArgumentError(`lengths differ: ${a.length} vs ${b.length}`);
}
