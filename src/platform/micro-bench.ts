/**
 * A short training micro-benchmark of the active tfjs backend: Adam steps of a 784-128-10 MLP (the
 * MNIST shape) on random data. Its samples/s figure ranks backends and sizes each worker's batch share.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from './self-test.ts';

/** Options of {@link measureTrainingThroughput}. */
export interface ThroughputInit {
  /** Timed budget after the warm-up step, ms. 600 ms gives tens of steps on wasm and is cheap enough per backend. */
  readonly budgetMs?: number;
  /** Samples per step. 64 is a typical per-worker share of a global batch. */
  readonly batch?: number;
  /** Hidden units of the benchmark MLP. */
  readonly hidden?: number;
  /** At least this many timed steps, even past the budget (one step alone is too noisy). */
  readonly minSteps?: number;
  /** At most this many timed steps, whatever the budget. */
  readonly maxSteps?: number;
  /** Clock in ms; `performance.now` by default. */
  readonly now?: () => number;
}

/** The result of {@link measureTrainingThroughput}. */
export interface ThroughputResult {
  /** Training samples per second over the timed steps. */
  readonly samplesPerSec: number;
  /** Timed steps run. */
  readonly steps: number;
  /** Wall time of the timed steps, ms. */
  readonly elapsedMs: number;
  /** Wall time of the first (untimed) step, ms: on GPUs mostly shader compilation. */
  readonly warmupMs: number;
}

/** 28×28 MNIST pixels. */
const INPUTS = 784;
const CLASSES = 10;
const DEFAULT_BUDGET_MS = 600;
const DEFAULT_BATCH = 64;
const DEFAULT_HIDDEN = 128;
const DEFAULT_MIN_STEPS = 2;
/** Stops a broken clock from looping forever; 1000 steps of batch 64 is well over any budget's worth. */
const DEFAULT_MAX_STEPS = 1000;
/** Adam's usual learning rate; the value does not matter for timing. */
const LEARNING_RATE = 1e-3;

interface Bench {
  readonly variables: tfjs.Variable[];
  readonly x: tfjs.Tensor2D;
  readonly labels: tfjs.Tensor;
  readonly loss: () => tfjs.Scalar;
}

/** Builds the MLP's variables, a random batch and its loss function. */
function createBench(tf: Tf, batch: number, hidden: number): Bench {
  // He-style scale so activations stay O(1); random data only needs finite, non-trivial values.
  // tf.variable keeps its initial tensor alive beside the variable: the tidy frees it.
  const w1 = tf.tidy(() => tf.variable(tf.randomNormal([INPUTS, hidden], 0, Math.sqrt(2 / INPUTS))));
  const b1 = tf.tidy(() => tf.variable(tf.zeros([hidden])));
  const w2 = tf.tidy(() => tf.variable(tf.randomNormal([hidden, CLASSES], 0, Math.sqrt(2 / hidden))));
  const b2 = tf.tidy(() => tf.variable(tf.zeros([CLASSES])));
  const x = tf.randomUniform<tfjs.Rank.R2>([batch, INPUTS]);
  const labels = tf.tidy(() => tf.oneHot(tf.randomUniform<tfjs.Rank.R1>([batch], 0, CLASSES, 'int32'), CLASSES).toFloat());
  const loss = (): tfjs.Scalar => {
    const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
    return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(h, w2), b2));
  };
  return { variables: [w1, b1, w2, b2], x, labels, loss };
}

/** One optimizer step, awaited until its loss is read back (this flushes a GPU's queue). */
async function step(optimizer: tfjs.Optimizer, bench: Bench): Promise<void> {
  const cost = optimizer.minimize(bench.loss, true, bench.variables);
  if (cost === null) return;
  try {
    await cost.data();
  } finally {
    cost.dispose();
  }
}

/**
 * Measures training throughput on the active backend: one warm-up step (shader compilation), then
 * timed steps until `budgetMs` has passed. Disposes everything it creates. Throws what the backend
 * throws (a missing kernel, a lost device): the caller decides what that means.
 *
 * @example
 * const { samplesPerSec } = await measureTrainingThroughput(tf, { budgetMs: 600, batch: 64 });
 */
export async function measureTrainingThroughput(tf: Tf, init: ThroughputInit = {}): Promise<ThroughputResult> {
  const batch = init.batch ?? DEFAULT_BATCH;
  const budgetMs = init.budgetMs ?? DEFAULT_BUDGET_MS;
  const minSteps = init.minSteps ?? DEFAULT_MIN_STEPS;
  const maxSteps = Math.max(minSteps, init.maxSteps ?? DEFAULT_MAX_STEPS);
  const now = init.now ?? (() => performance.now());
  const bench = createBench(tf, batch, init.hidden ?? DEFAULT_HIDDEN);
  let optimizer: tfjs.Optimizer | null = null;
  try {
    optimizer = tf.train.adam(LEARNING_RATE);
    const warmStart = now();
    await step(optimizer, bench);
    const warmupMs = now() - warmStart;
    const start = now();
    let steps = 0;
    let elapsedMs = 0;
    while (steps < minSteps || (elapsedMs < budgetMs && steps < maxSteps)) {
      await step(optimizer, bench);
      steps++;
      elapsedMs = now() - start;
    }
    // A coarse clock can read 0 ms for fast steps; 1 µs keeps the rate finite.
    const samplesPerSec = (steps * batch * 1000) / Math.max(elapsedMs, 1e-3);
    return { samplesPerSec, steps, elapsedMs, warmupMs };
  } finally {
    optimizer?.dispose();
    bench.variables.forEach((v) => {
      v.dispose();
    });
    bench.x.dispose();
    bench.labels.dispose();
  }
}
