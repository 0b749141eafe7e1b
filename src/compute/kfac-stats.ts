/**
 * K-FAC statistics of the 'mlp' model (784-128-10, params [W1 [784,128], b1, W2 [128,10], b2], logits
 * relu(x·W1 + b1)·W2 + b2) and the reshaping between its per-tensor gradients and K-FAC's per-layer layout
 * (docs/math/kfac.md, core/optim/kfac.ts).
 *
 * For each dense layer l, with input rows a (a trailing 1 for the bias) and per-sample pre-activation
 * gradients g, `kfacFactorSums` returns Σ a aᵀ and Σ g gᵀ over the batch (layer 0: 785 / 128, layer 1:
 * 129 / 10). g is the gradient of THAT sample's loss (not of the batch mean) with respect to the layer's
 * pre-activation, using the TRUE labels: the empirical Fisher. In closed form,
 *   g₂ = softmax(z₂) − onehot(y),   g₁ = (g₂ W2ᵀ) ⊙ step(z₁)
 * with step(0) = 0, the same ReLU derivative tfjs's own gradient uses.
 *
 * Precision: each chunk of KFAC_CHUNK_ROWS rows forms its Gram matrices with tf.matMul in float32 (a sum of
 * ≤ 256 products per entry, ~1e-6 relative), downloads them and adds their upper triangles into float64 packed
 * arrays, so the error does not grow with the batch and sums over any split of the rows agree to float32
 * round-off. The bias entry Σ 1·1 is exact (integers below 2²⁴), which checkFactorSums relies on.
 *
 * @example
 * const [layer0, layer1] = await kfacFactorSums(params, x, y);    // KfacFactorSums, 785/128 and 129/10
 * const update = splitLayerUpdate([p0, p1]);  // p_l = preconditionLayer(inv_l, layerGradient(grads, l))
 */
import * as tf from '@tensorflow/tfjs';
import { packedLength } from '../core/analytic/packed-symmetric.ts';
import type { KfacFactorSums } from '../core/optim/kfac.ts';
import { IMAGE_PIXELS, NUM_CLASSES, getModel } from './models.ts';

/** Rows per float32 Gram product: bounds both the float32 sums' length and the chunk's memory. */
export const KFAC_CHUNK_ROWS = 256;

interface DenseLayer {
  /** Input width including the bias's constant 1. */
  readonly dIn: number;
  readonly dOut: number;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const MLP_SIZES = getModel('mlp').params.map((p) => sizeOf(p.shape));

/** The MLP's dense layers as K-FAC sees them: [{785, 128}, {129, 10}]. */
export const MLP_DENSE_LAYERS: readonly DenseLayer[] = [0, 1].map((l) => {
  const shape = getModel('mlp').params[2 * l]?.shape ?? [];
  return { dIn: (shape[0] ?? 0) + 1, dOut: shape[1] ?? 0 };
});

function checkMlpParams(params: readonly Float32Array[], what: string): void {
  if (params.length !== MLP_SIZES.length) throw new RangeError(`${what}: expected ${MLP_SIZES.length} arrays, got ${params.length}`);
  params.forEach((p, i) => {
    if (p.length !== MLP_SIZES[i]) throw new RangeError(`${what}: array ${i} has ${p.length} values, expected ${MLP_SIZES[i]}`);
  });
}

/** Adds the upper triangle of a full n×n row-major matrix into a packed float64 sum. */
function addUpper(sum: Float64Array, full: Float32Array, n: number): void {
  let at = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) sum[at] = (sum[at++] ?? 0) + (full[i * n + j] ?? 0);
}

/** [Σa₀a₀ᵀ, Σg₁g₁ᵀ, Σa₁a₁ᵀ, Σg₂g₂ᵀ] of one chunk, full float32 matrices; call inside tf.tidy. */
function chunkGrams(p: readonly tf.Tensor[], x: Float32Array, y: Uint8Array): tf.Tensor[] {
  const [w1, b1, w2, b2] = p as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
  const n = y.length;
  const xs = tf.tensor2d(x, [n, IMAGE_PIXELS]);
  const ones = tf.ones([n, 1]);
  const z1 = tf.add(tf.matMul(xs, w1), b1);
  const h = tf.relu(z1);
  const z2 = tf.add(tf.matMul(h, w2), b2);
  const g2 = tf.sub(tf.softmax(z2), tf.oneHot(tf.tensor1d(Int32Array.from(y), 'int32'), NUM_CLASSES));
  const g1 = tf.mul(tf.matMul(g2, w2, false, true), tf.step(z1));
  const gram = (m: tf.Tensor): tf.Tensor => tf.matMul(m, m, true, false);
  return [gram(tf.concat([xs, ones], 1)), gram(g1), gram(tf.concat([h, ones], 1)), gram(g2)];
}

/**
 * Factor sums of both dense layers of the 'mlp' model at `params` over the batch x (count×784), y
 * (module comment). Leaves tf.memory().numTensors unchanged.
 * @throws RangeError on parameters or a batch that do not fit the MLP (programmer errors).
 */
export async function kfacFactorSums(
  params: readonly Float32Array[],
  x: Float32Array,
  y: Uint8Array,
  opts: { readonly chunkRows?: number } = {},
): Promise<KfacFactorSums[]> {
  checkMlpParams(params, 'parameters');
  const count = y.length;
  if (count < 1 || x.length !== count * IMAGE_PIXELS) throw new RangeError(`batch has ${x.length} pixels for ${count} labels`);
  const chunk = opts.chunkRows ?? KFAC_CHUNK_ROWS;
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new RangeError(`chunkRows must be a positive integer, got ${chunk}`);
  const dims = MLP_DENSE_LAYERS.flatMap((l) => [l.dIn, l.dOut]);
  const sums = dims.map((d) => new Float64Array(packedLength(d)));
  // Copies: the CPU backend keeps a typed array by reference, and the caller may change params while we await.
  const specs = getModel('mlp').params;
  const p = specs.map((s, i) => tf.tensor((params[i] ?? new Float32Array(0)).slice(), [...s.shape]));
  try {
    for (let start = 0; start < count; start += chunk) {
      const end = Math.min(count, start + chunk);
      const grams = tf.tidy(() => chunkGrams(p, x.slice(start * IMAGE_PIXELS, end * IMAGE_PIXELS), y.slice(start, end)));
      try {
        const data = await Promise.all(grams.map((g) => g.data() as Promise<Float32Array>));
        data.forEach((d, k) => { addUpper(sums[k] ?? new Float64Array(0), d, dims[k] ?? 0); });
      } finally {
        for (const g of grams) g.dispose();
      }
    }
  } finally {
    for (const t of p) t.dispose();
  }
  return MLP_DENSE_LAYERS.map((l, i) => ({
    dIn: l.dIn,
    dOut: l.dOut,
    count,
    aUpper: sums[2 * i] ?? new Float64Array(0),
    gUpper: sums[2 * i + 1] ?? new Float64Array(0),
  }));
}

/**
 * Layer `layer`'s gradient in K-FAC's layout, (dIn)×dOut row-major: the kernel's rows, then the bias as the
 * last row — which is the kernel array followed by the bias array.
 * @throws RangeError on a layer index or arrays that do not fit the MLP.
 */
export function layerGradient(grads: readonly Float32Array[], layer: number): Float32Array {
  checkMlpParams(grads, 'gradients');
  const kernel = grads[2 * layer];
  const bias = grads[2 * layer + 1];
  if (!Number.isInteger(layer) || kernel === undefined || bias === undefined) throw new RangeError(`no dense layer ${layer}`);
  const out = new Float32Array(kernel.length + bias.length);
  out.set(kernel);
  out.set(bias, kernel.length);
  return out;
}

/** Inverse of layerGradient for every layer: per-layer arrays back to [W1, b1, W2, b2]. */
export function splitLayerUpdate(layerGrads: readonly Float32Array[]): Float32Array[] {
  if (layerGrads.length !== MLP_DENSE_LAYERS.length) throw new RangeError(`expected ${MLP_DENSE_LAYERS.length} layers, got ${layerGrads.length}`);
  return MLP_DENSE_LAYERS.flatMap((l, i) => {
    const g = layerGrads[i] ?? new Float32Array(0);
    if (g.length !== l.dIn * l.dOut) throw new RangeError(`layer ${i} has ${g.length} values, expected ${l.dIn}×${l.dOut}`);
    const kernelSize = (l.dIn - 1) * l.dOut;
    return [g.slice(0, kernelSize), g.slice(kernelSize)];
  });
}
