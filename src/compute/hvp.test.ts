import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.ts';
import { createHvp, twiceDifferentiableCrossEntropy } from './hvp.ts';
import type { ModelDef } from './models.ts';
import { getModel, initialParams, meanCrossEntropy } from './models.ts';
import { Replica } from './replica.ts';

beforeAll(async () => { await tf.setBackend('cpu'); });

const ROWS = 32;
const D = 784;
const H = 128;
const C = 10;

function randomBatch(rows: number, seed: number): { x: Float32Array; y: Uint8Array } {
  const rng = createRng(seed);
  return { x: Float32Array.from({ length: rows * D }, () => rng.next()), y: Uint8Array.from({ length: rows }, () => rng.int(C)) };
}
const randomVec = (n: number, seed: number): Float32Array => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
};
const combine = (a: Float32Array, b: Float32Array, ca: number, cb: number): Float32Array => a.map((v, i) => ca * v + cb * (b[i] ?? 0));
/** ‖a − b‖ / ‖b‖ in float64. */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return Math.sqrt(d / dot(b, b));
};
const flat = (ps: readonly Float32Array[]): Float64Array => {
  const out = new Float64Array(ps.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of ps) { out.set(p, at); at += p.length; }
  return out;
};

/** Float64 mean cross-entropy of the MLP with flat parameters θ = [W1, b1, W2, b2] (the oracle). */
function mlpLoss64(theta: Float64Array, x: Float32Array, y: Uint8Array): number {
  const [w1, b1, w2, b2] = [0, D * H, D * H + H, D * H + H + H * C];
  let total = 0;
  const hid = new Float64Array(H);
  for (let r = 0; r < y.length; r++) {
    for (let j = 0; j < H; j++) hid[j] = theta[b1 + j] ?? 0;
    for (let i = 0; i < D; i++) {
      const xi = x[r * D + i] ?? 0;
      if (xi === 0) continue;
      for (let j = 0; j < H; j++) hid[j] = (hid[j] ?? 0) + xi * (theta[w1 + i * H + j] ?? 0);
    }
    const z = new Float64Array(C);
    for (let k = 0; k < C; k++) {
      let s = theta[b2 + k] ?? 0;
      for (let j = 0; j < H; j++) s += Math.max(0, hid[j] ?? 0) * (theta[w2 + j * C + k] ?? 0);
      z[k] = s;
    }
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    total += lse - (z[y[r] ?? 0] ?? 0);
  }
  return total / y.length;
}

/** wᵀHw by a float64 central second difference of the float64 loss (step 1e-4 along unit w). */
function quadForm64(theta: Float64Array, w: Float32Array, x: Float32Array, y: Uint8Array): number {
  const h = 1e-4 / Math.sqrt(dot(w, w));
  const at = (s: number): number => mlpLoss64(theta.map((t, i) => t + s * (w[i] ?? 0)), x, y);
  return (at(h) - 2 * at(0) + at(-h)) / (h * h);
}

/** A linear softmax model 784→10: its Hessian is known in closed form. The name is only a label. */
const linear: ModelDef = {
  name: 'mlp',
  params: [{ name: 'w', shape: [D, C], fanIn: D }, { name: 'b', shape: [C], fanIn: 0 }],
  forward: (p, x) => tf.add(tf.matMul(x, p[0] as tf.Tensor2D), p[1] as tf.Tensor1D),
  gradientKernels: [],
};

/** Exact Hv for `linear`: (1/N) Σ_i x̃_i r_iᵀ with r_i = (diag p_i − p_i p_iᵀ)(V_Wᵀ x_i + v_b), in float64. */
function linearHv64(theta: Float32Array, v: Float32Array, x: Float32Array, y: Uint8Array): Float64Array {
  const out = new Float64Array(D * C + C);
  for (let r = 0; r < y.length; r++) {
    const z = new Float64Array(C);
    const dz = new Float64Array(C);
    for (let k = 0; k < C; k++) { z[k] = theta[D * C + k] ?? 0; dz[k] = v[D * C + k] ?? 0; }
    for (let i = 0; i < D; i++) {
      const xi = x[r * D + i] ?? 0;
      for (let k = 0; k < C; k++) { z[k] = (z[k] ?? 0) + xi * (theta[i * C + k] ?? 0); dz[k] = (dz[k] ?? 0) + xi * (v[i * C + k] ?? 0); }
    }
    const m = Math.max(...z);
    const e = z.map((t) => Math.exp(t - m));
    const sum = e.reduce((a, b) => a + b, 0);
    const p = e.map((t) => t / sum);
    const pdz = dot(p, dz);
    const res = p.map((pk, k) => (pk * ((dz[k] ?? 0) - pdz)) / y.length);
    for (let i = 0; i < D; i++) for (let k = 0; k < C; k++) out[i * C + k] = (out[i * C + k] ?? 0) + (x[r * D + i] ?? 0) * (res[k] ?? 0);
    for (let k = 0; k < C; k++) out[D * C + k] = (out[D * C + k] ?? 0) + (res[k] ?? 0);
  }
  return out;
}

describe('createHvp on the MLP', () => {
  const mlp = getModel('mlp');
  const params = initialParams(mlp, 5);
  const { x, y } = randomBatch(ROWS, 11);

  it("'ad' passes its probe on the MLP and agrees with 'fd' (5e-2) and with a float64 second difference", async () => {
    const ad = createHvp(mlp, params, x, y, { mode: 'ad' });
    const fd = createHvp(mlp, params, x, y, { mode: 'fd' });
    expect(ad.mode).toBe('ad');
    expect(fd.mode).toBe('fd');
    expect(ad.n).toBe(101_770);
    const u = randomVec(ad.n, 1);
    const v = randomVec(ad.n, 2);
    const [hvAd, hvFd, huAd] = [await ad.hvp(v), await fd.hvp(v), await ad.hvp(u)];
    expect(relErr(hvFd, hvAd)).toBeLessThan(5e-2);
    // Oracle: vᵀHv and (polarisation) uᵀHv = (q(u+v) − q(u−v)) / 4 from the float64 loss; `pol` is the scale
    // of that difference, the natural yardstick for errors in a bilinear form.
    const theta = flat(params);
    const qv = quadForm64(theta, v, x, y);
    const [qPlus, qMinus] = [quadForm64(theta, combine(u, v, 1, 1), x, y), quadForm64(theta, combine(u, v, 1, -1), x, y)];
    const uHv = (qPlus - qMinus) / 4;
    const pol = (Math.abs(qPlus) + Math.abs(qMinus)) / 4;
    expect(Math.abs(dot(v, hvAd) - qv)).toBeLessThan(1e-3 * Math.abs(qv));
    expect(Math.abs(dot(u, hvAd) - uHv)).toBeLessThan(1e-3 * pol);
    expect(Math.abs(dot(v, hvFd) - qv)).toBeLessThan(1e-2 * Math.abs(qv));
    // (b) symmetry ⟨u, Hv⟩ = ⟨v, Hu⟩.
    expect(Math.abs(dot(u, hvAd) - dot(v, huAd))).toBeLessThan(1e-4 * pol);
    const huFd = await fd.hvp(u);
    expect(Math.abs(dot(u, hvFd) - dot(v, huFd))).toBeLessThan(1e-2 * pol);
    ad.dispose();
    fd.dispose();
  });

  it('Hv is linear in v, and v = 0 gives 0, in both modes', async () => {
    for (const mode of ['ad', 'fd'] as const) {
      const e = createHvp(mlp, params, x, y, { mode });
      const v = randomVec(e.n, 3);
      const w = randomVec(e.n, 4);
      const [hv, hw, h2v, hvw] = [await e.hvp(v), await e.hvp(w), await e.hvp(combine(v, v, 2, 0)), await e.hvp(combine(v, w, 1, 1))];
      expect(relErr(h2v, combine(hv, hv, 2, 0))).toBeLessThan(1e-4);
      expect(relErr(hvw, combine(hv, hw, 1, 1))).toBeLessThan(mode === 'ad' ? 1e-4 : 1e-2);
      expect(Array.from(await e.hvp(new Float32Array(e.n))).every((t) => t === 0)).toBe(true);
      e.dispose();
    }
  });

  it("gradient() equals the replica's gradient, ignores later changes to the inputs, and nothing leaks", async () => {
    const before = tf.memory().numTensors;
    const xCopy = x.slice();
    const p = params.map((a) => a.slice());
    const e = createHvp(mlp, p, xCopy, y, { mode: 'ad' });
    const held = tf.memory().numTensors;
    p[0]?.fill(0);
    xCopy.fill(0);
    const r = new Replica(mlp, { name: 'sgd', learningRate: 0.1 }, params, null, 0);
    const expected = flat((await r.gradients(x, y)).grads);
    r.dispose();
    const g = await e.gradient();
    expect(relErr(g, expected)).toBeLessThan(1e-6);
    g.fill(0);
    expect(relErr(await e.gradient(), expected)).toBeLessThan(1e-6);
    await e.hvp(randomVec(e.n, 6));
    expect(tf.memory().numTensors).toBe(held);
    e.dispose();
    const f = createHvp(mlp, params, x, y, { mode: 'fd' });
    const heldFd = tf.memory().numTensors;
    await f.hvp(randomVec(f.n, 7));
    await f.gradient();
    await f.hvp(randomVec(f.n, 8));
    expect(tf.memory().numTensors).toBe(heldFd);
    f.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(f.hvp(new Float32Array(f.n))).rejects.toThrow(/dispose/);
  });

  it('rejects a wrong v length, parameter list, batch or eps', async () => {
    const e = createHvp(mlp, params, x, y);
    await expect(e.hvp(new Float32Array(3))).rejects.toThrow(RangeError);
    e.dispose();
    expect(() => createHvp(mlp, params.slice(1), x, y)).toThrow(RangeError);
    expect(() => createHvp(mlp, params, x.subarray(1), y)).toThrow(RangeError);
    expect(() => createHvp(mlp, params, x, y, { eps: 0 })).toThrow(RangeError);
  });
});

describe('createHvp against an exact Hessian', () => {
  const { x, y } = randomBatch(16, 21);
  const theta = randomVec(D * C + C, 22).map((t) => 0.05 * t);
  const params = [theta.slice(0, D * C), theta.slice(D * C)];

  it('matches the closed-form Hessian of a linear softmax model in both modes', async () => {
    for (const [mode, tol] of [['ad', 1e-4], ['fd', 1e-2]] as const) {
      const e = createHvp(linear, params, x, y, { mode });
      expect(e.mode).toBe(mode);
      for (const seed of [31, 32]) {
        const v = randomVec(e.n, seed);
        expect(relErr(await e.hvp(v), linearHv64(theta, v, x, y))).toBeLessThan(tol);
      }
      e.dispose();
    }
  });

  it("falls back to 'fd' when the forward has an op tfjs cannot differentiate twice (sigmoid)", async () => {
    const squashed: ModelDef = { ...linear, forward: (p, xs) => tf.mul(tf.sigmoid(linear.forward(p, xs)), 8) };
    const e = createHvp(squashed, params, x, y, { mode: 'ad' });
    const f = createHvp(squashed, params, x, y, { mode: 'fd' });
    expect(e.mode).toBe('fd');
    const v = randomVec(e.n, 33);
    expect(await e.hvp(v)).toEqual(await f.hvp(v));
    e.dispose();
    f.dispose();
  });

  it('the twice-differentiable cross-entropy has the same value as the model loss', () => {
    const [a, b] = tf.tidy(() => {
      const logits = tf.mul<tf.Tensor2D>(tf.randomNormal([6, C], 0, 1, 'float32', 3), 20);
      const labels = tf.tensor1d([0, 3, 9, 2, 2, 7], 'int32');
      const oneHot = tf.oneHot(labels, C).toFloat() as tf.Tensor2D;
      return [meanCrossEntropy(logits, labels).dataSync()[0], twiceDifferentiableCrossEntropy(logits, oneHot, tf.max(logits, 1, true)).dataSync()[0]];
    });
    expect(b).toBeCloseTo(a ?? NaN, 4);
  });
});
