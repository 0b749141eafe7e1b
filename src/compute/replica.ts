/**
 * A model replica: parameters and optimizer slots as tf.Variables, owned by this object (dispose() frees
 * them). Gradients, updates and evaluation run here; conversion to and from the wire happens here too, with
 * `await data()` so only CPU arrays leave.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelDef } from './models.ts';
import { meanCrossEntropy, IMAGE_PIXELS } from './models.ts';
import { applyUpdate, slotsPerParam, type OptimizerSpec } from './optimizer.ts';

export interface GradientResult {
  readonly count: number;
  /** Sum of per-sample cross-entropy over the batch. */
  readonly lossSum: number;
  readonly grads: Float32Array[];
}

export class Replica {
  private readonly params: tf.Variable[];
  private readonly slots: tf.Variable[];
  /** Number of optimizer updates applied so far. */
  optimizerStep: number;

  constructor(
    readonly model: ModelDef,
    readonly optimizer: OptimizerSpec,
    params: readonly Float32Array[],
    slots: readonly Float32Array[] | null,
    optimizerStep: number,
  ) {
    if (params.length !== model.params.length) throw new Error('parameter count does not match the model');
    // tf.variable shares the initial tensor's data, so build inside tidy to free the temporary.
    this.params = model.params.map((spec, i) => tf.tidy(() => tf.variable(tf.tensor(params[i] ?? [], [...spec.shape]), true)));
    const k = slotsPerParam(optimizer.name);
    this.slots = [];
    for (let s = 0; s < k; s++) {
      for (let i = 0; i < model.params.length; i++) {
        const spec = model.params[i];
        if (spec === undefined) continue;
        const init = slots?.[s * model.params.length + i];
        this.slots.push(tf.tidy(() => tf.variable(init ? tf.tensor(init, [...spec.shape]) : tf.zeros([...spec.shape]), false)));
      }
    }
    this.optimizerStep = optimizerStep;
  }

  /** Mean-loss gradient over a batch of flat images x (count*784 floats) and labels. */
  async gradients(x: Float32Array, y: Uint8Array): Promise<GradientResult> {
    const count = y.length;
    const { value, grads } = tf.tidy(() => {
      const xs = tf.tensor2d(x, [count, IMAGE_PIXELS]);
      const ys = tf.tensor1d(Int32Array.from(y), 'int32');
      const f = (...ps: tf.Tensor[]): tf.Scalar => meanCrossEntropy(this.model.forward(ps, xs), ys);
      return tf.valueAndGrads(f)(this.params);
    });
    try {
      const arrays = await Promise.all(grads.map((g) => g.data() as Promise<Float32Array>));
      const mean = (await value.data())[0] ?? Number.NaN;
      return { count, lossSum: mean * count, grads: arrays };
    } finally {
      value.dispose();
      for (const g of grads) g.dispose();
    }
  }

  /** Applies the optimizer with the given (already averaged) gradient arrays. */
  applyGradients(grads: readonly Float32Array[]): void {
    const ts = this.model.params.map((spec, i) => tf.tensor(grads[i] ?? [], [...spec.shape]));
    try {
      this.optimizerStep += 1;
      applyUpdate(this.optimizer, this.params, this.slots, ts, this.optimizerStep);
    } finally {
      for (const t of ts) t.dispose();
    }
  }

  /** Fraction of correctly classified samples; evaluated in chunks to bound memory. */
  async accuracy(x: Float32Array, y: Uint8Array, chunk = 1000): Promise<number> {
    let correct = 0;
    for (let start = 0; start < y.length; start += chunk) {
      const n = Math.min(chunk, y.length - start);
      const pred = tf.tidy(() => {
        const xs = tf.tensor2d(x.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS), [n, IMAGE_PIXELS]);
        return tf.argMax(this.model.forward(this.params, xs), 1);
      });
      const p = await pred.data();
      pred.dispose();
      for (let i = 0; i < n; i++) if (p[i] === y[start + i]) correct++;
    }
    return y.length === 0 ? 0 : correct / y.length;
  }

  /**
   * Replaces the parameters in place (FedAvg: a new global model each round), keeping optimizer slots and
   * step. Callers validate untrusted arrays first; a wrong count or length is a programmer error here.
   * @throws RangeError when the count or any length does not match the model.
   */
  setParams(params: readonly Float32Array[]): void {
    const specs = this.model.params;
    if (params.length !== specs.length) throw new RangeError(`expected ${specs.length} parameter arrays, got ${params.length}`);
    specs.forEach((spec, i) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const len = params[i]?.length ?? -1;
      if (len !== size) throw new RangeError(`parameter ${i} (${spec.name}) has ${len} values, expected ${size}`);
    });
    // Checked everything before assigning anything, so a throw leaves the replica unchanged.
    tf.tidy(() => {
      specs.forEach((spec, i) => { this.params[i]?.assign(tf.tensor(params[i] ?? [], [...spec.shape])); });
    });
  }

  /** CPU copies of parameters and slots, for the wire (late joiners, resync, checkpoints). */
  async snapshot(): Promise<{ params: Float32Array[]; slots: Float32Array[]; optimizerStep: number }> {
    const params = await Promise.all(this.params.map((p) => p.data() as Promise<Float32Array>));
    const slots = await Promise.all(this.slots.map((s) => s.data() as Promise<Float32Array>));
    return { params, slots, optimizerStep: this.optimizerStep };
  }

  dispose(): void {
    for (const v of [...this.params, ...this.slots]) v.dispose();
  }
}
