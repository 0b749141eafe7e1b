/**
 * Swarm simulation in Node: a coordinator (with its own worker, as in a browser tab) and remote workers on
 * the in-memory transport hub, training a real tfjs model (cpu backend) data-parallel through the real
 * reducers, runtimes, codec and chunking. Proves the roles end to end without a browser.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peerIdFrom } from '../core/ids.ts';
import type { DeviceInfo, RunConfig } from '../protocol/messages.ts';
import { createMemoryHub } from '../transport/memory.ts';
import { syntheticDataset } from '../testing/synthetic-dataset.ts';
import { CoordinatorRuntime, type RunSnapshot } from './coordinator/runtime.ts';
import { WorkerRuntime } from './worker/runtime.ts';

const device = (speed: number): DeviceInfo => ({ backend: 'cpu', adapter: '', reason: 'sim', samplesPerSec: speed, memoryBytes: 0, selfTestPassed: true, userAgent: 'node' });

beforeAll(async () => { await tf.setBackend('cpu'); await tf.ready(); });

async function simulate(workers: number, seed: number, resume?: RunSnapshot) {
  const ds = syntheticDataset(600, 200, 5);
  const hub = createMemoryHub({ seed });
  const coordId = peerIdFrom('swarm-sim-coordinator');
  const config: RunConfig = { runId: 'sim', algo: 'dp', dataset: 'mnist', model: 'mlp', optimizer: 'adam', learningRate: 0.003, epochs: 2, globalBatch: 60, seed, partition: 'iid', alpha: 1, labelsPerClient: 2, clients: 0, trainLimit: 0, groups: 1, localEpochs: 1, localBatch: 32, masking: false, aggregation: 'mean' };
  let finished: (v: { ok: boolean; reason: string }) => void = () => undefined;
  const done = new Promise<{ ok: boolean; reason: string }>((r) => { finished = r; });
  // A frozen clock: on a loaded 2-core CI machine, slow steps must not look like dead peers.
  const now = (): number => 0;
  const checkpoints: RunSnapshot[] = [];
  const coordinator = new CoordinatorRuntime({
    now, transport: hub.createTransport(coordId), room: 'sim', config, minPeers: workers, autostart: true, dataset: ds,
    onFinished: (ok, reason) => { finished({ ok, reason }); }, onCheckpoint: (c) => { checkpoints.push(c); }, ...(resume === undefined ? {} : { resume }),
  });
  coordinator.start();
  const ws = Array.from({ length: workers }, (_, i) => new WorkerRuntime({ now, transport: hub.createTransport(peerIdFrom(`w${i}`)), coordinator: coordId, room: 'sim', device: device(100 * (i + 1)), dataset: ds }));
  for (const w of ws) await w.start();
  const result = await done;
  await coordinator.host.idle();
  const state = coordinator.host.getState();
  const curve = [...coordinator.curve];
  const losses = coordinator.lossCurve.map((p) => p.loss);
  for (const w of ws) { await w.host.idle(); w.stop(); }
  coordinator.stop();
  return { result, state, curve, losses, checkpoints };
}

describe('data-parallel swarm on the memory hub', () => {
  let tensorsBefore = 0;
  beforeAll(() => { tensorsBefore = tf.memory().numTensors; });
  afterAll(() => { expect(tf.memory().numTensors).toBe(tensorsBefore); });

  it('3 workers train to high accuracy with falling loss, and the step count matches the epochs', async () => {
    const { result, state, curve, losses } = await simulate(3, 11);
    expect(result.ok).toBe(true);
    expect(state.phase).toBe('done');
    expect(state.step).toBe(2 * state.stepsPerEpoch);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.5);
    expect(curve.at(-1)!.accuracy).toBeGreaterThan(0.9);
  }, 60_000);

  it('the same seed gives the same run', async () => {
    const a = await simulate(2, 5);
    const b = await simulate(2, 5);
    expect(b.state.testAccuracy).toBe(a.state.testAccuracy);
    expect(b.losses).toEqual(a.losses);
  }, 60_000);

  it('checkpoints every epoch, and a swarm resumed from the first checkpoint continues the trained model to the end of the run', async () => {
    const full = await simulate(2, 9);
    const spe = full.state.stepsPerEpoch;
    expect(full.checkpoints.map((c) => [c.epoch, c.step])).toEqual([[1, spe], [2, 2 * spe]]);
    const first = full.checkpoints[0]!;
    expect(first.optimizerStep).toBe(spe);
    expect(first.slots.length).toBe(2 * first.params.length); // Adam: m and v per parameter
    const resumed = await simulate(2, 9, first);
    expect(resumed.result.ok).toBe(true);
    expect(resumed.state.step).toBe(2 * spe);
    expect(resumed.losses).toHaveLength(spe); // only the second epoch ran
    // It went on from the trained model: its first loss is the first run's at that point, not a fresh start's.
    // (Not step-for-step equal: workers reshuffle their partitions afresh, see batch-sampler.ts.)
    expect(resumed.losses[0]!).toBeLessThan(full.losses[0]! * 0.5);
    expect(Math.abs(resumed.losses[0]! - full.losses[spe]!)).toBeLessThan(0.5 * full.losses[spe]! + 0.05);
    expect(resumed.checkpoints.map((c) => [c.epoch, c.step])).toEqual([[2, 2 * spe]]);
    expect(resumed.state.testAccuracy).toBeGreaterThan(0.9);
  }, 60_000);
});
