import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { syntheticDataset } from '../../testing/synthetic-dataset.ts';
import { convFeatures, randomConvFilters } from './conv-features.ts';
import type { ConvFeatureInit } from './conv-features.ts';
import { accuracy, affineRows, argmaxRows, maxRelDiff } from './dense.ts';
import { forwardAnalytic, trainFedAcnnl } from './fedacnnl.ts';
import type { ClientData, FedAcnnlInit } from './fedacnnl.ts';
import { layerSpecs, solveLayerFromSum } from './fedacnnl-layers.ts';
import { labelCode } from './targets.ts';

const PIXELS = 784;
const CONV: ConvFeatureInit = { height: 28, width: 28, channels: 1, kernel: 5, filters: 4, grid: 4 };
const ds = syntheticDataset(300, 100, 3);
const trainX = Float32Array.from(ds.train.images, (v) => v / 255);
const base: FedAcnnlInit = { features: PIXELS, numClasses: 10, hidden: [], seed: 11, gamma0: 1e-3, conv: CONV };

function gather(indices: readonly number[]): ClientData {
  const x = new Float32Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  indices.forEach((s, i) => {
    x.set(trainX.subarray(s * PIXELS, (s + 1) * PIXELS), i * PIXELS);
    labels[i] = ds.train.labels[s] ?? 0;
  });
  return { x, rows: indices.length, labels };
}

/** Rows dealt to `k` clients at random (uneven sizes, label mixes), in a random order within each client. */
function randomPartition(k: number, seed: number): ClientData[] {
  const rng = createRng(seed);
  const owners: number[][] = Array.from({ length: k }, () => []);
  for (const r of rng.shuffle(Array.from({ length: ds.train.count }, (_, i) => i))) owners[rng.int(k)]?.push(r);
  return owners.map(gather);
}

const all = [gather(Array.from({ length: ds.train.count }, (_, i) => i))];

describe('layerSpecs', () => {
  it('puts the conv front-end first, without statistics, then the dense layers and the head', () => {
    const specs = layerSpecs({ ...base, conv: { ...CONV, filters: 16, grid: 8 }, hidden: [8] });
    expect(specs.map((s) => [s.features, s.dOut, s.weightLength, s.stats?.dIn, s.stats?.dOut])).toEqual([
      [784, 1024, 26 * 16, undefined, undefined],
      [1024, 8, 1025 * 8, 1025, 10],
      [8, 10, 9 * 10, 9, 10],
    ]);
    expect(specs[0]?.activation).toBe('relu');
    // Layer indices count the front-end: the dense layer's code is the one of layer 1.
    expect(specs[1]?.rule?.code).toEqual(labelCode(10, 8, base.seed, 1, 'sign'));
  });

  it('refuses a front-end that does not read the network inputs', () => {
    expect(() => layerSpecs({ ...base, features: 100 })).toThrow(RangeError);
  });
});

describe('trainFedAcnnl with a conv front-end', () => {
  const central = trainFedAcnnl(all, base);

  it('solves the head on the pooled features: (FᵀF + γI)W = FᵀY, checked with a direct Gram', () => {
    if (!central.ok) throw new Error(central.error.message);
    const [front, head] = central.value.model.layers;
    if (front === undefined || head === undefined) throw new Error('two layers expected');
    expect(front.w).toEqual(randomConvFilters(CONV, base.seed, 0));
    const rows = ds.train.count;
    const f = convFeatures(CONV, front.w, 'relu', trainX, rows);
    const d = head.features + 1;
    const row = (r: number, i: number): number => (i === d - 1 ? 1 : (f[r * (d - 1) + i] ?? NaN));
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < d; i++) {
      for (let c = 0; c < 10; c++) {
        let lhs = head.gamma * (head.w[i * 10 + c] ?? NaN);
        let rhs = 0;
        for (let r = 0; r < rows; r++) {
          let pred = 0;
          for (let j = 0; j < d; j++) pred += row(r, j) * (head.w[j * 10 + c] ?? NaN);
          lhs += row(r, i) * pred;
          rhs += ds.train.labels[r] === c ? row(r, i) : 0;
        }
        worst = Math.max(worst, Math.abs(lhs - rhs));
        scale = Math.max(scale, Math.abs(rhs));
      }
    }
    expect(head.gamma).toBeGreaterThan(0);
    expect(worst / scale).toBeLessThan(1e-9);
  });

  it('gives the same weights for 1, 3 and 5 random partitions and any batch sizes (≤ 1e-9 relative)', () => {
    const init: FedAcnnlInit = { ...base, hidden: [12] }; // a dense option-A layer between front-end and head
    const single = trainFedAcnnl(all, init);
    if (!single.ok) throw new Error(single.error.message);
    for (const k of [1, 3, 5]) {
      const clients = randomPartition(k, 20 + k);
      const fed = trainFedAcnnl(clients, { ...init, batchSize: clients.map((_, i) => 1 + ((i * 5 + k) % 17)) });
      if (!fed.ok) throw new Error(fed.error.message);
      expect(fed.value.model.layers).toHaveLength(3);
      fed.value.model.layers.forEach((layer, l) => {
        expect(maxRelDiff(layer.w, single.value.model.layers[l]?.w ?? [])).toBeLessThan(1e-9);
      });
      expect(fed.value.headStats).toHaveLength(k);
    }
  });

  it('forwards the model as front-end features through the head', () => {
    if (!central.ok) throw new Error(central.error.message);
    const [front, head] = central.value.model.layers;
    if (front === undefined || head === undefined) throw new Error('two layers expected');
    const x = trainX.subarray(0, 5 * PIXELS);
    const manual = affineRows(convFeatures(CONV, front.w, 'relu', x, 5), 5, head.features, head.w, 10, true);
    expect(forwardAnalytic(central.value.model, x, 5)).toEqual(manual);
  });

  it('classifies bars by orientation wherever they are, which a linear model on pixels cannot', () => {
    // 16×16 images, one horizontal or vertical bar of length 6 at a random place, plus noise.
    const side = 16;
    const rows = 400;
    const rng = createRng(4);
    const x = new Float64Array(rows * side * side);
    const labels = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      const vertical = r % 2;
      const [a, b] = [rng.int(side - 6), rng.int(side)];
      for (let i = 0; i < 6; i++) x[r * side * side + (vertical ? (a + i) * side + b : b * side + a + i)] = 1;
      for (let p = 0; p < side * side; p++) x[r * side * side + p] = (x[r * side * side + p] ?? 0) + 0.1 * rng.normal();
      labels[r] = vertical;
    }
    const fit = rows / 2; // train on the first half, test on the second
    const accuracyOf = (init: FedAcnnlInit): number => {
      const r = trainFedAcnnl([{ x: x.subarray(0, fit * side * side), rows: fit, labels: labels.subarray(0, fit) }], init);
      if (!r.ok) throw new Error(r.error.message);
      const test = forwardAnalytic(r.value.model, x.subarray(fit * side * side), rows - fit);
      return accuracy(argmaxRows(test, rows - fit, 2), labels.subarray(fit));
    };
    const plain: FedAcnnlInit = { features: side * side, numClasses: 2, hidden: [], seed: 2, gamma0: 1e-3 };
    const conv: ConvFeatureInit = { height: side, width: side, channels: 1, kernel: 3, filters: 8, grid: 2 };
    expect(accuracyOf(plain)).toBeLessThan(0.75); // chance: 0.5
    expect(accuracyOf({ ...plain, conv })).toBeGreaterThan(0.95);
  });
});

describe('solveLayerFromSum', () => {
  it('builds the front-end without statistics and refuses a missing or misshapen sum for the head', () => {
    const front = solveLayerFromSum(base, 0, undefined);
    expect(front.ok && front.value.conv).toEqual(CONV);
    expect(solveLayerFromSum(base, 1, undefined).ok).toBe(false);
    const wrong = { dIn: 3, dOut: 10, bias: true, count: 1, aUpper: new Float64Array(6), b: new Float64Array(30) };
    const r = solveLayerFromSum(base, 1, wrong);
    expect(!r.ok && r.error).toMatch(/expected 65×10/);
    expect(() => solveLayerFromSum(base, 2, undefined)).toThrow(RangeError);
  });
});
