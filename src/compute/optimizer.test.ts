import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { OptimizerName } from '../protocol/messages.ts';
import { applyUpdate, slotsPerParam } from './optimizer.ts';

beforeAll(async () => { await tf.setBackend('cpu'); });

const P0 = [0.5, -1.25, 2, 0];
const G1 = [0.1, -0.3, 0.7, -2];
const G2 = [-0.2, 0.05, 0.4, 1];
const LR = 0.1;

/** Runs two updates with G1 then G2 through applyUpdate; returns the parameters and slots after. */
function twoSteps(name: OptimizerName): { p: number[]; slots: number[][] } {
  const before = tf.memory().numTensors;
  const p = tf.tidy(() => tf.variable(tf.tensor1d(P0)));
  const slots = Array.from({ length: slotsPerParam(name) }, () => tf.tidy(() => tf.variable(tf.zeros([P0.length]))));
  for (const [i, g] of [G1, G2].entries()) {
    const gt = tf.tensor1d(g);
    applyUpdate({ name, learningRate: LR }, [p], slots, [gt], i + 1);
    gt.dispose();
  }
  const out = { p: Array.from(p.dataSync()), slots: slots.map((s) => Array.from(s.dataSync())) };
  for (const v of [p, ...slots]) v.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

describe('applyUpdate', () => {
  it('keeps 2 slots for Adam, 1 for momentum and none for plain SGD', () => {
    expect([slotsPerParam('adam'), slotsPerParam('sgd-momentum'), slotsPerParam('sgd')]).toEqual([2, 1, 0]);
  });

  it("plain 'sgd' is p ← p − lr·g, in float32 exactly", () => {
    const got = twoSteps('sgd');
    const f = Math.fround;
    const want = P0.map((p, i) => {
      const p1 = f(f(p) - f(f(G1[i] ?? 0) * f(LR)));
      return f(p1 - f(f(G2[i] ?? 0) * f(LR)));
    });
    expect(got.p).toEqual(want);
    expect(got.slots).toEqual([]);
  });

  it("'sgd-momentum' still follows v ← 0.9v + g, p ← p − lr·v", () => {
    const got = twoSteps('sgd-momentum');
    const v1 = G1;
    const v2 = G2.map((g, i) => 0.9 * (v1[i] ?? 0) + g);
    P0.forEach((p, i) => { expect(got.p[i]).toBeCloseTo(p - LR * (v1[i] ?? 0) - LR * (v2[i] ?? 0), 6); });
    v2.forEach((v, i) => { expect(got.slots[0]?.[i]).toBeCloseTo(v, 6); });
  });

  it("'adam' still follows Kingma & Ba with bias correction", () => {
    const got = twoSteps('adam');
    P0.forEach((p0, i) => {
      let p = p0;
      let m = 0;
      let v = 0;
      for (const [k, gs] of [G1, G2].entries()) {
        const g = gs[i] ?? 0;
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        const t = k + 1;
        p -= (LR * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      }
      expect(got.p[i]).toBeCloseTo(p, 5);
      expect(got.slots[0]?.[i]).toBeCloseTo(m, 6);
      expect(got.slots[1]?.[i]).toBeCloseTo(v, 6);
    });
  });
});
