import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.ts';
import { trainLocally } from './local-sgd.ts';
import { getModel, IMAGE_PIXELS, initialParams } from './models.ts';
import { Replica } from './replica.ts';

beforeAll(async () => { await tf.setBackend('cpu'); });

const model = getModel('mlp');

/** A separable problem: class c lights pixels c·50 .. c·50+19, plus a little seeded noise everywhere else. */
function problem(n: number, seed = 5): { x: Float32Array; y: Uint8Array } {
  const rng = createRng(seed);
  const x = new Float32Array(n * IMAGE_PIXELS);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    y[i] = c;
    for (let j = 0; j < IMAGE_PIXELS; j++) x[i * IMAGE_PIXELS + j] = rng.next() * 0.05;
    for (let k = 0; k < 20; k++) x[i * IMAGE_PIXELS + c * 50 + k] = 1;
  }
  return { x, y };
}

const maxDiff = (a: readonly Float32Array[], b: readonly Float32Array[]): number =>
  Math.max(...a.map((t, i) => Math.max(...Array.from(t, (v, j) => Math.abs(v - (b[i]?.[j] ?? Number.NaN))))));

describe('trainLocally', () => {
  it('lowers the loss on a separable problem, counts every row, and leaks no tensors', async () => {
    const { x, y } = problem(40);
    const params = initialParams(model, 1);
    const before = tf.memory().numTensors;
    const one = await trainLocally({ model, params, x, y, epochs: 1, batch: 8, learningRate: 0.1, seed: 3 });
    const five = await trainLocally({ model, params, x, y, epochs: 5, batch: 8, learningRate: 0.1, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(one.count).toBe(40);
    expect(five.count).toBe(40);
    // Loss near ln 10 at the start (10 balanced classes), well below it after five epochs.
    expect(one.lossSum / one.count).toBeGreaterThan(1);
    expect(five.lossSum / five.count).toBeLessThan(0.5 * (one.lossSum / one.count));
  });

  it('zero epochs or a zero learning rate returns the starting parameters (as fresh arrays)', async () => {
    const { x, y } = problem(12);
    const params = initialParams(model, 2);
    const zeroEpochs = await trainLocally({ model, params, x, y, epochs: 0, batch: 4, learningRate: 0.1, seed: 1 });
    expect(zeroEpochs.params).toEqual(params);
    expect(zeroEpochs.lossSum).toBe(0);
    expect(zeroEpochs.params[0]).not.toBe(params[0]);
    zeroEpochs.params[0]?.fill(7);
    expect(params[0]?.[0]).not.toBe(7);
    const zeroRate = await trainLocally({ model, params, x, y, epochs: 2, batch: 5, learningRate: 0, seed: 1 });
    expect(zeroRate.params).toEqual(params);
    expect(zeroRate.lossSum).toBeGreaterThan(0);
  });

  it('is deterministic in the seed, and the seed matters when batches are smaller than the data', async () => {
    const { x, y } = problem(30);
    const params = initialParams(model, 3);
    const run = (seed: number) => trainLocally({ model, params, x, y, epochs: 2, batch: 7, learningRate: 0.05, seed });
    const [a, b, c] = [await run(11), await run(11), await run(12)];
    expect(b.params).toEqual(a.params);
    expect(b.lossSum).toBe(a.lossSum);
    expect(maxDiff(a.params, c.params)).toBeGreaterThan(0);
  });

  it('matches an independent oracle: shuffled minibatches, Replica gradients and p − lr·g in JS', async () => {
    const { x, y } = problem(11);
    const params = initialParams(model, 4);
    const lr = 0.07;
    const epochs = 2;
    const batch = 4; // 11 rows: batches of 4, 4 and a partial 3
    let calls = 0;
    const got = await trainLocally({ model, params, x, y, epochs, batch, learningRate: lr, seed: 9, onBatch: () => { calls++; return Promise.resolve(); } });
    expect(calls).toBe(epochs * 3);

    const oracle = new Replica(model, { name: 'sgd', learningRate: lr }, params, null, 0);
    let p = params.map((t) => t.slice());
    let lastEpochLoss = 0;
    for (let e = 0; e < epochs; e++) {
      const order = createRng(9).fork(`epoch-${e}`).shuffle(Array.from({ length: 11 }, (_, i) => i));
      lastEpochLoss = 0;
      for (let s = 0; s < 11; s += batch) {
        const rows = order.slice(s, s + batch);
        const bx = new Float32Array(rows.length * IMAGE_PIXELS);
        rows.forEach((r, k) => { bx.set(x.subarray(r * IMAGE_PIXELS, (r + 1) * IMAGE_PIXELS), k * IMAGE_PIXELS); });
        const g = await oracle.gradients(bx, Uint8Array.from(rows, (r) => y[r] ?? 0));
        lastEpochLoss += g.lossSum;
        p = p.map((t, i) => Float32Array.from(t, (v, j) => v - lr * (g.grads[i]?.[j] ?? 0)));
        oracle.setParams(p);
      }
    }
    oracle.dispose();
    expect(maxDiff(got.params, p)).toBeLessThan(1e-6);
    expect(got.lossSum).toBeCloseTo(lastEpochLoss, 4);
  });

  it('rejects inconsistent arguments', async () => {
    const { x, y } = problem(4);
    const params = initialParams(model, 1);
    await expect(trainLocally({ model, params: params.slice(1), x, y, epochs: 1, batch: 2, learningRate: 0.1, seed: 1 })).rejects.toThrow(RangeError);
    await expect(trainLocally({ model, params, x: x.subarray(1), y, epochs: 1, batch: 2, learningRate: 0.1, seed: 1 })).rejects.toThrow(RangeError);
    await expect(trainLocally({ model, params, x, y, epochs: 1, batch: 0, learningRate: 0.1, seed: 1 })).rejects.toThrow(RangeError);
  });
});
