/**
 * Federated swarm simulation in Node: a coordinator and 3 remote tabs hosting 9 clients on the in-memory hub
 * train through the real reducers, runtimes, codec (float64 sections), chunking and (masked runs) real
 * WebCrypto key agreement. FedACnnL's solved weights must equal the centralised `trainFedAcnnl` on the pooled
 * training rows whatever the partition, masked or not; pFedACnnL and FedAvg must report every client.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelDiff } from '../core/analytic/dense.ts';
import { trainFedAcnnl } from '../core/analytic/fedacnnl.ts';
import { toFloatBatch } from '../core/data/batch.ts';
import { splitClientRows } from '../core/data/client-split.ts';
import { peerIdFrom } from '../core/ids.ts';
import type { DeviceInfo, RunConfig } from '../protocol/messages.ts';
import { createMemoryHub } from '../transport/memory.ts';
import { syntheticDataset } from '../testing/synthetic-dataset.ts';
import { testConfig } from '../testing/run-config.ts';
import { analyticPlan } from './analytic-plan.ts';
import { meanLocalAccuracy } from './coordinator/client-reports.ts';
import { CoordinatorRuntime } from './coordinator/runtime.ts';
import type { CoordinatorState } from './coordinator/state.ts';
import { WorkerRuntime } from './worker/runtime.ts';

const device = (speed: number): DeviceInfo => ({ backend: 'cpu', adapter: '', reason: 'sim', samplesPerSec: speed, memoryBytes: 0, selfTestPassed: true, userAgent: 'node' });
const ds = syntheticDataset(900, 300, 7);
const TABS = 3;

beforeAll(async () => { await tf.setBackend('cpu'); await tf.ready(); });

async function simulate(config: RunConfig) {
  const hub = createMemoryHub({ seed: 3 });
  const coordId = peerIdFrom('swarm-asim-coordinator');
  let finished: (v: { ok: boolean; reason: string }) => void = () => undefined;
  const done = new Promise<{ ok: boolean; reason: string }>((r) => { finished = r; });
  const now = (): number => 0; // frozen: slow accumulation on a loaded CI box must not look like a dead peer
  const coordinator = new CoordinatorRuntime({ now, transport: hub.createTransport(coordId), room: 'asim', config, minPeers: TABS, autostart: true, dataset: ds, onFinished: (ok, reason) => { finished({ ok, reason }); } });
  coordinator.start();
  const ws = Array.from({ length: TABS }, (_, i) => new WorkerRuntime({ now, transport: hub.createTransport(peerIdFrom(`aw${i}`)), coordinator: coordId, room: 'asim', device: device(100 * (i + 1)), dataset: ds }));
  for (const w of ws) await w.start();
  const result = await done;
  await coordinator.host.idle();
  const state = coordinator.host.getState();
  const logs = coordinator.host.logs.map((l) => l.text);
  for (const w of ws) { await w.host.idle(); w.stop(); }
  coordinator.stop();
  return { result, state, logs };
}

/** `trainFedAcnnl` on the pooled training rows of every client, as one client. */
function central(config: RunConfig, state: CoordinatorState) {
  const rows = (c: CoordinatorState['clients'][number]) => splitClientRows({ indices: c.indices, trainLabels: ds.train.labels, testLabels: ds.test.labels, seed: config.seed, clientId: c.id, validation: false });
  const all = Int32Array.from(state.clients.flatMap((c) => Array.from(rows(c).train)));
  expect(all.length).toBe(ds.train.count); // FedACnnL trains on every row of every client
  const { x, y } = toFloatBatch(ds.train, all, 0, all.length);
  const r = trainFedAcnnl([{ x, rows: all.length, labels: y }], analyticPlan(config, 784, 10));
  if (!r.ok) throw new Error(r.error.message);
  return r.value.model.layers;
}

describe('federated swarm on the memory hub (3 tabs, 9 clients)', () => {
  let tensorsBefore = 0;
  beforeAll(() => { tensorsBefore = tf.memory().numTensors; });
  afterAll(() => { expect(tf.memory().numTensors).toBe(tensorsBefore); });

  it.each([
    ['iid', false, 0.9], ['labels', false, 0.5], ['labels', true, 0.5],
  ] as const)('FedACnnL on a %s partition (masked: %s) solves the centralised weights', async (partition, masking, minAccuracy) => {
    const config = testConfig({ runId: 'asim', algo: 'fedacnnl', clients: 9, partition, labelsPerClient: 2, seed: 4, masking });
    const { result, state, logs } = await simulate(config);
    expect(result.ok).toBe(true);
    expect(state.phase).toBe('done');
    expect(state.clients).toHaveLength(9);
    expect(new Set(state.clients.map((c) => c.host)).size).toBe(TABS);
    if (partition === 'labels') for (const c of state.clients) expect(new Set(Array.from(c.indices, (i) => ds.train.labels[i])).size).toBe(2);
    const solved = state.analytic?.solved ?? [];
    const reference = central(config, state);
    expect(solved.map((l) => [l.features, l.dOut, l.count])).toEqual(reference.map((l) => [l.features, l.dOut, l.count]));
    // Masked sums carry the fixed-point rounding of 2^-24 per Gram entry, which the solve amplifies to ~1e-5
    // (measured 1.4e-5); plain sums differ only in float64 summation order.
    solved.forEach((layer, i) => { expect(maxRelDiff(layer.w, reference[i]!.w)).toBeLessThan(masking ? 1e-4 : 1e-9); });
    expect(state.testAccuracy).toBeGreaterThan(minAccuracy); // chance: 0.1
    expect(Object.keys(state.clientReports)).toHaveLength(9);
    expect(meanLocalAccuracy(state, 'globalAccuracy')).toBeGreaterThan(minAccuracy);
    expect(logs.some((l) => l.includes('unmasked the sum'))).toBe(masking);
  }, 60_000);

  it('pFedACnnL groups the 2-label clients and personalises every one in closed form', async () => {
    const config = testConfig({ runId: 'psim', algo: 'pfedacnnl', clients: 9, partition: 'labels', labelsPerClient: 2, seed: 4, groups: 3 });
    const { result, state } = await simulate(config);
    expect(result.ok).toBe(true);
    expect(new Set(state.clients.map((c) => c.group)).size).toBeGreaterThan(1);
    const reports = Object.values(state.clientReports);
    expect(reports).toHaveLength(9);
    for (const r of reports) expect(r.personalAccuracy).toBeGreaterThanOrEqual(0);
    // The personal head may pick λ = ∞ (the anchor), so on average it is never worse than the global head by much.
    expect(meanLocalAccuracy(state, 'personalAccuracy')).toBeGreaterThanOrEqual(meanLocalAccuracy(state, 'globalAccuracy') - 0.05);
  }, 60_000);

  it('FedAvg runs its rounds, averages the tabs and reports every client', async () => {
    const config = testConfig({ runId: 'fsim', algo: 'fedavg', clients: 6, epochs: 3, optimizer: 'sgd', learningRate: 0.05, localBatch: 16, seed: 4 });
    const { result, state } = await simulate(config);
    expect(result.ok).toBe(true);
    expect(state.fedavg?.round).toBe(3);
    expect(state.testAccuracy).toBeGreaterThan(0.5); // chance: 0.1
    expect(Object.keys(state.clientReports)).toHaveLength(6);
    expect(Number.isFinite(state.loss)).toBe(true);
  }, 120_000);
});
