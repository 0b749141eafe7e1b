/**
 * Element-wise activations of the analytic layers and the inverses used to turn a desired layer output
 * into a pre-activation target (option A of the hidden-layer targets: fit XW ≈ φ⁻¹(clip(T))).
 *
 * @example
 * activate('leaky-relu', Float64Array.from([-1, 2])); // [-LEAKY_RELU_SLOPE, 2]
 * inverseActivation('tanh', 1); // atanh(TANH_TARGET_CLIP), finite
 */
import { assertNever } from '../result.ts';

/** Activations with a closed-form (pseudo-)inverse. */
export type ActivationName = 'identity' | 'relu' | 'leaky-relu' | 'tanh';

/** Slope of leaky-ReLU for negative inputs; 0.2 is tfjs's `leakyRelu` default, so layers port unchanged. */
export const LEAKY_RELU_SLOPE = 0.2;
/**
 * tanh targets are clipped to ±0.9 before atanh: a ±1 code would need an infinite pre-activation, and
 * atanh(0.9) ≈ 1.47 keeps the targets in tanh's responsive range.
 */
export const TANH_TARGET_CLIP = 0.9;

/** φ(z) for one value. */
export function activateValue(name: ActivationName, z: number): number {
  switch (name) {
    case 'identity':
      return z;
    case 'relu':
      return z > 0 ? z : 0;
    case 'leaky-relu':
      return z > 0 ? z : LEAKY_RELU_SLOPE * z;
    case 'tanh':
      return Math.tanh(z);
    default:
      return assertNever(name);
  }
}

/** φ applied to every entry, into a new array. */
export function activate(name: ActivationName, z: Float64Array): Float64Array {
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = activateValue(name, z[i] ?? 0);
  return out;
}

/**
 * A pre-activation z with φ(z) = t (or the nearest reachable t): identity and leaky-ReLU invert exactly,
 * tanh after clipping to ±TANH_TARGET_CLIP, and ReLU has no inverse for t < 0, so t is fitted as it is
 * (the spec: "for ReLU, fit T directly").
 */
export function inverseActivation(name: ActivationName, t: number): number {
  switch (name) {
    case 'identity':
    case 'relu':
      return t;
    case 'leaky-relu':
      return t >= 0 ? t : t / LEAKY_RELU_SLOPE;
    case 'tanh':
      return Math.atanh(Math.max(-TANH_TARGET_CLIP, Math.min(TANH_TARGET_CLIP, t)));
    default:
      return assertNever(name);
  }
}
