/**
 * FedAvg's ClientUpdate (McMahan et al. 2017, Algorithm 1): plain minibatch SGD from the round's global
 * parameters over one client's rows for E local epochs, reshuffled every epoch. The parameters live in
 * tf.Variables for the whole call, so only the final parameters and one loss scalar per batch leave the
 * device (a Replica would download and re-upload every gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../core/rng.ts';
import type { ModelDef } from './models.ts';
import { IMAGE_PIXELS, meanCrossEntropy } from './models.ts';
import { applyUpdate } from './optimizer.ts';

export interface LocalTraining {
  readonly model: ModelDef;
  /** Starting parameters (float32, model order); not modified. */
  readonly params: readonly Float32Array[];
  /** The client's rows as flat images, count·784 floats in [0, 1]. */
  readonly x: Float32Array;
  /** Their labels, one per row. */
  readonly y: Uint8Array;
  /** Local epochs E (0 returns the starting parameters). */
  readonly epochs: number;
  /** Minibatch size B; the last batch of an epoch may be smaller. */
  readonly batch: number;
  readonly learningRate: number;
  /** Seeds the per-epoch shuffles: epoch e uses createRng(seed).fork(`epoch-${e}`). */
  readonly seed: number;
  /** Awaited after every batch (the runtime yields to the event loop so heartbeats keep flowing). */
  readonly onBatch?: () => Promise<void>;
}

export interface LocalResult {
  /** Parameters after training (fresh arrays, model order). */
  readonly params: Float32Array[];
  /** Sum of per-sample losses over the last epoch (each batch's loss before its update); 0 when epochs = 0. */
  readonly lossSum: number;
  /** The client's rows (samples per epoch), so the mean loss is lossSum / count. */
  readonly count: number;
}

function check(init: LocalTraining): void {
  const { model, params, x, y, epochs, batch } = init;
  if (params.length !== model.params.length) throw new RangeError(`expected ${model.params.length} parameter arrays, got ${params.length}`);
  model.params.forEach((spec, i) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (params[i]?.length !== size) throw new RangeError(`parameter ${i} (${spec.name}) must have ${size} values`);
  });
  if (x.length !== y.length * IMAGE_PIXELS) throw new RangeError(`x holds ${x.length} floats, expected ${y.length}·${IMAGE_PIXELS}`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
}

/**
 * Trains a copy of `params` with plain SGD (p ← p − lr·∇ mean loss of the batch) on (x, y).
 * @throws RangeError on inconsistent arguments (a programmer error: callers hold validated data).
 * @example const { params, lossSum, count } = await trainLocally({ model, params: global, x, y, epochs: 1, batch: 32, learningRate: 0.05, seed: 7 });
 */
export async function trainLocally(init: LocalTraining): Promise<LocalResult> {
  check(init);
  const { model, x, y, epochs, batch } = init;
  const n = y.length;
  const spec = { name: 'sgd' as const, learningRate: init.learningRate };
  const vars = model.params.map((p, i) => tf.tidy(() => tf.variable(tf.tensor(init.params[i] ?? [], [...p.shape]), true)));
  let lossSum = 0;
  try {
    for (let e = 0; e < epochs; e++) {
      const order = createRng(init.seed).fork(`epoch-${e}`).shuffle(Int32Array.from({ length: n }, (_, i) => i));
      let epochLoss = 0;
      for (let start = 0; start < n; start += batch) {
        const count = Math.min(batch, n - start);
        // Fresh arrays per batch: some backends keep a reference to the array a tensor was made from.
        const bx = new Float32Array(count * IMAGE_PIXELS);
        const by = new Int32Array(count);
        for (let b = 0; b < count; b++) {
          const row = order[start + b] ?? 0;
          bx.set(x.subarray(row * IMAGE_PIXELS, (row + 1) * IMAGE_PIXELS), b * IMAGE_PIXELS);
          by[b] = y[row] ?? 0;
        }
        const loss = tf.tidy(() => {
          const xs = tf.tensor2d(bx, [count, IMAGE_PIXELS]);
          const ys = tf.tensor1d(by, 'int32');
          const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]): tf.Scalar => meanCrossEntropy(model.forward(ps, xs), ys))(vars);
          applyUpdate(spec, vars, [], grads, 1); // plain SGD has no slots and ignores the step number
          return value;
        });
        // Reading the loss every batch also bounds the queue of work a GPU backend has in flight.
        const mean = (await loss.data())[0] ?? Number.NaN;
        loss.dispose();
        epochLoss += mean * count;
        if (init.onBatch) await init.onBatch();
      }
      lossSum = epochLoss;
    }
    // Copies: on the cpu backend data() may hand out the backing array (the caller's own, after 0 epochs).
    const params = await Promise.all(vars.map(async (v) => (await v.data() as Float32Array).slice()));
    return { params, lossSum, count: n };
  } finally {
    for (const v of vars) v.dispose();
  }
}
