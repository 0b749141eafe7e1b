import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { getModel, initialParams } from './models.ts';
import { Replica } from './replica.ts';

beforeAll(async () => { await tf.setBackend('cpu'); });

function batch(n: number): { x: Float32Array; y: Uint8Array } {
  const x = new Float32Array(n * 784);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) { y[i] = i % 10; x[i * 784 + (i % 10) * 50] = 1; }
  return { x, y };
}

describe('Replica', () => {
  it('two replicas given the same gradients stay identical (the data-parallel invariant), for both optimizers', async () => {
    for (const name of ['adam', 'sgd-momentum'] as const) {
      const m = getModel('mlp');
      const a = new Replica(m, { name, learningRate: 0.01 }, initialParams(m, 1), null, 0);
      const { x, y } = batch(20);
      const g = await a.gradients(x, y);
      a.applyGradients(g.grads);
      const snap = await a.snapshot();
      const b = new Replica(m, { name, learningRate: 0.01 }, snap.params, snap.slots, snap.optimizerStep);
      const g2 = await a.gradients(x, y);
      a.applyGradients(g2.grads);
      b.applyGradients(g2.grads);
      const [sa, sb] = [await a.snapshot(), await b.snapshot()];
      expect(sb.params).toEqual(sa.params);
      expect(sb.slots).toEqual(sa.slots);
      expect(sb.optimizerStep).toBe(2);
      a.dispose();
      b.dispose();
    }
  });
  it('the CNN computes gradients for every parameter and learns', async () => {
    const m = getModel('cnn');
    const r = new Replica(m, { name: 'adam', learningRate: 0.01 }, initialParams(m, 4), null, 0);
    const { x, y } = batch(10);
    const first = await r.gradients(x, y);
    expect(first.grads.map((g) => g.length)).toEqual(m.params.map((p) => p.shape.reduce((a, b) => a * b, 1)));
    for (let i = 0; i < 8; i++) r.applyGradients((await r.gradients(x, y)).grads);
    expect((await r.gradients(x, y)).lossSum).toBeLessThan(first.lossSum);
    r.dispose();
  });
  it('training lowers the loss and reaches full accuracy on a trivially separable batch, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const m = getModel('mlp');
    const r = new Replica(m, { name: 'adam', learningRate: 0.01 }, initialParams(m, 2), null, 0);
    const { x, y } = batch(50);
    const first = await r.gradients(x, y);
    for (let i = 0; i < 30; i++) r.applyGradients((await r.gradients(x, y)).grads);
    const last = await r.gradients(x, y);
    expect(last.lossSum).toBeLessThan(first.lossSum * 0.2);
    expect(last.count).toBe(50);
    expect(await r.accuracy(x, y, 7)).toBe(1);
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  it("a plain 'sgd' replica keeps no slots and steps p − lr·g", async () => {
    const m = getModel('mlp');
    const p0 = initialParams(m, 5);
    const r = new Replica(m, { name: 'sgd', learningRate: 0.5 }, p0, null, 0);
    const { x, y } = batch(10);
    const g = await r.gradients(x, y);
    r.applyGradients(g.grads);
    const snap = await r.snapshot();
    expect(snap.slots).toEqual([]);
    expect(snap.optimizerStep).toBe(1);
    const want = p0.map((p, i) => Float32Array.from(p, (v, j) => v - 0.5 * (g.grads[i]?.[j] ?? 0)));
    snap.params.forEach((p, i) => { p.forEach((v, j) => { expect(Math.abs(v - (want[i]?.[j] ?? Number.NaN))).toBeLessThan(1e-6); }); });
    r.dispose();
  });
  it('setParams replaces the parameters, keeps slots and step, and rejects a mismatch without changing anything', async () => {
    const before = tf.memory().numTensors;
    const m = getModel('mlp');
    const r = new Replica(m, { name: 'sgd-momentum', learningRate: 0.1 }, initialParams(m, 6), null, 0);
    const { x, y } = batch(10);
    r.applyGradients((await r.gradients(x, y)).grads);
    const old = await r.snapshot();
    const next = initialParams(m, 7);
    r.setParams(next);
    const snap = await r.snapshot();
    expect(snap.params).toEqual(next);
    expect(snap.slots).toEqual(old.slots);
    expect(snap.optimizerStep).toBe(1);
    // The replica now computes with the new parameters: same gradients as a fresh replica built from them.
    const fresh = new Replica(m, { name: 'sgd', learningRate: 0.1 }, next, null, 0);
    expect((await r.gradients(x, y)).grads).toEqual((await fresh.gradients(x, y)).grads);
    fresh.dispose();
    expect(() => { r.setParams(next.slice(1)); }).toThrow(RangeError);
    expect(() => { r.setParams([...next.slice(0, 3), new Float32Array(9)]); }).toThrow(RangeError);
    expect((await r.snapshot()).params).toEqual(next);
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
