/**
 * Replica optimizers with explicit, shippable state: slots are plain tensors in parameter order, and the
 * step count is a number. Two replicas given the same parameters, slots, step and gradients compute the
 * same update, which is what synchronous data parallelism relies on (every replica applies the same
 * update). The state can be snapshotted to the wire for a late joiner or a resync.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerName } from '../protocol/messages.ts';

export interface OptimizerSpec {
  readonly name: OptimizerName;
  readonly learningRate: number;
}

/** Adam defaults (Kingma & Ba); SGD momentum 0.9 is the usual heavy-ball choice. */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;
const MOMENTUM = 0.9;

/** Slots per parameter: Adam keeps m and v, SGD-momentum keeps the velocity, plain SGD keeps nothing. */
export function slotsPerParam(name: OptimizerName): number {
  switch (name) {
    case 'adam': return 2;
    case 'sgd-momentum': return 1;
    case 'sgd': return 0;
  }
}

/**
 * Applies one update in place to `params` (variables) and `slots` (variables, laid out as
 * [slot0 of every param..., slot1 of every param...]; none for 'sgd'). `step` is the 1-based index of this update.
 */
export function applyUpdate(
  spec: OptimizerSpec,
  params: readonly tf.Variable[],
  slots: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  step: number,
): void {
  const n = params.length;
  tf.tidy(() => {
    for (let i = 0; i < n; i++) {
      const p = params[i];
      const g = grads[i];
      if (p === undefined || g === undefined) throw new Error(`missing parameter or gradient ${i}`);
      if (spec.name === 'adam') {
        const m = slots[i];
        const v = slots[n + i];
        if (m === undefined || v === undefined) throw new Error(`missing adam slot ${i}`);
        const m1 = tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1));
        const v1 = tf.add(tf.mul(v, BETA2), tf.mul(tf.square(g), 1 - BETA2));
        const mHat = tf.div(m1, 1 - BETA1 ** step);
        const vHat = tf.div(v1, 1 - BETA2 ** step);
        m.assign(m1);
        v.assign(v1);
        p.assign(tf.sub(p, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), EPSILON)), spec.learningRate)));
      } else if (spec.name === 'sgd') {
        // Plain SGD (FedAvg's ClientUpdate): p ← p − lr·g, no state.
        p.assign(tf.sub(p, tf.mul(g, spec.learningRate)));
      } else {
        const vel = slots[i];
        if (vel === undefined) throw new Error(`missing momentum slot ${i}`);
        const vel1 = tf.add(tf.mul(vel, MOMENTUM), g);
        vel.assign(vel1);
        p.assign(tf.sub(p, tf.mul(vel1, spec.learningRate)));
      }
    }
  });
}
