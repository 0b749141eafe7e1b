import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainLocally } from '../../compute/local-sgd.ts';
import { getModel, initialParams } from '../../compute/models.ts';
import { toFloatBatch } from '../../core/data/batch.ts';
import { splitClientRows } from '../../core/data/client-split.ts';
import type { RunConfig } from '../../protocol/messages.ts';
import { syntheticDataset } from '../../testing/synthetic-dataset.ts';
import { hostedClients, localAccuracies, localSeed, runFedAvgRound, type HostedClient } from './fedavg-job.ts';

beforeAll(async () => { await tf.setBackend('cpu'); });

const ds = syntheticDataset(400, 50, 4);
const model = getModel('mlp');
const config: RunConfig = {
  runId: 'run1', algo: 'fedavg', dataset: 'mnist', model: 'mlp', optimizer: 'sgd', learningRate: 0.1, epochs: 3,
  globalBatch: 10, seed: 11, partition: 'iid', alpha: 0.5, labelsPerClient: 1, clients: 2, trainLimit: 0, groups: 1,
  localEpochs: 1, localBatch: 16, masking: false, aggregation: 'mean',
};
/** Client 7 holds rows 0..299, client 9 rows 300..399: unequal sizes, so the weighting shows. */
const assign = {
  indices: Int32Array.from({ length: 400 }, (_, i) => i),
  offsets: Int32Array.of(0, 300, 400),
  clientIds: Int32Array.of(7, 9),
  clientGroups: Int32Array.of(0, 1),
};
const clients = hostedClients(assign, { train: ds.train.labels, test: ds.test.labels }, config.seed, true);

describe('hostedClients', () => {
  it('splits each hosted client\'s own rows with splitClientRows(seed, client id)', () => {
    expect(clients.map((c) => [c.id, c.group])).toEqual([[7, 0], [9, 1]]);
    const first = clients[0]?.rows;
    expect(first).toEqual(splitClientRows({ indices: assign.indices.subarray(0, 300), trainLabels: ds.train.labels, testLabels: ds.test.labels, seed: config.seed, clientId: 7, validation: true }));
    const all = [...(first?.train ?? []), ...(first?.validation ?? [])].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(Array.from(clients[1]?.rows.train ?? []).every((i) => i >= 300 && i < 400)).toBe(true);
  });
});

describe('runFedAvgRound', () => {
  const params = initialParams(model, 2);

  it('trains every client from the global params and returns their row-weighted mean', async () => {
    const before = tf.memory().numTensors;
    let batches = 0;
    const out = await runFedAvgRound({ model, params, clients, train: ds.train, config, round: 0, onBatch: () => { batches++; return Promise.resolve(); } });
    expect(tf.memory().numTensors).toBe(before);
    const [n7, n9] = clients.map((c) => c.rows.train.length) as [number, number];
    expect(out.count).toBe(n7 + n9);
    expect(batches).toBe(Math.ceil(n7 / 16) + Math.ceil(n9 / 16));
    // Oracle: each client trained alone, then averaged by hand in float64 with weights n_k / n.
    const alone = await Promise.all(clients.map(async (c) => {
      const { x, y } = toFloatBatch(ds.train, c.rows.train, 0, c.rows.train.length);
      return trainLocally({ model, params, x, y, epochs: 1, batch: 16, learningRate: 0.1, seed: localSeed(config.seed, 0, c.id) });
    }));
    const [a, b] = alone as [Awaited<ReturnType<typeof trainLocally>>, Awaited<ReturnType<typeof trainLocally>>];
    expect(out.lossSum).toBeCloseTo(a.lossSum + b.lossSum, 6);
    let worst = 0;
    let moved = 0;
    out.params.forEach((t, i) => {
      t.forEach((v, j) => {
        const want = ((a.params[i]?.[j] ?? 0) * n7 + (b.params[i]?.[j] ?? 0) * n9) / (n7 + n9);
        worst = Math.max(worst, Math.abs(v - want));
        moved = Math.max(moved, Math.abs(v - (params[i]?.[j] ?? 0)));
      });
    });
    expect(worst).toBeLessThan(1e-6);
    expect(moved).toBeGreaterThan(1e-3);
    // Not the unweighted mean: the two clients' parameters differ, so the weights matter.
    const offUnweighted = Math.max(...out.params.flatMap((t, i) => Array.from(t, (v, j) => Math.abs(v - ((a.params[i]?.[j] ?? 0) + (b.params[i]?.[j] ?? 0)) / 2))));
    expect(offUnweighted).toBeGreaterThan(1e-4);
  });

  it('is deterministic, differs between rounds, and returns the params unchanged for clients without rows', async () => {
    const one = clients.slice(1);
    const r0 = await runFedAvgRound({ model, params, clients: one, train: ds.train, config, round: 0 });
    const again = await runFedAvgRound({ model, params, clients: one, train: ds.train, config, round: 0 });
    const r1 = await runFedAvgRound({ model, params, clients: one, train: ds.train, config, round: 1 });
    expect(again.params).toEqual(r0.params);
    expect(r1.params).not.toEqual(r0.params); // another round, another shuffle
    const empty: HostedClient = { id: 3, group: 0, rows: { train: new Int32Array(0), validation: new Int32Array(0), test: new Int32Array(0) } };
    const none = await runFedAvgRound({ model, params, clients: [empty], train: ds.train, config, round: 0 });
    expect(none).toEqual({ count: 0, lossSum: 0, params });
  });
});

describe('localAccuracies', () => {
  it('beats chance on every client\'s local test rows after a few rounds, without leaking tensors', async () => {
    let params = initialParams(model, 3);
    const before = tf.memory().numTensors;
    const start = await localAccuracies(model, params, clients, ds.test);
    for (let round = 0; round < config.epochs; round++) {
      params = (await runFedAvgRound({ model, params, clients, train: ds.train, config, round })).params;
    }
    const end = await localAccuracies(model, params, clients, ds.test);
    expect(tf.memory().numTensors).toBe(before);
    // Oracle: count correct argmax predictions of client 9's test rows by hand.
    const c9 = clients[1]?.rows.test ?? new Int32Array(0);
    const { x, y } = toFloatBatch(ds.train, c9, 0, c9.length);
    const pred = tf.tidy(() => tf.argMax(model.forward(params.map((p, i) => tf.tensor(p, [...(model.params[i]?.shape ?? [])])), tf.tensor2d(x, [c9.length, 784])), 1).dataSync());
    expect(end[1]).toBeCloseTo(Array.from(y).filter((v, i) => pred[i] === v).length / y.length, 12);
    console.info(`local test accuracy: start ${start.map((v) => v.toFixed(2)).join(', ')}, after ${config.epochs} rounds ${end.map((v) => v.toFixed(2)).join(', ')}`);
    expect(Math.max(...start)).toBeLessThan(0.5);
    for (const acc of end) expect(acc).toBeGreaterThan(0.5); // chance is 0.1 with 10 balanced classes
    const noTest: HostedClient = { id: 1, group: 0, rows: { train: Int32Array.of(0), validation: new Int32Array(0), test: new Int32Array(0) } };
    expect(await localAccuracies(model, params, [noTest], ds.test)).toEqual([Number.NaN]);
  });
});
