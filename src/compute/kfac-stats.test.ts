import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { packUpper } from '../core/analytic/packed-symmetric.ts';
import { addFactorSums, checkFactorSums } from '../core/optim/kfac.ts';
import { createRng } from '../core/rng.ts';
import { kfacFactorSums, layerGradient, MLP_DENSE_LAYERS, splitLayerUpdate } from './kfac-stats.ts';
import { getModel, initialParams } from './models.ts';
import { Replica } from './replica.ts';

beforeAll(async () => { await tf.setBackend('cpu'); });

const [D, H, C] = [784, 128, 10];

function randomBatch(rows: number, seed: number): { x: Float32Array; y: Uint8Array } {
  const rng = createRng(seed);
  return { x: Float32Array.from({ length: rows * D }, () => (rng.next() < 0.3 ? rng.next() : 0)), y: Uint8Array.from({ length: rows }, () => rng.int(C)) };
}

/** MLP parameters with non-zero biases, so the bias paths are exercised. */
function params(seed: number): Float32Array[] {
  const p = initialParams(getModel('mlp'), seed);
  const rng = createRng(seed + 1);
  for (const i of [1, 3]) p[i] = Float32Array.from(p[i] ?? [], () => 0.1 * rng.normal());
  return p;
}

/** Per-sample layer inputs (with the trailing 1) and pre-activation gradients, float64 in plain JS. */
function perSample(p: readonly Float32Array[], x: Float32Array, y: Uint8Array): { a0: number[][]; g1: number[][]; a1: number[][]; g2: number[][] } {
  const [w1, b1, w2, b2] = p as [Float32Array, Float32Array, Float32Array, Float32Array];
  const out = { a0: [] as number[][], g1: [] as number[][], a1: [] as number[][], g2: [] as number[][] };
  for (let r = 0; r < y.length; r++) {
    const a0 = [...x.subarray(r * D, (r + 1) * D), 1];
    const z1 = Array.from({ length: H }, (_, j) => a0.slice(0, D).reduce((s, v, i) => s + v * (w1[i * H + j] ?? 0), b1[j] ?? 0));
    const h = z1.map((z) => Math.max(0, z));
    const z2 = Array.from({ length: C }, (_, k) => h.reduce((s, v, j) => s + v * (w2[j * C + k] ?? 0), b2[k] ?? 0));
    const m = Math.max(...z2);
    const e = z2.map((z) => Math.exp(z - m));
    const sum = e.reduce((a, b) => a + b, 0);
    const g2 = e.map((v, k) => v / sum - (k === y[r] ? 1 : 0));
    const g1 = z1.map((z, j) => (z > 0 ? g2.reduce((s, g, k) => s + g * (w2[j * C + k] ?? 0), 0) : 0));
    out.a0.push(a0);
    out.g1.push(g1);
    out.a1.push([...h, 1]);
    out.g2.push(g2);
  }
  return out;
}

function outerSumPacked(rows: readonly number[][], n: number): Float64Array {
  const full = new Float64Array(n * n);
  for (const v of rows) {
    for (let i = 0; i < n; i++) {
      const vi = v[i] ?? 0;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) full[i * n + j] = (full[i * n + j] ?? 0) + vi * (v[j] ?? 0);
    }
  }
  const p = packUpper(full, n);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

/** max |a − b| / max |b|. */
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs((a[i] ?? 0) - (b[i] ?? 0))); s = Math.max(s, Math.abs(b[i] ?? 0)); }
  return d / s;
};

describe('kfacFactorSums', () => {
  it('equals a brute-force per-sample computation (8 rows, 1e-4), whose g are the gradients tfjs computes', async () => {
    const p = params(3);
    const { x, y } = randomBatch(8, 4);
    const ref = perSample(p, x, y);
    for (const chunkRows of [3, 256]) {
      const [l0, l1] = await kfacFactorSums(p, x, y, { chunkRows });
      if (l0 === undefined || l1 === undefined) throw new Error('two layers expected');
      expect([l0.dIn, l0.dOut, l1.dIn, l1.dOut, l0.count, l1.count]).toEqual([785, 128, 129, 10, 8, 8]);
      expect(maxRel(l0.aUpper, outerSumPacked(ref.a0, 785))).toBeLessThan(1e-4);
      expect(maxRel(l0.gUpper, outerSumPacked(ref.g1, 128))).toBeLessThan(1e-4);
      expect(maxRel(l1.aUpper, outerSumPacked(ref.a1, 129))).toBeLessThan(1e-4);
      expect(maxRel(l1.gUpper, outerSumPacked(ref.g2, 10))).toBeLessThan(1e-4);
    }
    // The mean-loss gradient of layer l is (1/N) Σ_i a_i g_iᵀ: checks the brute-force g against autodiff.
    const r = new Replica(getModel('mlp'), { name: 'sgd', learningRate: 0.1 }, p, null, 0);
    const grads = (await r.gradients(x, y)).grads;
    r.dispose();
    for (const [l, as, gs] of [[0, ref.a0, ref.g1], [1, ref.a1, ref.g2]] as const) {
      const { dIn, dOut } = MLP_DENSE_LAYERS[l] ?? { dIn: 0, dOut: 0 };
      const expected = new Float64Array(dIn * dOut);
      as.forEach((a, i) => { for (let k = 0; k < dIn; k++) for (let c = 0; c < dOut; c++) expected[k * dOut + c] = (expected[k * dOut + c] ?? 0) + ((a[k] ?? 0) * (gs[i]?.[c] ?? 0)) / y.length; });
      expect(maxRel(layerGradient(grads, l), expected)).toBeLessThan(1e-4);
    }
  });

  it('the sums over a batch equal the sums over its two halves added, and pass checkFactorSums', async () => {
    const p = params(5);
    const { x, y } = randomBatch(16, 6);
    const whole = await kfacFactorSums(p, x, y);
    const first = await kfacFactorSums(p, x.subarray(0, 8 * D), y.subarray(0, 8));
    const second = await kfacFactorSums(p, x.subarray(8 * D), y.subarray(8));
    MLP_DENSE_LAYERS.forEach((l, i) => {
      const w = whole[i];
      const [f, s] = [first[i], second[i]];
      if (w === undefined || f === undefined || s === undefined) throw new Error('missing layer');
      const added = addFactorSums(f, s);
      if (!added.ok) throw new Error(added.error);
      expect(added.value.count).toBe(16);
      expect(maxRel(added.value.aUpper, w.aUpper)).toBeLessThan(1e-5);
      expect(maxRel(added.value.gUpper, w.gUpper)).toBeLessThan(1e-5);
      expect(checkFactorSums(w, l.dIn, l.dOut).ok).toBe(true);
    });
  });

  it('leaks no tensors and refuses parameters or a batch that do not fit the MLP', async () => {
    const p = params(7);
    const { x, y } = randomBatch(5, 8);
    const before = tf.memory().numTensors;
    await kfacFactorSums(p, x, y, { chunkRows: 2 });
    expect(tf.memory().numTensors).toBe(before);
    await expect(kfacFactorSums(p.slice(1), x, y)).rejects.toThrow(RangeError);
    await expect(kfacFactorSums(p, x.subarray(1), y)).rejects.toThrow(RangeError);
    await expect(kfacFactorSums(p, x, y, { chunkRows: 0 })).rejects.toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('layerGradient / splitLayerUpdate', () => {
  it('lays kernel rows then the bias row out, and round-trips', () => {
    const rng = createRng(9);
    const grads = getModel('mlp').params.map((s) => Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => rng.normal()));
    const l0 = layerGradient(grads, 0);
    const l1 = layerGradient(grads, 1);
    expect([l0.length, l1.length]).toEqual([785 * 128, 129 * 10]);
    expect(l0[5 * 128 + 7]).toBe(grads[0]?.[5 * 128 + 7]); // W1[5][7]
    expect(l0[784 * 128 + 3]).toBe(grads[1]?.[3]); // bias row
    expect(l1[128 * 10 + 9]).toBe(grads[3]?.[9]);
    expect(splitLayerUpdate([l0, l1])).toEqual(grads);
    expect(() => layerGradient(grads, 2)).toThrow(RangeError);
    expect(() => layerGradient(grads.slice(0, 3), 0)).toThrow(RangeError);
    expect(() => splitLayerUpdate([l0])).toThrow(RangeError);
    expect(() => splitLayerUpdate([l0, l0])).toThrow(RangeError);
  });
});
