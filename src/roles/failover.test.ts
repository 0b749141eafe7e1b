import { describe, expect, it } from 'vitest';
import { peerIdFrom } from '../core/ids.ts';
import type { DeviceInfo, RunConfig } from '../protocol/messages.ts';
import { testConfig } from '../testing/run-config.ts';
import { singleAssign } from './federated-plan.ts';
import { COORDINATOR_TIMEOUT_MS } from './commands.ts';
import { FAILOVER_RANK_SLOT_MS, failoverPlan } from './failover.ts';
import { createWorkerReducer, initialWorkerState, type WorkerEvent } from './worker/reducer.ts';
import type { WorkerState } from './worker/state.ts';

const C = peerIdFrom('swarm-r-coordinator');
const device: DeviceInfo = { backend: 'wasm', adapter: '', reason: 'test', samplesPerSec: 1, memoryBytes: 0, selfTestPassed: true, userAgent: 'test' };
const reduce = createWorkerReducer({ self: 'me', room: 'r', device });
const fromC = (m: Extract<WorkerEvent, { type: 'message' }>['msg'], now = 1): WorkerEvent => ({ type: 'message', from: C, now, msg: m });

function training(config: RunConfig, order: string[]): WorkerState {
  let s = reduce(initialWorkerState(C, 0), fromC(singleAssign(config, Int32Array.of(0, 1)))).state;
  s = reduce(s, fromC({ type: 'start', runId: config.runId, step: 3, epoch: 0, optimizerStep: 3, batchSize: 2, params: [], slots: [] })).state;
  return reduce(s, fromC({ type: 'succession', runId: config.runId, order })).state;
}

describe('coordinator failover policy', () => {
  it('a worker that lost its dp coordinator mid-run takes over at its rank\'s slot', () => {
    const s = training(testConfig(), ['other', 'me', 'third']);
    expect(s.succession).toEqual(['other', 'me', 'third']);
    expect(failoverPlan(s, 'me')).toBeNull(); // still training
    const closed = reduce(s, { type: 'peer-left', peer: C, reason: 'closed by the remote side', now: 5 }).state;
    expect(closed).toMatchObject({ phase: 'failed', coordinatorLost: true });
    expect(failoverPlan(closed, 'me')).toEqual({ rank: 1, delayMs: FAILOVER_RANK_SLOT_MS, expectedPeers: 2 });
    expect(failoverPlan(closed, 'other')?.delayMs).toBe(0);
    expect(failoverPlan(closed, 'stranger')).toBeNull();
    const silent = reduce(s, { type: 'tick', now: 1 + COORDINATOR_TIMEOUT_MS + 1 }).state;
    expect(failoverPlan(silent, 'me')?.rank).toBe(1);
  });

  it('no failover for a run that ended, another run\'s order, a non-dp run, or a loss before training', () => {
    const s = training(testConfig(), ['me']);
    const ended = reduce(reduce(s, fromC({ type: 'done', runId: 'run1', ok: true, reason: 'finished' })).state, { type: 'peer-left', peer: C, reason: 'closed', now: 5 }).state;
    expect(ended.coordinatorLost).toBe(false);
    expect(failoverPlan(ended, 'me')).toBeNull();
    const foreign = reduce(training(testConfig(), []), fromC({ type: 'succession', runId: 'other-run', order: ['me'] })).state;
    expect(foreign.succession).toEqual([]);
    const kfac = reduce(training(testConfig({ algo: 'kfac' }), ['me']), { type: 'peer-left', peer: C, reason: 'closed', now: 5 }).state;
    expect(kfac.coordinatorLost).toBe(true);
    expect(failoverPlan(kfac, 'me')).toBeNull();
    const early = reduce(initialWorkerState(C, 0), { type: 'peer-left', peer: C, reason: 'closed', now: 5 }).state;
    expect(early).toMatchObject({ phase: 'failed', coordinatorLost: false });
  });

  it('another peer leaving is not the coordinator lost', () => {
    const s = training(testConfig(), ['me']);
    expect(reduce(s, { type: 'peer-left', peer: peerIdFrom('swarm-r-x'), reason: 'closed', now: 5 }).state.phase).toBe('training');
  });
});
