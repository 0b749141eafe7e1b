/**
 * Second-order swarms in Node: a coordinator (with its own worker) and remote workers on the in-memory hub,
 * training the real MLP (tfjs cpu backend) through the real reducers, runtimes, codec, shard owners and
 * curvature jobs: DHO2 (sync, parallel curvature, extrapolation) and distributed K-FAC. Also a worker whose
 * curvature results are garbage: it is evicted, the job is dropped and the run finishes with a sound model.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerIdFrom } from '../core/ids.ts';
import { decodeMessage, encodeMessage } from '../protocol/codec.ts';
import type { DeviceInfo, RunConfig } from '../protocol/messages.ts';
import { f32 } from '../protocol/wire-tensor.ts';
import { createMemoryHub } from '../transport/memory.ts';
import type { Transport } from '../transport/transport.ts';
import { syntheticDataset } from '../testing/synthetic-dataset.ts';
import { testConfig } from '../testing/run-config.ts';
import { CoordinatorRuntime } from './coordinator/runtime.ts';
import { DHO2_DEFAULTS, KFAC_DEFAULTS, type Dho2Options } from './second-order-options.ts';
import { WorkerRuntime } from './worker/runtime.ts';

const device = (speed: number): DeviceInfo => ({ backend: 'cpu', adapter: '', reason: 'sim', samplesPerSec: speed, memoryBytes: 0, selfTestPassed: true, userAgent: 'node' });

beforeAll(async () => { await tf.setBackend('cpu'); await tf.ready(); });

/** Replaces every H·v a worker sends with NaNs (a broken or hostile device). */
function garbageCurvature(t: Transport): Transport {
  const send: Transport['send'] = (to, bytes) => {
    const m = decodeMessage(bytes);
    if (m.ok && m.value.type === 'curvature-reply' && m.value.vector.data.length > 0) {
      const bad = new Float32Array(m.value.vector.data.length).fill(Number.NaN);
      return t.send(to, encodeMessage({ ...m.value, vector: f32([bad.length], bad) }));
    }
    return t.send(to, bytes);
  };
  return new Proxy(t, {
    get: (target, key) => {
      if (key === 'send') return send;
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

interface SimOptions {
  readonly algo: 'dho2' | 'kfac';
  readonly dho2?: Partial<Dho2Options>;
  readonly garbageWorker?: boolean;
}

async function simulate(o: SimOptions) {
  const ds = syntheticDataset(600, 200, 5);
  const hub = createMemoryHub({ seed: 3 });
  const coordId = peerIdFrom('swarm-sim-coordinator');
  const config: RunConfig = testConfig({ runId: 'sim', algo: o.algo, optimizer: o.algo === 'kfac' ? 'sgd-momentum' : 'adam', learningRate: o.algo === 'kfac' ? 0.05 : 0.003, epochs: 2, globalBatch: 60, seed: 3 });
  let finished: (v: { ok: boolean; reason: string }) => void = () => undefined;
  const done = new Promise<{ ok: boolean; reason: string }>((r) => { finished = r; });
  const now = (): number => 0; // frozen: slow steps on a loaded machine must not look like dead peers
  const dho2: Dho2Options = { ...DHO2_DEFAULTS, k: 3, refreshEvery: 6, warmup: 4, curvatureBatch: 60, ...o.dho2 };
  const coordinator = new CoordinatorRuntime({
    now, transport: hub.createTransport(coordId), room: 'sim', config, minPeers: 2, autostart: true, dataset: ds,
    onFinished: (ok, reason) => { finished({ ok, reason }); }, dho2, kfac: { ...KFAC_DEFAULTS, every: 5, statsBatch: 60 },
  });
  coordinator.start();
  const ws = [0, 1].map((i) => {
    const t = hub.createTransport(peerIdFrom(`w${i}`));
    return new WorkerRuntime({ now, transport: o.garbageWorker === true && i === 1 ? garbageCurvature(t) : t, coordinator: coordId, room: 'sim', device: device(100), dataset: ds });
  });
  for (const w of ws) await w.start();
  const result = await done;
  await coordinator.host.idle();
  const state = coordinator.host.getState();
  const status = coordinator.secondOrderStatus();
  const logs = coordinator.host.logs.map((l) => l.text);
  const workerFloats = ws.map((w) => w.curvatureFloats());
  for (const w of ws) { await w.host.idle(); w.stop(); }
  coordinator.stop();
  return { result, state, status, logs, workerFloats };
}

describe('second-order swarms on the memory hub', () => {
  let tensorsBefore = 0;
  beforeAll(() => { tensorsBefore = tf.memory().numTensors; });
  afterAll(() => { expect(tf.memory().numTensors).toBe(tensorsBefore); });

  it.each([
    ['sync', {}],
    // Parallel: the job runs while training goes on, so give it room before it counts as stale.
    ['parallel', { variant: 'parallel', order: 8, refreshEvery: 16, warmup: 3 }],
    ['sync + extrapolation', { extrapolate: true }],
  ] as const)('DHO2 %s trains, installs sharded curvature and keeps every shard on its owner', async (_name, opts) => {
    const { result, state, status } = await simulate({ algo: 'dho2', dho2: opts });
    expect(result.ok).toBe(true);
    expect(state.testAccuracy).toBeGreaterThan(0.85);
    if (status?.algo !== 'dho2') throw new Error('no DHO2 status');
    expect(status.status.installs).toBeGreaterThan(0);
    expect(status.status.eigvals.length).toBe(3);
    const shards = status.status.shards;
    expect(shards.length).toBe(2); // one shard per worker (this simulated coordinator has no worker of its own)
    expect(shards.reduce((s, x) => s + x.size, 0)).toBe(101_770);
    // No device holds the whole basis: each peak is about its own share (m = 12 rows + V + moments + w).
    // Per-shard accounting: every owner's peak is the same multiple of its own shard size (basis rows m, Ritz
    // and eigenvector slices, moments, working slice), never of the whole vector.
    const m = 'order' in opts ? opts.order : 12;
    const perCoordinate = shards.map((sh) => sh.peakFloats / sh.size);
    for (const x of perCoordinate) expect(x).toBeGreaterThan(m);
    for (const x of perCoordinate) expect(x).toBeLessThan(m + 3 * 3 + 8);
    expect(Math.max(...perCoordinate) / Math.min(...perCoordinate)).toBeLessThan(1.01);
  }, 120_000);

  it('DHO2 consensus ADMM trains in rounds of local FOSI steps, with sharded curvature gathered to every worker', async () => {
    // 10 steps an epoch, 2 epochs; K = 4: rounds of 4, 4, 2 per epoch (never across an epoch boundary).
    const { result, state, status, logs, workerFloats } = await simulate({ algo: 'dho2', dho2: { variant: 'admm', admmLocalSteps: 4, admmRho: 0.1 } });
    expect(result.ok).toBe(true);
    expect(state.step).toBe(20);
    expect(state.admm?.round).toBe(6);
    expect(state.testAccuracy).toBeGreaterThan(0.85);
    // Both workers' duals are held by the coordinator; z is the model the coordinator evaluated.
    expect(Object.keys(state.admm?.duals ?? {}).sort()).toEqual(['w0', 'w1']);
    if (status?.algo !== 'dho2') throw new Error('no DHO2 status');
    // Curvature at steps 4, 10 and 16 (W = 4, T = 6, taken at the first round boundary at or after each).
    expect(status.status.installs).toBe(3);
    expect(logs.filter((l) => l.includes('installed')).length).toBe(3);
    const admm = status.status.admm;
    if (admm === null) throw new Error('no ADMM residuals');
    expect(admm.round).toBe(5);
    expect(Number.isFinite(admm.primal) && admm.primal > 0).toBe(true);
    expect(Number.isFinite(admm.dual) && admm.dual > 0).toBe(true);
    expect(admm.rho).toBeGreaterThan(0);
    // Each worker holds its gathered eigenvectors (k = 3 rows of n) besides its shard.
    for (const f of workerFloats) expect(f).toBeGreaterThanOrEqual(3 * 101_770);
  }, 120_000);

  it('K-FAC trains with each layer preconditioned on its own device', async () => {
    const { result, state, status } = await simulate({ algo: 'kfac' });
    expect(result.ok).toBe(true);
    expect(state.testAccuracy).toBeGreaterThan(0.85);
    if (status?.algo !== 'kfac') throw new Error('no K-FAC status');
    expect(status.status.refreshes).toBeGreaterThan(1);
    expect(new Set(status.status.shards.map((s) => s.peer)).size).toBe(2);
  }, 120_000);

  it('a worker sending garbage curvature is evicted; the job is dropped and the model stays sound', async () => {
    const { result, state, status, logs } = await simulate({ algo: 'dho2', garbageWorker: true });
    expect(result.ok).toBe(true);
    expect(Object.keys(state.members)).not.toContain('w1');
    expect(logs.some((l) => l.includes('w1') && l.includes('non-finite'))).toBe(true);
    expect(Number.isFinite(state.loss)).toBe(true);
    expect(state.testAccuracy).toBeGreaterThan(0.85);
    if (status?.algo !== 'dho2') throw new Error('no DHO2 status');
    expect(status.status.dropped).toBeGreaterThan(0);
  }, 120_000);
});
