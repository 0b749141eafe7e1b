/**
 * Hessian-vector products H·v of a model's mean cross-entropy on one fixed batch, for Lanczos (FOSI/DHO2,
 * docs/math/fosi-dho2.md) and other second-order methods. The engine snapshots the parameters and the batch
 * into its own tensors, so the caller may keep training its replica; v and every result are FLAT
 * (the model's tensors concatenated in model order, length n).
 *
 * Two modes (spec ALGORITHMS.md §1.6):
 * - 'fd': one-sided difference Hv ≈ (∇L(θ + εv) − ∇L(θ)) / ε with ε = step / ‖v‖, so the step ‖εv‖ is
 *   `eps` (default 1e-3, the spec's value for float32). ∇L(θ) is computed once and cached. One gradient
 *   pass per product; about 1e-3 relative error, plus a jump where the step crosses a ReLU kink.
 * - 'ad': nested gradients, Hv = ∇⟨∇L(θ), v⟩. Exact up to float32 round-off, about 3 gradient passes.
 *
 * Why 'ad' needs its own cross-entropy: tfjs 4.x records the tensors a gradient saves from the forward pass
 * as clones taped *before* the op that made them, so a gradient that uses its op's saved OUTPUT (Exp, Max,
 * Sigmoid, Softmax, …) is a constant to the outer gradient, and `tf.losses.softmaxCrossEntropy` is a
 * customGrad whose second derivative comes out as silent zeros. `twiceDifferentiableCrossEntropy` uses only
 * ops whose gradients read their INPUTS (expm1, log, sum, mul): exp(u) = expm1(u) + 1, and the log-sum-exp
 * shift c is the row maximum of the logits at θ, computed once outside the tape (a constant: the value is
 * exact for any c, and c = max keeps exp from overflowing at θ, the only point 'ad' differentiates at).
 * ReLU is fine: its gradient is dy·step(x) and step's gradient is 0, the true second derivative a.e.
 *
 * Because a model's forward may still contain such an op, an 'ad' request is probed once at construction:
 * on the first PROBE_ROWS rows and a seeded random v, 'ad' must match a central difference to
 * PROBE_TOLERANCE; if it throws, is non-finite or disagrees, the engine falls back to 'fd' and says so in
 * `mode`. The probe reads back two numbers with dataSync (the only synchronous read-back here).
 *
 * @example
 * const engine = createHvp(getModel('mlp'), params, x, y, { mode: 'ad' });
 * const hv = await engine.hvp(v); // Float32Array, length engine.n
 * engine.dispose();
 */
import * as tf from '@tensorflow/tfjs';
import { norm } from '../core/linalg/vec.ts';
import { createRng } from '../core/rng.ts';
import type { ModelDef } from './models.ts';
import { IMAGE_PIXELS, NUM_CLASSES, meanCrossEntropy } from './models.ts';

export type HvpMode = 'ad' | 'fd';

export interface HvpOptions {
  /** Default 'fd' (the spec's reproduction setting); 'ad' may fall back to 'fd' (module comment). */
  readonly mode?: HvpMode;
  /** Length ‖εv‖ of the finite-difference step in parameter space. Default DEFAULT_FD_STEP. */
  readonly eps?: number;
}

export interface HvpEngine {
  /** Number of parameters: the length of v and of every result. */
  readonly n: number;
  /** The mode in use, which is 'fd' when 'ad' was requested but failed the probe. */
  readonly mode: HvpMode;
  /** H·v at the snapshot θ; leaves tf.memory().numTensors unchanged. */
  hvp(v: Float32Array): Promise<Float32Array>;
  /** ∇L(θ) (mean cross-entropy over the batch), flat; a fresh copy on every call. */
  gradient(): Promise<Float32Array>;
  /** Frees the snapshot; any later call throws. */
  dispose(): void;
}

/** ‖εv‖ = 1e-3: the spec's float32 step (§1.6), ~1e-3 relative error on Hv for unit-scale curvature. */
export const DEFAULT_FD_STEP = 1e-3;
/** Rows of the batch used by the 'ad' probe: enough to exercise every op, cheap enough to run once. */
export const PROBE_ROWS = 8;
/**
 * Largest ‖Hv_ad − Hv_fd‖ / ‖Hv_fd‖ accepted by the probe. A central difference in float32 is good to ~1e-3;
 * a missing second-order term or silent zeros are off by O(1), so 0.1 separates the two with room.
 */
export const PROBE_TOLERANCE = 0.1;
const PROBE_SEED = 0x6876;

/**
 * Mean softmax cross-entropy with second derivatives that tfjs gets right (module comment). `shift` is a
 * [batch, 1] constant, typically the row maxima of the logits where it will be differentiated.
 */
export function twiceDifferentiableCrossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D, shift: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const u = tf.sub(logits, shift);
    const logSumExp = tf.log(tf.sum(tf.add(tf.expm1(u), 1), 1, true));
    // One-hot rows sum to 1, so Σ_k y_k (u_k − lse) is the log-probability of the label.
    return tf.neg(tf.mean<tf.Scalar>(tf.sum(tf.mul(oneHot, tf.sub(u, logSumExp)), 1)));
  });
}

const flatten = (ts: readonly tf.Tensor[]): tf.Tensor1D => tf.concat(ts.map((t) => tf.reshape(t, [-1])));
const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function splitFlat(v: Float32Array, like: readonly tf.Tensor[]): tf.Tensor[] {
  let at = 0;
  return like.map((p) => {
    const t = tf.tensor(v.subarray(at, at + p.size), p.shape);
    at += p.size;
    return t;
  });
}

/** Hv by nested gradients; call inside tf.tidy. */
function adHvp(model: ModelDef, params: readonly tf.Tensor[], xs: tf.Tensor2D, oneHot: tf.Tensor2D, shift: tf.Tensor2D, v: readonly tf.Tensor[]): tf.Tensor[] {
  const loss = (...ps: tf.Tensor[]): tf.Scalar => twiceDifferentiableCrossEntropy(model.forward(ps, xs), oneHot, shift);
  const directional = (...ps: tf.Tensor[]): tf.Scalar => {
    const gs = tf.grads(loss)(ps);
    return tf.addN(gs.map((g, i) => tf.sum(tf.mul(g, v[i] ?? tf.zerosLike(g))))) as tf.Scalar;
  };
  return tf.grads(directional)([...params]);
}

/** ∇L at params + h·v (v omitted: at params), with the model's own loss; call inside tf.tidy. */
function gradientAt(model: ModelDef, params: readonly tf.Tensor[], xs: tf.Tensor2D, labels: tf.Tensor1D, v?: readonly tf.Tensor[], h = 0): tf.Tensor[] {
  const at = v === undefined ? [...params] : params.map((p, i) => tf.add(p, tf.mul(v[i] ?? tf.zerosLike(p), h)));
  return tf.grads((...ps: tf.Tensor[]) => meanCrossEntropy(model.forward(ps, xs), labels))(at);
}

const rowMax = (logits: tf.Tensor2D): tf.Tensor2D => tf.max(logits, 1, true);

/** True when 'ad' matches a central difference on the probe rows (module comment). Never throws. */
function adPassesProbe(model: ModelDef, params: readonly tf.Tensor[], xs: tf.Tensor2D, labels: tf.Tensor1D, step: number): boolean {
  try {
    const [diff, scale] = tf.tidy(() => {
      const rows = Math.min(PROBE_ROWS, xs.shape[0]);
      const px = tf.slice(xs, [0, 0], [rows, IMAGE_PIXELS]);
      const pl = tf.slice(labels, [0], [rows]);
      const oneHot = tf.oneHot(pl, NUM_CLASSES).toFloat() as tf.Tensor2D;
      const rng = createRng(PROBE_SEED);
      const flat = Float32Array.from({ length: params.reduce((s, p) => s + p.size, 0) }, () => rng.normal());
      const v = splitFlat(flat, params);
      const h = step / norm(flat);
      const ad = flatten(adHvp(model, params, px, oneHot, rowMax(model.forward(params, px)), v));
      const plus = flatten(gradientAt(model, params, px, pl, v, h));
      const minus = flatten(gradientAt(model, params, px, pl, v, -h));
      const fd = tf.div(tf.sub(plus, minus), 2 * h);
      return tf.stack([tf.norm(tf.sub(ad, fd)), tf.maximum(tf.norm(fd), tf.norm(ad))]).dataSync();
    });
    if (diff === undefined || scale === undefined || !Number.isFinite(diff) || !Number.isFinite(scale)) return false;
    return diff <= PROBE_TOLERANCE * Math.max(scale, Number.MIN_VALUE);
  } catch {
    return false;
  }
}

async function download(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

class TfHvpEngine implements HvpEngine {
  readonly n: number;
  readonly mode: HvpMode;
  private readonly owned: tf.Tensor[];
  private readonly shift: tf.Tensor2D | undefined;
  private base: Promise<Float32Array> | undefined;
  private disposed = false;

  constructor(
    private readonly model: ModelDef,
    private readonly params: readonly tf.Tensor[],
    private readonly xs: tf.Tensor2D,
    private readonly labels: tf.Tensor1D,
    private readonly oneHot: tf.Tensor2D,
    requested: HvpMode,
    private readonly step: number,
  ) {
    this.n = params.reduce((s, p) => s + p.size, 0);
    this.mode = requested === 'ad' && adPassesProbe(model, params, xs, labels, step) ? 'ad' : 'fd';
    this.shift = this.mode === 'ad' ? tf.keep(tf.tidy(() => rowMax(model.forward(params, xs)))) : undefined;
    this.owned = [...params, xs, labels, oneHot, ...(this.shift ? [this.shift] : [])];
  }

  async hvp(v: Float32Array): Promise<Float32Array> {
    this.check();
    if (v.length !== this.n) throw new RangeError(`v has ${v.length} entries, expected ${this.n}`);
    const { model, params, xs, labels, oneHot, shift } = this;
    if (this.mode === 'ad' && shift !== undefined) {
      return download(tf.tidy(() => flatten(adHvp(model, params, xs, oneHot, shift, splitFlat(v, params)))));
    }
    const size = norm(v);
    if (size === 0) return new Float32Array(this.n);
    const h = this.step / size;
    const g0 = await this.baseGradient();
    const g1 = await download(tf.tidy(() => flatten(gradientAt(model, params, xs, labels, splitFlat(v, params), h))));
    const out = new Float32Array(this.n);
    for (let i = 0; i < out.length; i++) out[i] = ((g1[i] ?? 0) - (g0[i] ?? 0)) / h;
    return out;
  }

  async gradient(): Promise<Float32Array> {
    this.check();
    return (await this.baseGradient()).slice();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.owned) t.dispose();
  }

  private baseGradient(): Promise<Float32Array> {
    const { model, params, xs, labels } = this;
    this.base ??= download(tf.tidy(() => flatten(gradientAt(model, params, xs, labels))));
    return this.base;
  }

  private check(): void {
    if (this.disposed) throw new Error('HvpEngine used after dispose()');
  }
}

/**
 * Builds an engine for the mean cross-entropy of `model` at `params` (per-tensor arrays in model order) on
 * the batch x (count×784), y. Copies everything it is given.
 * @throws RangeError on a parameter count or length, batch shape or eps that does not fit (programmer errors).
 */
export function createHvp(model: ModelDef, params: readonly Float32Array[], x: Float32Array, y: Uint8Array, opts: HvpOptions = {}): HvpEngine {
  const specs = model.params;
  if (params.length !== specs.length) throw new RangeError(`expected ${specs.length} parameter arrays, got ${params.length}`);
  specs.forEach((spec, i) => {
    const len = params[i]?.length ?? -1;
    if (len !== sizeOf(spec.shape)) throw new RangeError(`parameter ${i} (${spec.name}) has ${len} values, expected ${sizeOf(spec.shape)}`);
  });
  const count = y.length;
  if (count < 1 || x.length !== count * IMAGE_PIXELS) throw new RangeError(`batch has ${x.length} pixels for ${count} labels`);
  const step = opts.eps ?? DEFAULT_FD_STEP;
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`eps must be finite and > 0, got ${step}`);
  // slice(): the CPU backend keeps a typed array it is given by reference, so copy to own the snapshot.
  // tf.keep: a caller's enclosing tidy must not free it either.
  const tensors = specs.map((spec, i) => tf.keep(tf.tensor((params[i] ?? new Float32Array(0)).slice(), [...spec.shape])));
  const xs = tf.keep(tf.tensor2d(x.slice(), [count, IMAGE_PIXELS]));
  const labels = tf.keep(tf.tensor1d(Int32Array.from(y), 'int32'));
  const oneHot = tf.keep(tf.tidy(() => tf.oneHot(labels, NUM_CLASSES).toFloat() as tf.Tensor2D));
  return new TfHvpEngine(model, tensors, xs, labels, oneHot, opts.mode ?? 'fd', step);
}
