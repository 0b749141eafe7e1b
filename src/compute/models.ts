/**
 * Functional models: parameters are an explicit, ordered list of tensors, so gradients, optimizer slots
 * and the wire format all share one order (what DHO2/ADMM later need too). Initialisation is seeded and
 * computed on the CPU in JS, so every backend starts a replica from identical numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../core/rng.ts';
import type { ModelName } from '../protocol/messages.ts';

export const IMAGE_SIDE = 28;
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const NUM_CLASSES = 10;

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Fan-in used for He-uniform initialisation; 0 = zeros (biases). */
  readonly fanIn: number;
}

export interface ModelDef {
  readonly name: ModelName;
  readonly params: readonly ParamSpec[];
  /** Logits [batch, 10] for flat images x [batch, 784] in [0,1]. Call inside tf.tidy. */
  forward(params: readonly tf.Tensor[], x: tf.Tensor2D): tf.Tensor2D;
  /** Kernel names (as registered, e.g. 'BatchMatMul') whose absence on a backend rules training out there. */
  readonly gradientKernels: readonly string[];
}

/** MLP 784-128-10 with ReLU: ~102k parameters (~400 KB of float32 per gradient message). */
const MLP_HIDDEN = 128;
const mlp: ModelDef = {
  name: 'mlp',
  params: [
    { name: 'dense1/kernel', shape: [IMAGE_PIXELS, MLP_HIDDEN], fanIn: IMAGE_PIXELS },
    { name: 'dense1/bias', shape: [MLP_HIDDEN], fanIn: 0 },
    { name: 'dense2/kernel', shape: [MLP_HIDDEN, NUM_CLASSES], fanIn: MLP_HIDDEN },
    { name: 'dense2/bias', shape: [NUM_CLASSES], fanIn: 0 },
  ],
  forward(p, x) {
    const [w1, b1, w2, b2] = p as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
    return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  },
  gradientKernels: ['BatchMatMul', 'Relu'], // tf.matMul runs BatchMatMul; its gradient is BatchMatMul too
};

/** Small CNN: conv3x3x8 → pool → conv3x3x16 → pool → dense 10 (~9k parameters). */
const cnn: ModelDef = {
  name: 'cnn',
  params: [
    { name: 'conv1/kernel', shape: [3, 3, 1, 8], fanIn: 9 },
    { name: 'conv1/bias', shape: [8], fanIn: 0 },
    { name: 'conv2/kernel', shape: [3, 3, 8, 16], fanIn: 72 },
    { name: 'conv2/bias', shape: [16], fanIn: 0 },
    { name: 'dense/kernel', shape: [7 * 7 * 16, NUM_CLASSES], fanIn: 7 * 7 * 16 },
    { name: 'dense/bias', shape: [NUM_CLASSES], fanIn: 0 },
  ],
  forward(p, x) {
    const [c1, cb1, c2, cb2, w, b] = p as [tf.Tensor4D, tf.Tensor1D, tf.Tensor4D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
    const img = tf.reshape<tf.Rank.R4>(x, [-1, IMAGE_SIDE, IMAGE_SIDE, 1]);
    const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(img, c1, 1, 'same'), cb1)) as tf.Tensor4D, 2, 2, 'valid');
    const h2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(h1, c2, 1, 'same'), cb2)) as tf.Tensor4D, 2, 2, 'valid');
    return tf.add(tf.matMul(tf.reshape<tf.Rank.R2>(h2, [-1, 7 * 7 * 16]), w), b);
  },
  gradientKernels: ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPool', 'MaxPoolGrad'],
};

const MODELS: Readonly<Record<ModelName, ModelDef>> = { mlp, cnn };

export function getModel(name: ModelName): ModelDef {
  return MODELS[name];
}

/** True when every kernel the model's training needs is registered for `backend`. */
export function modelTrainsOn(model: ModelDef, backend: string): boolean {
  // getKernel is typed as always returning a config, but yields undefined for an unregistered kernel.
  return model.gradientKernels.every((k) => (tf.getKernel(k, backend) as tf.KernelConfig | undefined) !== undefined);
}

/** Seeded He-uniform initial parameters as plain arrays (identical on every backend). */
export function initialParams(model: ModelDef, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return model.params.map((p) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n);
    if (p.fanIn > 0) {
      const limit = Math.sqrt(6 / p.fanIn);
      for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * limit;
    }
    return out;
  });
}

/**
 * Makes sure the active backend can train `model` (WASM lacks the convolution filter gradient): if not,
 * switches to the first of webgl, cpu that can. Returns a note saying what happened, or null.
 */
export async function ensureTrainable(model: ModelDef): Promise<string | null> {
  const current = tf.getBackend();
  if (modelTrainsOn(model, current)) return null;
  for (const b of ['webgl', 'cpu']) {
    if (modelTrainsOn(model, b) && (await tf.setBackend(b))) return `${current} cannot train '${model.name}' (missing gradient kernels): switched to ${b}`;
  }
  throw new Error(`no registered backend can train '${model.name}'`);
}

/** Mean softmax cross-entropy of logits against integer labels. */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const oneHot = tf.oneHot(labels, NUM_CLASSES) as tf.Tensor2D;
  return tf.losses.softmaxCrossEntropy<tf.Tensor2D, tf.Scalar>(oneHot, logits);
}
