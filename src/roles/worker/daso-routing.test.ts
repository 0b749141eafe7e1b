import { describe, expect, it } from 'vitest';
import { peerIdFrom } from '../../core/ids.ts';
import type { DeviceInfo, Message } from '../../protocol/messages.ts';
import { testConfig } from '../../testing/run-config.ts';
import { singleAssign } from '../federated-plan.ts';
import { createWorkerReducer, initialWorkerState, type WorkerEvent } from './reducer.ts';

const C = peerIdFrom('swarm-r-coordinator');
const P = peerIdFrom('peer');
const device: DeviceInfo = { backend: 'wasm', adapter: '', reason: 'test', samplesPerSec: 1, memoryBytes: 0, selfTestPassed: true, userAgent: 'test', groupLabel: 'g' };
const reduce = createWorkerReducer({ self: 'me', room: 'r', device });
const from = (sender: typeof C, m: Message): WorkerEvent => ({ type: 'message', from: sender, now: 1, msg: m });
const grads: Message = { type: 'daso-grads', runId: 'run1', generation: 0, step: 0, count: 1, lossSum: 1, grads: [] };
const start: Message = { type: 'start', runId: 'run1', step: 0, epoch: 0, optimizerStep: 0, batchSize: 3, params: [], slots: [] };

describe('worker reducer, algo daso', () => {
  it('hands peer DASO messages to the runner, even before its own assign arrives', () => {
    const fresh = initialWorkerState(C, 0);
    expect(reduce(fresh, from(P, grads)).commands).toEqual([{ type: 'daso-message', from: P, msg: grads }]);
    const dp = reduce(fresh, from(C, singleAssign(testConfig({ algo: 'dp' }), Int32Array.of(0)))).state;
    expect(reduce(dp, from(P, grads)).commands.map((c) => c.type)).toEqual(['log']);
  });

  it('starts the DASO runner instead of the data-parallel step loop, and routes the plan from the coordinator', () => {
    const s = reduce(initialWorkerState(C, 0), from(C, singleAssign(testConfig({ algo: 'daso' }), Int32Array.of(0, 1)))).state;
    const started = reduce(s, from(C, start));
    expect(started.commands).toEqual([{ type: 'init-replica', start }, { type: 'daso-run', epoch: 0, batchSize: 3 }]);
    const plan: Message = { type: 'daso-plan', runId: 'run1', generation: 0, members: ['me'], groupSizes: { dtype: 'int32', shape: [1], data: Int32Array.of(1) }, stepsPerEpoch: 2, wire: 'bf16' };
    expect(reduce(s, from(C, plan)).commands).toEqual([{ type: 'daso-message', from: C, msg: plan }]);
    // A peer may not send what only the coordinator sends.
    expect(reduce(s, from(P, plan)).commands.map((c) => c.type)).toEqual(['log']);
  });
});
