/**
 * FedACnnL swarm simulation in Node: a coordinator and 3 remote workers on the in-memory hub train the
 * closed-form MLP layer by layer through the real reducers, runtimes, codec (float64 sections) and
 * chunking. The solved weights must equal the centralised `trainFedAcnnl` on the pooled rows, whatever
 * the partition.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxRelDiff } from '../core/analytic/dense.ts';
import { trainFedAcnnl } from '../core/analytic/fedacnnl.ts';
import { toFloatBatch } from '../core/data/batch.ts';
import { peerIdFrom } from '../core/ids.ts';
import type { DeviceInfo, PartitionScheme, RunConfig } from '../protocol/messages.ts';
import { createMemoryHub } from '../transport/memory.ts';
import { syntheticDataset } from '../testing/synthetic-dataset.ts';
import { analyticPlan } from './analytic-plan.ts';
import { CoordinatorRuntime } from './coordinator/runtime.ts';
import { WorkerRuntime } from './worker/runtime.ts';

const device = (speed: number): DeviceInfo => ({ backend: 'cpu', adapter: '', reason: 'sim', samplesPerSec: speed, memoryBytes: 0, selfTestPassed: true, userAgent: 'node' });
const ds = syntheticDataset(900, 300, 7);

beforeAll(async () => { await tf.setBackend('cpu'); await tf.ready(); });

async function simulate(workers: number, partition: PartitionScheme) {
  const hub = createMemoryHub({ seed: 3 });
  const coordId = peerIdFrom('swarm-asim-coordinator');
  const config: RunConfig = { runId: 'asim', algo: 'fedacnnl', dataset: 'mnist', model: 'mlp', optimizer: 'adam', learningRate: 0.001, epochs: 1, globalBatch: 60, seed: 4, partition, alpha: 1, labelsPerClient: 2 };
  let finished: (v: { ok: boolean; reason: string }) => void = () => undefined;
  const done = new Promise<{ ok: boolean; reason: string }>((r) => { finished = r; });
  const now = (): number => 0; // frozen: slow accumulation on a loaded CI box must not look like a dead peer
  const coordinator = new CoordinatorRuntime({ now, transport: hub.createTransport(coordId), room: 'asim', config, minPeers: workers, autostart: true, dataset: ds, onFinished: (ok, reason) => { finished({ ok, reason }); } });
  coordinator.start();
  const ws = Array.from({ length: workers }, (_, i) => new WorkerRuntime({ now, transport: hub.createTransport(peerIdFrom(`aw${i}`)), coordinator: coordId, room: 'asim', device: device(100 * (i + 1)), dataset: ds }));
  for (const w of ws) await w.start();
  const result = await done;
  await coordinator.host.idle();
  const state = coordinator.host.getState();
  const curve = [...coordinator.curve];
  for (const w of ws) { await w.host.idle(); w.stop(); }
  coordinator.stop();
  return { result, state, curve, config };
}

/** `trainFedAcnnl` on the pooled rows the workers held, as one client. */
function central(config: RunConfig, slots: readonly Int32Array[]) {
  const all = Int32Array.from(slots.flatMap((s) => Array.from(s)));
  const { x, y } = toFloatBatch(ds.train, all, 0, all.length);
  const r = trainFedAcnnl([{ x, rows: all.length, labels: y }], analyticPlan(config, 784, 10));
  if (!r.ok) throw new Error(r.error.message);
  return r.value.model.layers;
}

describe('FedACnnL swarm on the memory hub', () => {
  let tensorsBefore = 0;
  beforeAll(() => { tensorsBefore = tf.memory().numTensors; });
  afterAll(() => { expect(tf.memory().numTensors).toBe(tensorsBefore); });

  // IID: every row is held, all 10 classes are learnt. 2 labels per worker, 3 workers: 6 classes are held,
  // so at most 60 % of the (balanced) test split can be right.
  it.each([['iid', ds.train.count, 0.9], ['labels', 540, 0.5]] as const)('3 workers on a %s partition solve the centralised weights and classify well', async (partition, rows, minAccuracy) => {
    const { result, state, curve, config } = await simulate(3, partition);
    expect(result).toEqual({ ok: true, reason: 'solved 2 layers in closed form' });
    expect(state.phase).toBe('done');
    expect(state.slots.reduce((a, s) => a + s.length, 0)).toBe(rows);
    if (partition === 'labels') {
      for (const slot of state.slots) expect(new Set(Array.from(slot, (i) => ds.train.labels[i])).size).toBe(2);
    }
    const solved = state.analytic?.solved ?? [];
    const reference = central(config, state.slots);
    expect(solved.map((l) => [l.features, l.dOut, l.count])).toEqual(reference.map((l) => [l.features, l.dOut, l.count]));
    solved.forEach((layer, i) => { expect(maxRelDiff(layer.w, reference[i]!.w)).toBeLessThan(1e-9); });
    expect(state.testAccuracy).toBeGreaterThan(minAccuracy); // chance: 0.1
    expect(curve.at(-1)?.accuracy).toBe(state.testAccuracy);
  }, 60_000);
});
