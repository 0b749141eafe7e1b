import { describe, expect, it } from 'vitest';
import { partition } from '../data/partition.ts';
import type { PartitionInit } from '../data/partition.ts';
import { createRng } from '../rng.ts';
import { syntheticDataset } from '../../testing/synthetic-dataset.ts';
import { accuracy, argmaxRows, maxRelDiff } from './dense.ts';
import { forwardAnalytic, trainFedAcnnl } from './fedacnnl.ts';
import type { ClientData, FedAcnnlInit } from './fedacnnl.ts';

const PIXELS = 784;
const ds = syntheticDataset(600, 300, 5);
const toFloat = (u8: Uint8Array): Float32Array => Float32Array.from(u8, (v) => v / 255);
const trainX = toFloat(ds.train.images);
const testX = toFloat(ds.test.images);

function gather(indices: ArrayLike<number>): ClientData {
  const x = new Float32Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i]!;
    x.set(trainX.subarray(s * PIXELS, (s + 1) * PIXELS), i * PIXELS);
    labels[i] = ds.train.labels[s]!;
  }
  return { x, rows: indices.length, labels };
}

const init: FedAcnnlInit = { features: PIXELS, numClasses: 10, hidden: [24], seed: 9, gamma0: 1e-3 };
const central = trainFedAcnnl([gather(Array.from({ length: ds.train.count }, (_, i) => i))], init);

describe('trainFedAcnnl', () => {
  it('trains a classifier far above chance in one pass', () => {
    if (!central.ok) throw new Error(central.error.message);
    const { model } = central.value;
    expect(model.layers.map((l) => [l.features, l.dOut])).toEqual([[784, 24], [24, 10]]);
    const scores = forwardAnalytic(model, testX, ds.test.count);
    expect(accuracy(argmaxRows(scores, ds.test.count, 10), ds.test.labels)).toBeGreaterThan(0.9); // chance: 0.1
  });

  it('gives the same weights for IID, Dirichlet and k-label partitions and any batch sizes (≤ 1e-9 relative)', () => {
    if (!central.ok) throw new Error(central.error.message);
    const schemes: Omit<PartitionInit, 'labels' | 'numClients' | 'seed'>[] = [
      { scheme: 'iid' },
      { scheme: 'dirichlet', alpha: 0.1 },
      { scheme: 'labels', labelsPerClient: 2 },
    ];
    for (const [s, scheme] of schemes.entries()) {
      const clients = partition({ ...scheme, labels: ds.train.labels, numClients: 10, seed: s + 1 }).map(gather);
      const batchSize = clients.map((_, k) => 1 + ((k * 7) % 13)); // a different batch size on every client
      const fed = trainFedAcnnl(clients, { ...init, batchSize });
      if (!fed.ok) throw new Error(fed.error.message);
      fed.value.model.layers.forEach((layer, l) => {
        expect(maxRelDiff(layer.w, central.value.model.layers[l]!.w)).toBeLessThan(1e-9);
      });
      expect(fed.value.headStats).toHaveLength(10);
    }
  });

  it('a hidden layer of random features learns what a linear model cannot (concentric rings)', () => {
    const rng = createRng(2);
    const rows = 600;
    const x = new Float64Array(rows * 2);
    const labels = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      const ring = r % 3;
      const radius = 1 + ring + (rng.next() - 0.5) * 0.6;
      const angle = rng.next() * 2 * Math.PI;
      [x[2 * r], x[2 * r + 1], labels[r]] = [radius * Math.cos(angle), radius * Math.sin(angle), ring];
    }
    const data = [{ x, rows, labels }];
    const fit = (extra: Partial<FedAcnnlInit>): number => {
      const r = trainFedAcnnl(data, { features: 2, numClasses: 3, hidden: [], seed: 1, gamma0: 1e-4, ...extra });
      if (!r.ok) throw new Error(r.error.message);
      return accuracy(argmaxRows(forwardAnalytic(r.value.model, x, rows), rows, 3), labels);
    };
    expect(fit({})).toBeLessThan(0.6);
    expect(fit({ hidden: [200], scheme: 'random-features', activation: 'relu' })).toBeGreaterThan(0.9);
  });

  it('reports the failing layer when a solve is impossible', () => {
    const r = trainFedAcnnl([{ x: Float32Array.from([NaN]), rows: 1, labels: [0] }], { features: 1, numClasses: 2, hidden: [], seed: 1, gamma0: 1e-3 });
    expect(!r.ok && r.error.layer).toBe(0);
    expect(!r.ok && r.error.message).toMatch(/client 0/);
  });
});
