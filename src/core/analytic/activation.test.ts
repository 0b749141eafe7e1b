import { describe, expect, it } from 'vitest';
import { activate, activateValue, inverseActivation, LEAKY_RELU_SLOPE, TANH_TARGET_CLIP } from './activation.ts';
import type { ActivationName } from './activation.ts';

describe('activations', () => {
  it('apply element-wise', () => {
    expect(Array.from(activate('relu', Float64Array.from([-2, 3])))).toEqual([0, 3]);
    expect(Array.from(activate('leaky-relu', Float64Array.from([-2, 3])))).toEqual([-2 * LEAKY_RELU_SLOPE, 3]);
    expect(activateValue('tanh', 0.5)).toBeCloseTo(Math.tanh(0.5), 15);
    expect(activateValue('identity', -7)).toBe(-7);
  });

  it('inverses undo the activation where one exists', () => {
    const names: ActivationName[] = ['identity', 'leaky-relu', 'tanh'];
    for (const name of names) {
      for (const t of [-0.8, -0.1, 0, 0.3, 0.85]) expect(activateValue(name, inverseActivation(name, t))).toBeCloseTo(t, 12);
    }
  });

  it('tanh clips unreachable targets and ReLU fits negative targets as they are', () => {
    expect(activateValue('tanh', inverseActivation('tanh', 1))).toBeCloseTo(TANH_TARGET_CLIP, 12);
    expect(Number.isFinite(inverseActivation('tanh', -5))).toBe(true);
    expect(inverseActivation('relu', -1)).toBe(-1);
  });
});
