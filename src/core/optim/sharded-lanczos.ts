/**
 * Sharded Lanczos (DHO2's distributed ESE, ALGORITHMS.md §2.2): the basis is split along the parameter
 * axis into P contiguous shards and shard owner p holds only Q_p (m × σ_p). Every inner product is a sum
 * of per-shard partials (the "small all-reduces" of m or 1 numbers); the HVP maps a sharded vector to a
 * sharded vector. The arithmetic mirrors {@link lanczos} step for step (CGS twice, float32 rows, float64
 * scalars), so both give the same T on the same seed and operator.
 *
 * The driver holds only scalars; it talks to owners through {@link ShardOps}. {@link createLocalShardOps}
 * simulates the owners in one process; a network implementation replaces it without touching the driver.
 *
 * @example
 * const ops = createLocalShardOps([300, 200, 500], shardHvp(hvp, [300, 200, 500]));
 * const r = await shardedLanczos(ops, { order: 20, seed: 7, k: 5 });
 * // r.value.eigvals as from extremeSpectrum; owner p holds its eigenvector slices: ops.eigvecSlices(p)
 */
import { axpy, dot } from '../linalg/vec.ts';
import { err, ok, type Result } from '../result.ts';
import { BREAKDOWN_REL_TOL, hvpOutputProblem, startVector, type Hvp, type HvpOptions, type LanczosFailure } from './lanczos.ts';
import { selectRitz } from './spectrum.ts';

/**
 * What the driver asks of the shard owners. Methods returning arrays return one partial per shard, in
 * shard order; the driver sums them (the all-reduce). Each owner keeps: basis rows Q_p, a float64 working
 * slice w_p, and Ritz slices V_p.
 */
export interface ShardOps {
  /** σ_p: the length of each shard; n = Σ σ_p. Fixed for a run. */
  readonly sizes: readonly number[];
  /** Clears Q_p and V_p; w_p ← owner's slice of the unnormalised seeded start vector. Returns ‖w_p‖². */
  drawStart(seed: number, opts?: HvpOptions): Promise<Float64Array>;
  /** Appends row float32(scale · w_p) to Q_p. */
  appendRow(scale: number, opts?: HvpOptions): Promise<void>;
  /** Distributed HVP on basis row `row`: w_p ← (H q_row)_p. Returns ⟨w_p, Q_p[row]⟩ per shard, or why not. */
  hvp(row: number, opts?: HvpOptions): Promise<Result<Float64Array, string>>;
  /** Partial projections Q_p w_p (one entry per stored row), per shard. */
  project(opts?: HvpOptions): Promise<Float64Array[]>;
  /** w_p ← w_p − Q_pᵀ c. Returns ‖w_p‖² per shard. */
  subtract(c: Float64Array, opts?: HvpOptions): Promise<Float64Array>;
  /** V_p[j] = Σ_i coeffs[j][i] Q_p[i]. Returns, per shard, ‖V_p[j]‖² for every j. */
  formRitz(coeffs: readonly Float64Array[], opts?: HvpOptions): Promise<Float64Array[]>;
  /** V_p[j] ← scales[j] · V_p[j]. */
  scaleRitz(scales: Float64Array, opts?: HvpOptions): Promise<void>;
}

/** Driver inputs: as {@link SpectrumInit} minus n (from the shard sizes); `order` is m. */
export interface ShardedLanczosInit {
  readonly order: number;
  readonly seed: number;
  readonly k: number;
  readonly l?: number;
  readonly breakdownRelTol?: number;
  readonly signal?: AbortSignal;
}

/** Driver output: T, the selected eigenvalues ([bottom-l ; top-k]) and the basis memory per shard. */
export interface ShardedSpectrum {
  readonly alphas: Float64Array;
  readonly betas: Float64Array;
  readonly eigvals: Float64Array;
  readonly k: number;
  readonly l: number;
  readonly breakdown: boolean;
  /** m′ · σ_p: floats each owner holds in basis rows. */
  readonly basisFloatsPerShard: readonly number[];
}

/** A sharded HVP: shard slices of v in, shard slices of H v out. */
export type ShardedHvp = (v: readonly Float32Array[], opts?: HvpOptions) => Promise<Float32Array[]>;

/** Local owners with introspection for tests and the dashboard. */
export interface LocalShardOps extends ShardOps {
  /** Floats held in basis rows by owner p. */
  basisFloats(p: number): number;
  /** Owner p's eigenvector slices, stacked like EigenInfo. */
  eigvecSlices(p: number): readonly Float32Array[];
}

/** Runs sharded Lanczos and the Ritz step; eigenvector slices stay with the owners. */
export async function shardedLanczos(
  ops: ShardOps,
  init: ShardedLanczosInit,
): Promise<Result<ShardedSpectrum, LanczosFailure>> {
  const opts = { signal: init.signal };
  const run = await iterate(ops, init);
  if (!run.ok) return run;
  const { alphas, betas, breakdown } = run.value;
  const sel = selectRitz(alphas, betas, init.k, init.l ?? 0);
  const norms = sumRows(await ops.formRitz(sel.coeffs, opts));
  if (!norms.every((x) => x > 0 && Number.isFinite(x))) {
    return err({ kind: 'bad-partial', step: alphas.length, reason: 'Ritz norms' });
  }
  await ops.scaleRitz(norms.map((x) => 1 / Math.sqrt(x)), opts);
  const basisFloatsPerShard = ops.sizes.map((size) => alphas.length * size);
  return ok({ alphas, betas, eigvals: sel.values, k: sel.k, l: sel.l, breakdown, basisFloatsPerShard });
}

/** T = tridiag(betas, alphas, betas) and whether the breakdown guard fired. */
interface Tridiagonal {
  readonly alphas: Float64Array;
  readonly betas: Float64Array;
  readonly breakdown: boolean;
}

/** The Lanczos loop over ShardOps: the same steps as `lanczos`, with every reduction a sum of partials. */
async function iterate(
  ops: ShardOps,
  init: ShardedLanczosInit,
): Promise<Result<Tridiagonal, LanczosFailure>> {
  const { signal } = init;
  const opts = { signal };
  const m = Math.min(init.order, ops.sizes.reduce((a, b) => a + b, 0));
  const relTol = init.breakdownRelTol ?? BREAKDOWN_REL_TOL;
  const alphas: number[] = [];
  const betas: number[] = [];
  const done = (breakdown: boolean): Result<Tridiagonal, never> =>
    ok({ alphas: Float64Array.from(alphas), betas: Float64Array.from(betas), breakdown });
  const start = Math.sqrt(sum(await ops.drawStart(init.seed, opts)));
  if (!(start > 0 && Number.isFinite(start))) return err({ kind: 'bad-partial', step: 0, reason: 'start norm' });
  await ops.appendRow(1 / start, opts);
  let scale = 0;
  for (let i = 0; i < m; i++) {
    if (signal?.aborted === true) return err({ kind: 'aborted', step: i });
    const h = await ops.hvp(i, opts);
    if (!h.ok) return err({ kind: 'bad-hvp', step: i, reason: h.error });
    const alpha = sum(h.value);
    if (!Number.isFinite(alpha)) return err({ kind: 'bad-partial', step: i, reason: 'alpha' });
    alphas.push(alpha);
    scale = Math.max(scale, Math.abs(alpha));
    if (i + 1 === m) break;
    await ops.subtract(sumRows(await ops.project(opts)), opts);
    const beta = Math.sqrt(sum(await ops.subtract(sumRows(await ops.project(opts)), opts)));
    if (!Number.isFinite(beta)) return err({ kind: 'bad-partial', step: i, reason: 'beta' });
    if (beta <= relTol * scale) return done(true);
    scale = Math.max(scale, beta);
    betas.push(beta);
    await ops.appendRow(1 / beta, opts);
  }
  return done(false);
}

/** Wraps a full-vector HVP as a sharded one (concatenate, apply, split): for simulation and tests. */
export function shardHvp(hvp: Hvp, sizes: readonly number[]): ShardedHvp {
  const n = sizes.reduce((a, b) => a + b, 0);
  return async (v, opts) => {
    const full = new Float32Array(n);
    let off = 0;
    v.forEach((slice) => {
      full.set(slice, off);
      off += slice.length;
    });
    const out = await hvp(full, opts);
    if (out.length !== n) return sizes.map(() => new Float32Array(0)); // the owners reject the lengths
    return splitBySizes(out, sizes);
  };
}

/** One simulated shard owner: its basis rows Q_p, float64 working slice w_p and Ritz slices V_p. */
class LocalOwner {
  basis: Float32Array[] = [];
  w: Float64Array;
  /** Unnormalised Ritz slices, float64 until scaled (one rounding to float32, as `ritzPairs`). */
  raw: Float64Array[] = [];
  ritz: Float32Array[] = [];
  constructor(readonly size: number) {
    this.w = new Float64Array(size);
  }
  reset(w: Float64Array): number {
    [this.basis, this.raw, this.ritz, this.w] = [[], [], [], w];
    return dot(w, w);
  }
  project(): Float64Array {
    return Float64Array.from(this.basis, (q) => dot(this.w, q));
  }
  subtract(c: Float64Array): number {
    this.basis.forEach((q, j) => axpy(-(c[j] ?? 0), q, this.w));
    return dot(this.w, this.w);
  }
  formRitz(coeffs: readonly Float64Array[]): Float64Array {
    this.raw = coeffs.map((s) => combine(this.basis, s, this.size));
    return Float64Array.from(this.raw, (v) => dot(v, v));
  }
  scaleRitz(scales: Float64Array): void {
    this.ritz = this.raw.map((v, j) => Float32Array.from(v, (x) => x * (scales[j] ?? 0)));
    this.raw = [];
  }
}

/** Shard owners simulated in one process, over a sharded HVP. */
export function createLocalShardOps(sizes: readonly number[], hvp: ShardedHvp): LocalShardOps {
  if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError('shard sizes must be positive integers');
  }
  const owners = sizes.map((size) => new LocalOwner(size));
  const n = sizes.reduce((a, b) => a + b, 0);
  const owner = (p: number): LocalOwner => {
    const o = owners[p];
    if (o === undefined) throw new RangeError(`no shard ${p}`);
    return o;
  };
  const each = <T>(f: (o: LocalOwner, p: number) => T): T[] => owners.map(f);
  return {
    sizes,
    drawStart: (seed) => {
      // A remote owner would draw the same n normals and keep its slice: no broadcast of q0 is needed.
      const parts = splitBySizes(startVector(n, seed, false), sizes);
      return Promise.resolve(Float64Array.from(each((o, p) => o.reset(parts[p] ?? new Float64Array(0)))));
    },
    appendRow: (scale) => {
      each((o) => o.basis.push(Float32Array.from(o.w, (x) => x * scale)));
      return Promise.resolve();
    },
    hvp: async (row, opts) => {
      const q = each((o) => o.basis[row] ?? new Float32Array(o.size));
      const out = await hvp(q.map((s) => s.slice()), opts);
      const problems = each((o, p) => hvpOutputProblem(out[p] ?? new Float32Array(0), o.size));
      const bad = problems.findIndex((x) => x !== null);
      if (bad >= 0) return err(`shard ${bad}: ${problems[bad] ?? ''}`);
      each((o, p) => (o.w = Float64Array.from(out[p] ?? [])));
      return ok(Float64Array.from(each((o, p) => dot(o.w, q[p] ?? new Float32Array(0)))));
    },
    project: () => Promise.resolve(each((o) => o.project())),
    subtract: (c) => Promise.resolve(Float64Array.from(each((o) => o.subtract(c)))),
    formRitz: (coeffs) => Promise.resolve(each((o) => o.formRitz(coeffs))),
    scaleRitz: (scales) => {
      each((o) => {
        o.scaleRitz(scales);
      });
      return Promise.resolve();
    },
    basisFloats: (p) => owner(p).basis.reduce((s, r) => s + r.length, 0),
    eigvecSlices: (p) => owner(p).ritz,
  };
}

/** Σ_i s[i] Q[i] accumulated in float64 (the order {@link ritzPairs} uses). Not yet normalised. */
function combine(basis: readonly Float32Array[], s: Float64Array, size: number): Float64Array {
  const v = new Float64Array(size);
  basis.forEach((q, i) => axpy(s[i] ?? 0, q, v));
  return v;
}

function sum(parts: Float64Array): number {
  return parts.reduce((s, x) => s + x, 0);
}

/** Element-wise sum of per-shard partial vectors (all of one length). */
function sumRows(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts[0]?.length ?? 0);
  for (const p of parts) p.forEach((x, j) => (out[j] = (out[j] ?? 0) + x));
  return out;
}

function offsetOf(sizes: readonly number[], p: number): number {
  return sizes.slice(0, p).reduce((a, b) => a + b, 0);
}

function splitBySizes<T extends Float32Array | Float64Array>(v: T, sizes: readonly number[]): T[] {
  return sizes.map((size, p) => v.slice(offsetOf(sizes, p), offsetOf(sizes, p) + size) as T);
}
