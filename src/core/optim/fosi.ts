/**
 * FOSI: a first-order optimizer plus a Newton step on the extreme eigen-subspace of the Hessian
 * (ALGORITHMS.md §1.3–1.4; reference `hsivan/fosi` `fosi/jax_optim/fosi_optimizer.py`), over flat
 * Float32Array parameter vectors, in the optax shape: `init(params) → state`, `update(grads, state,
 * params, eigen) → {updates, state}`; apply as θ ← θ + updates.
 *
 * Per step, with V (rows orthonormal) and η_j = |1/(λ_j + σ)| from the last installed eigen-information:
 *   g₁ = Vᵀ(V g), g₂ = g − g₁; u ← M(g₁, u); d₁ = Vᵀ(η ⊙ V u);
 *   d₂ = BaseOpt(g₂); d₂ ← d₂ − Vᵀ(V d₂); updates = s·d₂ − α·d₁, s = clip(η_l / η_last, 1, c).
 * Before any eigen-information V is empty, so FOSI is exactly its base optimizer (the warmup). FOSI never
 * runs Lanczos itself: the caller passes `EigenInfo` (see `isRefreshStep` for the reference schedule).
 *
 * @example
 * const fosi = createFosi({ base: { kind: 'heavy-ball', lr: 0.1 }, alpha: 0.01 });
 * let state = fosi.init(params);
 * const eigen = fosi.isRefreshStep(state.count) ? await estimate() : null;
 * const r = fosi.update(grads, state, params, eigen); // params[i] += r.updates[i]; state = r.state
 */
import type { EigenInfo } from './spectrum.ts';

/** The base optimizer, in update form (its step already includes −lr). Defaults follow optax. */
export type BaseOptimizer =
  | { readonly kind: 'sgd'; readonly lr: number }
  | { readonly kind: 'heavy-ball'; readonly lr: number; readonly momentum?: number; readonly nesterov?: boolean }
  | { readonly kind: 'adam'; readonly lr: number; readonly beta1?: number; readonly beta2?: number; readonly eps?: number };

/** Base-optimizer state over all n coordinates: plain, serialisable data. */
export type BaseState =
  | { readonly kind: 'sgd' }
  | { readonly kind: 'heavy-ball'; readonly trace: Float32Array }
  | { readonly kind: 'adam'; readonly m: Float32Array; readonly v: Float32Array; readonly count: number };

/** FOSI options; every field but `base` has a reference default ({@link FOSI_DEFAULTS}). */
export interface FosiInit {
  readonly base: BaseOptimizer;
  /** α: the Newton learning rate. */
  readonly alpha?: number;
  /** c: upper clip of the base-step scale s; the reference forces 1 for Adam. */
  readonly clip?: number;
  /** β: decay of the Newton velocity u. */
  readonly decay?: number;
  /** T_ese: steps between eigen refreshes (for `isRefreshStep`). */
  readonly refreshEvery?: number;
  /** W: no eigen-information is accepted before step W (count + 1 < W); defaults to T_ese. */
  readonly warmup?: number;
  /** k, l: eigenpairs the caller should estimate (largest, smallest). */
  readonly k?: number;
  readonly l?: number;
  /** σ in η = |1/(λ + σ)|: 0 in FOSI, 5e-9 in the released DHO2 code. */
  readonly eigenvalueShift?: number;
}

/** Resolved options. */
export type FosiConfig = Required<FosiInit>;

/** FOSI state: plain data (typed arrays and numbers), safe to checkpoint or send. */
export interface FosiState {
  /** Steps taken so far (t). */
  readonly count: number;
  /** u: the Newton velocity, a full n-vector, not reset when V changes. */
  readonly velocity: Float32Array;
  readonly base: BaseState;
  /** V rows, [bottom-l ; top-k]; empty until eigen-information is installed. */
  readonly eigvecs: readonly Float32Array[];
  /** η_j = |1/(λ_j + σ)| (0 where that is not finite). */
  readonly etas: Float64Array;
  /** s: the base-step scale. */
  readonly scale: number;
  /** `count` at which V was installed; −1 before. */
  readonly eigenStep: number;
}

/** One step's output; `installed` says whether the given eigen-information was taken (not in warmup). */
export interface FosiUpdate {
  readonly updates: Float32Array;
  readonly state: FosiState;
  readonly installed: boolean;
}

/** A FOSI optimizer bound to its config. */
export interface Fosi {
  readonly config: FosiConfig;
  init(params: Float32Array): FosiState;
  update(grads: Float32Array, state: FosiState, params: Float32Array, eigen: EigenInfo | null): FosiUpdate;
  /** The reference's ESE schedule: (t+1) ≥ W and ((t+1) − W) mod T_ese = 0. */
  isRefreshStep(count: number): boolean;
}

/** Thrown for programmer errors: length mismatches, malformed eigen-information, bad options. */
export class FosiArgumentError extends RangeError {
  static readonly NAME = 'FosiArgumentError';
  constructor(message: string) {
    super(message);
    this.name = FosiArgumentError.NAME;
  }
}

/** Library defaults of the reference (§1.4); the paper's DNN runs used k = 10, T_ese = 800, α = 0.01. */
export const FOSI_DEFAULTS = {
  alpha: 0.1,
  clip: 3,
  clipAdam: 1,
  decay: 0.9,
  refreshEvery: 100,
  k: 5,
  l: 0,
  eigenvalueShift: 0,
} as const;

/** optax defaults: heavy-ball momentum 0.9; Adam β₁ 0.9, β₂ 0.999, ε 1e-8. */
const HB_MOMENTUM = 0.9;
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;

/** Fresh base-optimizer state for n coordinates (all moments zero). */
export function initBaseState(opt: BaseOptimizer, n: number): BaseState {
  switch (opt.kind) {
    case 'sgd':
      return { kind: 'sgd' };
    case 'heavy-ball':
      return { kind: 'heavy-ball', trace: new Float32Array(n) };
    case 'adam':
      return { kind: 'adam', m: new Float32Array(n), v: new Float32Array(n), count: 0 };
  }
}

/** One base-optimizer step on g, in update form (includes −lr); returns new state, input untouched. */
export function baseStep(opt: BaseOptimizer, g: Float32Array, state: BaseState): { step: Float32Array; state: BaseState } {
  if (opt.kind === 'sgd') return { step: g.map((x) => -opt.lr * x), state };
  if (opt.kind === 'heavy-ball' && state.kind === 'heavy-ball') {
    const mu = opt.momentum ?? HB_MOMENTUM;
    const trace = state.trace.map((t, i) => (g[i] ?? 0) + mu * t);
    const dir = opt.nesterov === true ? trace.map((t, i) => (g[i] ?? 0) + mu * t) : trace;
    return { step: dir.map((x) => -opt.lr * x), state: { kind: 'heavy-ball', trace } };
  }
  if (opt.kind === 'adam' && state.kind === 'adam') {
    const [b1, b2, eps] = [opt.beta1 ?? ADAM_BETA1, opt.beta2 ?? ADAM_BETA2, opt.eps ?? ADAM_EPS];
    const count = state.count + 1;
    const m = state.m.map((x, i) => b1 * x + (1 - b1) * (g[i] ?? 0));
    const v = state.v.map((x, i) => b2 * x + (1 - b2) * (g[i] ?? 0) ** 2);
    const [c1, c2] = [1 - b1 ** count, 1 - b2 ** count];
    const step = m.map((mi, i) => (-opt.lr * (mi / c1)) / (Math.sqrt((v[i] ?? 0) / c2) + eps));
    return { step, state: { kind: 'adam', m, v, count } };
  }
  throw new FosiArgumentError(`base state '${state.kind}' does not match optimizer '${opt.kind}'`);
}

/** Creates a FOSI optimizer; see the module comment. */
export function createFosi(init: FosiInit): Fosi {
  const config = resolve(init);
  return {
    config,
    init: (params) => ({
      count: 0,
      velocity: new Float32Array(params.length),
      base: initBaseState(config.base, params.length),
      eigvecs: [],
      etas: new Float64Array(0),
      scale: 1,
      eigenStep: -1,
    }),
    update: (grads, state, _params, eigen) => fosiStep(config, grads, state, eigen),
    isRefreshStep: (count) => count + 1 >= config.warmup && (count + 1 - config.warmup) % config.refreshEvery === 0,
  };
}

function resolve(init: FosiInit): FosiConfig {
  const refreshEvery = init.refreshEvery ?? FOSI_DEFAULTS.refreshEvery;
  const config: FosiConfig = {
    base: init.base,
    alpha: init.alpha ?? FOSI_DEFAULTS.alpha,
    clip: init.clip ?? (init.base.kind === 'adam' ? FOSI_DEFAULTS.clipAdam : FOSI_DEFAULTS.clip),
    decay: init.decay ?? FOSI_DEFAULTS.decay,
    refreshEvery,
    warmup: init.warmup ?? refreshEvery,
    k: init.k ?? FOSI_DEFAULTS.k,
    l: init.l ?? FOSI_DEFAULTS.l,
    eigenvalueShift: init.eigenvalueShift ?? FOSI_DEFAULTS.eigenvalueShift,
  };
  if (!(config.refreshEvery >= 1) || !(config.clip >= 1) || !(config.alpha >= 0)) {
    throw new FosiArgumentError('need refreshEvery ≥ 1, clip ≥ 1 and alpha ≥ 0');
  }
  return config;
}

function fosiStep(cfg: FosiConfig, g: Float32Array, state: FosiState, eigen: EigenInfo | null): FosiUpdate {
  const n = state.velocity.length;
  if (g.length !== n) throw new FosiArgumentError(`gradient length ${g.length}, expected ${n}`);
  const installed = eigen !== null && state.count + 1 >= cfg.warmup;
  const st = installed ? install(cfg, state, eigen, n) : state;
  const V = st.eigvecs;
  const g1 = project(V, g, null);
  const g2 = g.map((x, i) => x - (g1[i] ?? 0));
  const velocity = newtonVelocity(cfg, g1, st.velocity);
  const d1 = project(V, velocity, st.etas);
  const { step, state: base } = baseStep(cfg.base, g2, st.base);
  const back = project(V, step, null);
  const d2 = step.map((x, i) => x - (back[i] ?? 0));
  const updates = d2.map((x, i) => st.scale * x - cfg.alpha * (d1[i] ?? 0));
  return { updates, state: { ...st, count: st.count + 1, velocity, base }, installed };
}

/** Installs V, η and s from eigen-information (the ESE branch of the reference's update). */
function install(cfg: FosiConfig, state: FosiState, eigen: EigenInfo, n: number): FosiState {
  const r = eigen.eigvecs.length;
  if (eigen.eigvals.length !== r || eigen.k + eigen.l !== r || eigen.eigvecs.some((v) => v.length !== n)) {
    throw new FosiArgumentError('eigen-information does not match: need k + l rows of length n and k + l values');
  }
  const etas = eigen.eigvals.map((lam) => {
    const eta = Math.abs(1 / (lam + cfg.eigenvalueShift));
    return Number.isFinite(eta) ? eta : 0; // λ + σ = 0: no Newton step along that direction
  });
  const ratio = (etas[eigen.l] ?? 0) / (etas[r - 1] ?? 0);
  const scale = eigen.k > 0 && Number.isFinite(ratio) ? Math.min(Math.max(ratio, 1), cfg.clip) : 1;
  return { ...state, eigvecs: eigen.eigvecs.map((v) => v.slice()), etas, scale, eigenStep: state.count };
}

/** u ← M(g₁, u): the velocity rule that matches the base optimizer (reference `fosi_*` helpers). */
function newtonVelocity(cfg: FosiConfig, g1: Float32Array, u: Float32Array): Float32Array {
  const b = cfg.decay;
  switch (cfg.base.kind) {
    case 'sgd':
      return g1.slice();
    case 'heavy-ball':
      return cfg.base.nesterov === true
        ? g1.map((x, i) => (1 + b) * x + b * b * (u[i] ?? 0))
        : g1.map((x, i) => x + b * (u[i] ?? 0));
    case 'adam':
      return g1.map((x, i) => (1 - b) * x + b * (u[i] ?? 0));
  }
}

/** Vᵀ(w ⊙ V x) with float64 accumulation (w = null means all ones); zeros when V is empty. */
function project(V: readonly Float32Array[], x: Float32Array, w: Float64Array | null): Float32Array {
  const acc = new Float64Array(x.length);
  V.forEach((v, j) => {
    let a = 0;
    for (let i = 0; i < x.length; i++) a += (v[i] ?? 0) * (x[i] ?? 0);
    a *= w === null ? 1 : (w[j] ?? 0);
    for (let i = 0; i < x.length; i++) acc[i] = (acc[i] ?? 0) + a * (v[i] ?? 0);
  });
  return Float32Array.from(acc);
}
