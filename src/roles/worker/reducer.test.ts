import { describe, expect, it } from 'vitest';
import { peerIdFrom } from '../../core/ids.ts';
import type { DeviceInfo, RunConfig } from '../../protocol/messages.ts';
import { createWorkerReducer, initialWorkerState, type WorkerEvent } from './reducer.ts';

const C = peerIdFrom('swarm-r-coordinator');
const device: DeviceInfo = { backend: 'wasm', adapter: '', reason: 'test', samplesPerSec: 1, memoryBytes: 0, selfTestPassed: true, userAgent: 'test' };
const config: RunConfig = {
  runId: 'run1', algo: 'fedacnnl', dataset: 'mnist', model: 'mlp', optimizer: 'adam', learningRate: 0.001, epochs: 1,
  globalBatch: 10, seed: 3, partition: 'iid', alpha: 0.5, labelsPerClient: 1,
};
const reduce = createWorkerReducer({ room: 'r', device });
const msg = (m: Extract<WorkerEvent, { type: 'message' }>['msg']): WorkerEvent => ({ type: 'message', from: C, now: 1, msg: m });
const assigned = reduce(initialWorkerState(C, 0), msg({ type: 'assign', config, indices: { dtype: 'int32', shape: [2], data: Int32Array.of(0, 1) } })).state;
const w0 = Float64Array.from({ length: 4 * 3 }, (_, i) => i);

describe('worker reducer, algo fedacnnl', () => {
  it('turns a layer-request into an accumulate-layer job with the solved weights', () => {
    const out = reduce(assigned, msg({ type: 'layer-request', runId: 'run1', layer: 1, weights: [{ dtype: 'float64', shape: [4, 3], data: w0 }] }));
    expect(out.state).toMatchObject({ phase: 'training', working: 1 });
    expect(out.commands).toEqual([{ type: 'accumulate-layer', layer: 1, weights: [w0] }]);
  });

  it('ignores a layer-request for another run', () => {
    const out = reduce(assigned, msg({ type: 'layer-request', runId: 'other', layer: 0, weights: [] }));
    expect(out.commands.map((c) => c.type)).toEqual(['log']);
    expect(out.state.working).toBeNull();
  });

  it('sends its statistics as float64 layer-stats, once, for the layer it was asked', () => {
    const asked = reduce(assigned, msg({ type: 'layer-request', runId: 'run1', layer: 0, weights: [] })).state;
    const stats = { dIn: 2, dOut: 2, bias: true, count: 2, aUpper: Float64Array.of(1, 2, 2), b: Float64Array.of(1, 0, 1, 1) };
    const out = reduce(asked, { type: 'layer-stats-ready', layer: 0, stats, now: 2 });
    expect(out.commands).toEqual([{ type: 'send', to: C, msg: {
      type: 'layer-stats', runId: 'run1', layer: 0, count: 2,
      a: { dtype: 'float64', shape: [3], data: stats.aUpper }, b: { dtype: 'float64', shape: [2, 2], data: stats.b },
    } }]);
    expect(reduce(out.state, { type: 'layer-stats-ready', layer: 0, stats, now: 3 }).commands.map((c) => c.type)).toEqual(['log']);
  });
});
