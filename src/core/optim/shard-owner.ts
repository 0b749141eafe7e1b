/**
 * One DHO2 shard owner (ALGORITHMS.md §2.2–2.4; docs/math/fosi-dho2.md §4–4.1): device p's share of the
 * curvature state for the contiguous coordinates [offset, offset + size) of the flat parameter vector.
 * It holds the Lanczos basis slice Q_p, the working slice w_p, the Ritz slices, the installed eigenvector
 * slices V_p, the base-optimizer state of its shard and, in extrapolation mode, π_p and the drift: O(m·size)
 * floats, never an n-vector. A coordinator drives it with messages and sums the partials it returns.
 *
 * Lanczos arithmetic is that of `sharded-lanczos.ts` (float32 rows, float64 w_p and scalars). The FOSI step
 * is split in three phases, with two all-reduces of k + l numbers between them:
 *   stepProject(g_p) → a_p = V_p g_p;   a = Σ a_p
 *   stepBase(a) → e_p = V_p d₂,p;       e = Σ e_p     (g₂,p = g_p − V_pᵀa, b ← M(a, b), d₂,p = Base(g₂,p))
 *   stepFinish(e) → Δ_p = s·(d₂,p − V_pᵀe) − α·V_pᵀ(η ⊙ b)
 * The Newton velocity lives in coefficient space (b ∈ R^{k+l}, reset to 0 at each install); the step's
 * state changes are committed only by stepFinish, so `cancelStep` can drop a step a peer abandoned.
 * Every input that comes from a peer is validated and errors are returned; the state stays usable.
 *
 * @example
 * const owner = new ShardOwner({ n, offset, size, fosi: createFosi({ base }).config });
 * // after an ESE: owner.install(eigvals, k, l); then per step, summing over owners between phases:
 * const a = sum(owners.map((o) => o.stepProject(gSlice)));   // Result values, summed by the caller
 * const e = sum(owners.map((o) => o.stepBase(a)));
 * const delta = owner.stepFinish(e);                          // θ_p += Δ_p
 */
import { axpy, dot } from '../linalg/vec.ts';
import { err, ok, type Result } from '../result.ts';
import { baseStep, initBaseState, type BaseState, type FosiConfig } from './fosi.ts';
import { hvpOutputProblem, startVector } from './lanczos.ts';

/** Owner placement and options: its shard [offset, offset + size) of n, and the resolved FOSI config. */
export interface ShardOwnerInit {
  readonly n: number;
  readonly offset: number;
  readonly size: number;
  readonly fosi: FosiConfig;
  /** DHO2's "ADMM-like" extrapolation (§2.4) with penalty σ (the released code: 5e-9). */
  readonly extrapolation?: { readonly sigma: number };
}

/** Floats held by one owner (a float64 counts as 2), for the per-device memory figure. */
export interface CurvatureFloats {
  /** Lanczos basis rows Q_p plus the float64 working slice w_p. */
  readonly basis: number;
  /** Ritz slices: float64 before `scaleRitz`, float32 after. */
  readonly ritz: number;
  /** Installed V_p plus η and the coefficient velocity b (float64). */
  readonly eigvecs: number;
  /** Base-optimizer moments of the shard, plus π_p and the drift in extrapolation mode. */
  readonly optimizer: number;
  readonly total: number;
}

/** A FOSI step in progress: nothing is committed to the owner until `stepFinish`. */
type Pending =
  | { readonly phase: 'idle' }
  | { readonly phase: 'projected'; readonly g: Float32Array }
  | { readonly phase: 'based'; readonly d2: Float32Array; readonly b: Float64Array; readonly base: BaseState };

/** A shard owner; see the module comment. */
export class ShardOwner {
  readonly n: number;
  readonly offset: number;
  readonly size: number;
  private readonly cfg: FosiConfig;
  private readonly sigma: number | null;
  private basis: Float32Array[] = [];
  private w: Float64Array = new Float64Array(0);
  private raw: Float64Array[] = [];
  private ritz: Float32Array[] = [];
  private V: Float32Array[] = [];
  private etas: Float64Array = new Float64Array(0);
  /** b: the Newton velocity in coefficient space, u = Vᵀb. */
  private b: Float64Array = new Float64Array(0);
  private scale = 1;
  private base: BaseState;
  private steps = 0;
  private pending: Pending = { phase: 'idle' };
  private readonly pi: Float32Array | null;
  private readonly drift: Float32Array | null;

  /** @throws RangeError when the placement or σ is malformed (a programmer error). */
  constructor(init: ShardOwnerInit) {
    const { n, offset, size } = init;
    if (![n, offset, size].every(Number.isSafeInteger) || size < 1 || offset < 0 || offset + size > n) {
      throw new RangeError(`bad shard [${offset}, ${offset + size}) of ${n}`);
    }
    const sigma = init.extrapolation?.sigma ?? null;
    if (sigma !== null && !(sigma > 0 && Number.isFinite(sigma))) throw new RangeError('sigma must be positive');
    [this.n, this.offset, this.size, this.cfg, this.sigma] = [n, offset, size, init.fosi, sigma];
    this.base = initBaseState(init.fosi.base, size);
    this.pi = sigma === null ? null : new Float32Array(size);
    this.drift = sigma === null ? null : new Float32Array(size);
  }

  /** Steps finished so far. */
  get count(): number {
    return this.steps;
  }
  /** Installed eigenvector slices V_p, stacked [bottom-l ; top-k]; empty before the first install. */
  get eigvecs(): readonly Float32Array[] {
    return this.V;
  }
  /** Normalised Ritz slices of the last ESE, before `install`. */
  get ritzSlices(): readonly Float32Array[] {
    return this.ritz;
  }

  // ------------------------------------------------------------------ Lanczos (sharded ESE) ----------

  /** Clears basis and Ritz slices; w_p ← this shard of the unnormalised seeded start vector. Returns ‖w_p‖². */
  drawStart(seed: number): Result<number, string> {
    if (!Number.isSafeInteger(seed)) return err('seed must be a safe integer');
    this.clearBasis();
    // startVector draws in index order, so its first offset + size entries do not depend on n.
    this.w = startVector(this.offset + this.size, seed, false).slice(this.offset);
    return ok(dot(this.w, this.w));
  }

  /** Appends float32(scale · w_p) to Q_p; returns a copy of the row for the coordinator to gather. */
  appendRow(scale: number): Result<Float32Array, string> {
    if (!Number.isFinite(scale)) return err('non-finite row scale');
    if (this.w.length !== this.size) return err('no working slice: drawStart first');
    if (this.basis.length >= this.n) return err('the basis already has n rows');
    const row = Float32Array.from(this.w, (x) => x * scale);
    this.basis.push(row);
    return ok(row.slice());
  }

  /** w_p ← w (this shard of H q_row). Returns ⟨w_p, Q_p[row]⟩ and the first CGS projections Q_p w_p. */
  setHvp(row: number, w: Float32Array): Result<{ dot: number; projections: Float64Array }, string> {
    const q = Number.isInteger(row) ? this.basis[row] : undefined;
    if (q === undefined) return err(`no basis row ${row}`);
    const problem = hvpOutputProblem(w, this.size);
    if (problem !== null) return err(problem);
    this.w = Float64Array.from(w);
    return ok({ dot: dot(this.w, q), projections: this.project() });
  }

  /** Partial projections Q_p w_p, one per stored row. */
  project(): Float64Array {
    return Float64Array.from(this.basis, (q) => dot(this.w, q));
  }

  /** w_p ← w_p − Q_pᵀc. Returns ‖w_p‖² and (unless withProjections is false) the fresh Q_p w_p. */
  subtract(c: Float64Array, withProjections = true): Result<{ norm2: number; projections: Float64Array }, string> {
    const bad = coefficientProblem(c, this.basis.length);
    if (bad !== null) return err(bad);
    this.basis.forEach((q, j) => axpy(-(c[j] ?? 0), q, this.w));
    return ok({ norm2: dot(this.w, this.w), projections: withProjections ? this.project() : new Float64Array(0) });
  }

  /** Unnormalised Ritz slices Σ_i coeffs[j][i] Q_p[i] (float64). Returns ‖·‖² of each. */
  formRitz(coeffs: readonly Float64Array[]): Result<Float64Array, string> {
    if (coeffs.length > this.basis.length) return err('more Ritz vectors than basis rows');
    for (const s of coeffs) {
      const bad = coefficientProblem(s, this.basis.length);
      if (bad !== null) return err(bad);
    }
    this.raw = coeffs.map((s) => {
      const v = new Float64Array(this.size);
      this.basis.forEach((q, i) => axpy(s[i] ?? 0, q, v));
      return v;
    });
    return ok(Float64Array.from(this.raw, (v) => dot(v, v)));
  }

  /** Ritz slice j ← float32(scales[j] · raw_j): one rounding, as `ritzPairs`. */
  scaleRitz(scales: Float64Array): Result<void, string> {
    const bad = coefficientProblem(scales, this.raw.length);
    if (bad !== null) return err(bad);
    this.ritz = this.raw.map((v, j) => Float32Array.from(v, (x) => x * (scales[j] ?? 0)));
    this.raw = [];
    return ok(undefined);
  }

  /** Drops the basis, working slice and Ritz slices (an aborted ESE); the installed V_p is kept. */
  clearBasis(): void {
    [this.basis, this.w, this.raw, this.ritz] = [[], new Float64Array(0), [], []];
  }

  /**
   * Installs the Ritz slices as V_p with eigenvalues [bottom-l ; top-k]: η_j = |1/(λ_j + σ)| (0 if not
   * finite), s = clip(η_l / η_last, 1, c) as fosi.ts, b ← 0. Frees the basis. Not during a step.
   */
  install(eigvals: Float64Array, k: number, l: number): Result<void, string> {
    if (this.pending.phase !== 'idle') return err('cannot install in the middle of a step');
    if (![k, l].every((x) => Number.isInteger(x) && x >= 0)) return err('bad k or l');
    const r = k + l;
    if (this.ritz.length !== r || eigvals.length !== r) return err(`expected ${r} Ritz slices and eigenvalues`);
    if (!eigvals.every(Number.isFinite)) return err('non-finite eigenvalue');
    this.etas = eigvals.map((lam) => {
      const eta = Math.abs(1 / (lam + this.cfg.eigenvalueShift));
      return Number.isFinite(eta) ? eta : 0;
    });
    const ratio = (this.etas[l] ?? 0) / (this.etas[r - 1] ?? 0);
    this.scale = k > 0 && Number.isFinite(ratio) ? Math.min(Math.max(ratio, 1), this.cfg.clip) : 1;
    this.V = this.ritz;
    this.b = new Float64Array(r);
    this.clearBasis();
    return ok(undefined);
  }

  // ------------------------------------------------------------------ FOSI step (three phases) -------

  /** Phase 1: stores g_p (+π_p in extrapolation mode); returns a_p = V_p g_p (empty without V). */
  stepProject(g: Float32Array): Result<Float64Array, string> {
    if (this.pending.phase !== 'idle') return err('stepProject: a step is already in progress');
    const problem = hvpOutputProblem(g, this.size);
    if (problem !== null) return err(`gradient: ${problem}`);
    const pi = this.pi;
    const gp = pi === null ? g.slice() : g.map((x, i) => x + (pi[i] ?? 0));
    this.pending = { phase: 'projected', g: gp };
    return ok(Float64Array.from(this.V, (v) => dot(v, gp)));
  }

  /** Phase 2: g₂,p = g_p − V_pᵀa; b′ = M(a, b); d₂,p = Base(g₂,p). Returns e_p = V_p d₂,p. */
  stepBase(a: Float64Array): Result<Float64Array, string> {
    const p = this.pending;
    if (p.phase !== 'projected') return err('stepBase: call stepProject first');
    const bad = coefficientProblem(a, this.V.length);
    if (bad !== null) return err(bad);
    const g1 = combine(this.V, a, this.size);
    const g2 = p.g.map((x, i) => x - (g1[i] ?? 0));
    const { step, state } = baseStep(this.cfg.base, g2, this.base);
    this.pending = { phase: 'based', d2: step, b: coefficientVelocity(this.cfg, a, this.b), base: state };
    return ok(Float64Array.from(this.V, (v) => dot(v, step)));
  }

  /** Phase 3: Δ_p = s·(d₂,p − V_pᵀe) − α·V_pᵀ(η ⊙ b′); commits b′, the base state, the drift. */
  stepFinish(e: Float64Array): Result<Float32Array, string> {
    const p = this.pending;
    if (p.phase !== 'based') return err('stepFinish: call stepBase first');
    const bad = coefficientProblem(e, this.V.length);
    if (bad !== null) return err(bad);
    const back = combine(this.V, e, this.size);
    const d2 = p.d2.map((x, i) => x - (back[i] ?? 0));
    const d1 = combine(this.V, p.b.map((x, j) => x * (this.etas[j] ?? 0)), this.size);
    const delta = d2.map((x, i) => this.scale * x - this.cfg.alpha * (d1[i] ?? 0));
    [this.b, this.base, this.pending] = [p.b, p.base, { phase: 'idle' }];
    this.steps += 1;
    if (this.drift !== null) axpy(1, delta, this.drift);
    return ok(delta);
  }

  /** Drops a step in progress (a peer left mid-step): nothing it computed was committed. */
  cancelStep(): void {
    this.pending = { phase: 'idle' };
  }

  // ------------------------------------------------------------------ DHO2 extrapolation (§2.4) ------

  /** z ← θ: the drift restarts from 0 (call when a new ESE is installed). No-op without extrapolation. */
  anchor(): void {
    this.drift?.fill(0);
  }

  /** Window end: π_p ← π_p + σ·drift_p; returns π_p/σ (add it to θ_p); the drift restarts from 0. */
  extrapolate(): Result<Float32Array, string> {
    const [pi, drift, sigma] = [this.pi, this.drift, this.sigma];
    if (pi === null || drift === null || sigma === null) return err('extrapolation is off for this owner');
    if (this.pending.phase !== 'idle') return err('cannot extrapolate in the middle of a step');
    pi.forEach((x, i) => (pi[i] = x + sigma * (drift[i] ?? 0)));
    drift.fill(0);
    return ok(pi.map((x) => x / sigma));
  }

  /** Floats held now (float64 counts 2); transient buffers of a step in progress are not counted. */
  curvatureFloats(): CurvatureFloats {
    const rows = (xs: readonly { length: number }[]): number => xs.reduce((s, x) => s + x.length, 0);
    const basis = rows(this.basis) + 2 * this.w.length;
    const ritz = 2 * rows(this.raw) + rows(this.ritz);
    const eigvecs = rows(this.V) + 2 * (this.etas.length + this.b.length);
    const b = this.base;
    const moments = b.kind === 'sgd' ? 0 : b.kind === 'heavy-ball' ? b.trace.length : b.m.length + b.v.length;
    const optimizer = moments + (this.pi?.length ?? 0) + (this.drift?.length ?? 0);
    return { basis, ritz, eigvecs, optimizer, total: basis + ritz + eigvecs + optimizer };
  }
}

/** b ← M(a, b): fosi.ts's Newton-velocity rule applied to coefficients (exact while V is fixed). */
function coefficientVelocity(cfg: FosiConfig, a: Float64Array, b: Float64Array): Float64Array {
  const beta = cfg.decay;
  switch (cfg.base.kind) {
    case 'sgd':
      return a.slice();
    case 'heavy-ball':
      return cfg.base.nesterov === true
        ? a.map((x, j) => (1 + beta) * x + beta * beta * (b[j] ?? 0))
        : a.map((x, j) => x + beta * (b[j] ?? 0));
    case 'adam':
      return a.map((x, j) => (1 - beta) * x + beta * (b[j] ?? 0));
  }
}

/** Σ_j c[j] V[j] accumulated in float64, rounded once to float32 (fosi.ts's projection order). */
function combine(V: readonly Float32Array[], c: Float64Array, size: number): Float32Array {
  const acc = new Float64Array(size);
  V.forEach((v, j) => axpy(c[j] ?? 0, v, acc));
  return Float32Array.from(acc);
}

/** Why a coefficient vector from a peer is unusable (wrong length or non-finite), or null. */
function coefficientProblem(c: Float64Array, expected: number): string | null {
  if (c.length !== expected) return `coefficient length ${c.length}, expected ${expected}`;
  return c.every(Number.isFinite) ? null : 'non-finite coefficient';
}
