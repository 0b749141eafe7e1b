import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTrainable, getModel, initialParams, modelTrainsOn } from './models.ts';

beforeAll(async () => { await tf.setBackend('cpu'); });

describe('models', () => {
  it('both models train on the cpu backend (kernel names are the registered ones)', async () => {
    expect(modelTrainsOn(getModel('mlp'), 'cpu')).toBe(true);
    expect(modelTrainsOn(getModel('cnn'), 'cpu')).toBe(true);
    expect(await ensureTrainable(getModel('mlp'))).toBeNull();
  });
  it('reports a backend without the kernels', () => {
    expect(modelTrainsOn(getModel('mlp'), 'no-such-backend')).toBe(false);
  });
  it('initial parameters are seeded, shaped and He-scaled; biases start at zero', () => {
    const m = getModel('mlp');
    const a = initialParams(m, 3);
    expect(a).toEqual(initialParams(m, 3));
    expect(a[0]).not.toEqual(initialParams(m, 4)[0]);
    expect(a.map((p) => p.length)).toEqual(m.params.map((p) => p.shape.reduce((x, y) => x * y, 1)));
    const limit = Math.sqrt(6 / 784);
    expect(Math.max(...a[0]!.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(a[1]!.every((v) => v === 0)).toBe(true);
  });
  it('forward passes give [batch, 10] logits for both models without leaking tensors', () => {
    const before = tf.memory().numTensors;
    for (const name of ['mlp', 'cnn'] as const) {
      const m = getModel(name);
      const ps = initialParams(m, 1).map((p, i) => tf.tensor(p, [...m.params[i]!.shape]));
      const shape = tf.tidy(() => m.forward(ps, tf.zeros([3, 784])).shape);
      expect(shape).toEqual([3, 10]);
      tf.dispose(ps);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
