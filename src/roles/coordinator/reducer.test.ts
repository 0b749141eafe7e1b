import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import type { DeviceInfo, GradientsMsg, RunConfig } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { PEER_TIMEOUT_MS } from '../commands.ts';
import { createCoordinatorReducer, initialCoordinatorState, type CoordinatorCommand, type CoordinatorEvent } from './reducer.ts';
import type { CoordinatorState } from './state.ts';

const SELF = peerIdFrom('swarm-r-coordinator');
const config: RunConfig = {
  runId: 'run1', algo: 'dp', dataset: 'mnist', model: 'mlp', optimizer: 'adam', learningRate: 0.001, epochs: 1,
  globalBatch: 10, seed: 3, partition: 'iid', alpha: 0.5, labelsPerClient: 2, clients: 0, trainLimit: 0, groups: 1, localEpochs: 1, localBatch: 32, masking: false, aggregation: 'mean'
};
const labels = Uint8Array.from({ length: 40 }, (_, i) => i % 10);
const device = (speed: number, ok = true): DeviceInfo => ({ backend: 'wasm', adapter: '', reason: 'test', samplesPerSec: speed, memoryBytes: 0, selfTestPassed: ok, userAgent: 'test' });
const reduce = createCoordinatorReducer({ self: SELF, room: 'r', trainLabels: labels, paramSizes: [2, 1] });

function run(s: CoordinatorState, events: CoordinatorEvent[]): { state: CoordinatorState; commands: CoordinatorCommand[] } {
  const commands: CoordinatorCommand[] = [];
  for (const e of events) { const out = reduce(s, e); s = out.state; commands.push(...out.commands); }
  return { state: s, commands };
}
const hello = (from: PeerId, speed: number, now = 0, ok = true): CoordinatorEvent => ({
  type: 'message', from, now, msg: { type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room: 'r', device: device(speed, ok) },
});
const grads = (from: PeerId, step: number, count: number, v: number, now = 1): CoordinatorEvent => {
  const msg: GradientsMsg = { type: 'gradients', runId: 'run1', step, count, lossSum: count * 2, grads: [
    { dtype: 'float32', shape: [2], data: new Float32Array([v, v]) }, { dtype: 'float32', shape: [1], data: new Float32Array([v]) }] };
  return { type: 'message', from, now, msg };
};
const A = peerIdFrom('a');
const B = peerIdFrom('b');

describe('coordinator reducer', () => {
  const start = initialCoordinatorState(config, 2, true, labels.length);

  it('waits for minPeers, then assigns disjoint partitions and starts everyone with speed-proportional batches', () => {
    const one = run(start, [hello(A, 300)]);
    expect(one.state.phase).toBe('recruiting');
    const two = run(one.state, [hello(B, 100)]);
    expect(two.state.phase).toBe('training');
    const starts = two.commands.flatMap((c) => (c.type === 'send-start' ? [[c.to, c.batchSize]] : []));
    expect(starts).toEqual([[A, 8], [B, 2]]);
    const assigns = two.commands.flatMap((c) => (c.type === 'send' && c.msg.type === 'assign' ? [c.msg.indices.data] : []));
    expect(assigns).toHaveLength(2);
    const all = [...assigns[0]!, ...assigns[1]!].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('averages gradients by sample count and moves every replica to the next step', () => {
    const s = run(start, [hello(A, 300), hello(B, 100)]).state;
    const out = run(s, [grads(A, 0, 8, 1), grads(B, 0, 2, 6)]);
    const upd = out.commands.flatMap((c) => (c.type === 'apply-update' ? [Array.from(c.grads[0]!)] : []));
    expect(upd).toEqual([[2, 2]]); // (8*1 + 2*6) / 10
    expect(out.state.step).toBe(1);
    expect(out.state.loss).toBeCloseTo(2);
  });

  it('asks for a checkpoint after each epoch\'s update, and a resumed state starts everyone at its step', () => {
    const two = initialCoordinatorState({ ...config, epochs: 2 }, 2, true, labels.length); // 4 steps per epoch
    let s = run(two, [hello(A, 300), hello(B, 100)]).state;
    const kinds: string[][] = [];
    for (let step = 0; step < 8; step++) {
      const out = run(s, [grads(A, step, 8, 1), grads(B, step, 2, 1)]);
      kinds.push(out.commands.filter((c) => c.type === 'apply-update' || c.type === 'checkpoint').map((c) => (c.type === 'checkpoint' ? `checkpoint ${c.epoch}@${c.step}` : c.type)));
      s = out.state;
    }
    expect(kinds.filter((k) => k.length > 1)).toEqual([['apply-update', 'checkpoint 1@4'], ['apply-update', 'checkpoint 2@8']]);
    const resumed = run(initialCoordinatorState({ ...config, epochs: 2 }, 2, true, labels.length, 4), [hello(A, 300), hello(B, 100)]);
    expect(resumed.state).toMatchObject({ phase: 'training', step: 4, epoch: 1, pending: { step: 4 } });
    expect(resumed.commands.flatMap((c) => (c.type === 'send-start' ? [[c.step, c.epoch]] : []))).toEqual([[4, 1], [4, 1]]);
  });

  it('combines gradients by the run\'s aggregation rule: a poisoned x100 update moves the mean, not the median', () => {
    const C = peerIdFrom('c');
    const three = (aggregation: RunConfig['aggregation']) => {
      const s = run(initialCoordinatorState({ ...config, aggregation }, 3, true, labels.length), [hello(A, 100), hello(B, 100), hello(C, 100)]).state;
      const out = run(s, [grads(A, 0, 3, 1), grads(B, 0, 3, 1.2), grads(C, 0, 3, 100)]);
      return { update: out.commands.flatMap((c) => (c.type === 'apply-update' ? [Array.from(c.grads[0]!)] : []))[0]![0]!, logs: out.commands.filter((c) => c.type === 'log') };
    };
    expect(three('mean').update).toBeCloseTo(102.2 / 3, 4);
    expect(three('median').update).toBeCloseTo(1.2, 6);
    expect(three('trimmed').update).toBeCloseTo(1.2, 6); // at least one value trimmed at each end from 3 workers on
    const clip = three('clip');
    expect(clip.update).toBeLessThan(2); // 100 clipped to 2x the median norm (1.2): (1 + 1.2 + 2.4) / 3
    expect(clip.logs.some((l) => 'text' in l && l.text.includes('clipped 1 of 3'))).toBe(true);
  });

  it('evicts a worker claiming more samples than the global batch, or sending non-finite gradients', () => {
    const s = run(start, [hello(A, 300), hello(B, 100)]).state;
    expect(Object.keys(run(s, [grads(B, 0, config.globalBatch + 1, 1)]).state.members)).toEqual([A]);
    expect(Object.keys(run(s, [grads(B, 0, 2, Number.NaN)]).state.members)).toEqual([A]);
    expect(Object.keys(run(s, [grads(B, 0, 2, Number.POSITIVE_INFINITY)]).state.members)).toEqual([A]);
  });

  it('ignores duplicate and stale gradients, evicts malformed ones', () => {
    const s = run(start, [hello(A, 300), hello(B, 100)]).state;
    const dup = run(s, [grads(A, 0, 8, 1), grads(A, 0, 8, 1), grads(B, 7, 2, 1)]);
    expect(dup.state.step).toBe(0);
    expect(dup.commands.filter((c) => c.type === 'apply-update')).toHaveLength(0);
    const bad: CoordinatorEvent = { type: 'message', from: B, now: 1, msg: { type: 'gradients', runId: 'run1', step: 0, count: 2, lossSum: 1, grads: [] } };
    const ev = run(dup.state, [bad]);
    expect(ev.commands.some((c) => c.type === 'disconnect' && c.peer === B)).toBe(true);
    // B is gone, so A's gradient alone completes the step.
    expect(ev.state.step).toBe(1);
  });

  it('announces the failover order (remote workers by join time) when training starts and again only when it changes', () => {
    const C = peerIdFrom('c');
    const local = peerIdFrom(`${SELF}-w`);
    const s = run(start, [hello(B, 100, 0), hello(local, 500, 0), hello(A, 300, 0)]).state;
    const order = (cmds: CoordinatorCommand[]) => cmds.flatMap((c) => (c.type === 'send' && c.msg.type === 'succession' ? [[c.to, c.msg.order]] : []));
    const first = run(s, [{ type: 'tick', now: 100 }]);
    expect(order(first.commands)).toEqual([[B, [B, A]], [A, [B, A]]]); // not to the coordinator's own worker
    expect(order(run(first.state, [{ type: 'tick', now: 200 }]).commands)).toEqual([]);
    const left = run(first.state, [{ type: 'peer-left', peer: B, reason: 'closed', now: 300 }, { type: 'tick', now: 400 }]);
    expect(order(left.commands)).toEqual([[A, [A]]]);
    const joined = run(left.state, [hello(C, 100, 500), grads(A, 0, 8, 1, 500), grads(local, 0, 2, 1, 500), { type: 'tick', now: 600 }]);
    expect(order(joined.commands).at(-1)).toEqual([C, [A, C]]);
    const daso = initialCoordinatorState({ ...config, algo: 'daso' }, 2, true, labels.length);
    expect(order(run(daso, [hello(A, 300, 0), hello(B, 100, 0), { type: 'tick', now: 100 }]).commands)).toEqual([]); // no failover for DASO
  });

  it('drops a silent worker after the heartbeat timeout and goes on without it', () => {
    const s = run(start, [hello(A, 300, 0), hello(B, 100, 0)]).state;
    const out = run(s, [grads(A, 0, 8, 1, 100), { type: 'message', from: A, now: PEER_TIMEOUT_MS, msg: { type: 'heartbeat', sentAt: 0 } }, { type: 'tick', now: PEER_TIMEOUT_MS + 1 }]);
    expect(Object.keys(out.state.members)).toEqual([A]);
    expect(out.state.step).toBe(1);
  });

  it('keeps a worker whose long upload is still arriving (peer-alive), though no whole message came for longer than the timeout', () => {
    const s = run(start, [hello(A, 300, 0), hello(B, 100, 0)]).state;
    const t = PEER_TIMEOUT_MS;
    const out = run(s, [
      { type: 'message', from: A, now: t, msg: { type: 'heartbeat', sentAt: t } },
      { type: 'peer-alive', peer: B, now: t - 500 }, // B's chunks arrive; its heartbeats queue behind them
      { type: 'tick', now: t + 1 },
      { type: 'message', from: A, now: 2 * t, msg: { type: 'heartbeat', sentAt: 2 * t } },
      { type: 'tick', now: 2 * t },
    ]);
    expect(Object.keys(out.state.members)).toEqual([A]); // B's activity ended at t - 500: by 2t it is timed out
    const kept = run(s, [{ type: 'message', from: A, now: t, msg: { type: 'heartbeat', sentAt: t } }, { type: 'peer-alive', peer: B, now: t - 500 }, { type: 'tick', now: t + 1 }]);
    expect(Object.keys(kept.state.members).sort()).toEqual([A, B].sort());
  });

  it('does not time a worker out on the tick after its own stall, but does a tick later if it stays silent', () => {
    const s = run(start, [hello(A, 300, 0), hello(B, 100, 0)]).state;
    const late = PEER_TIMEOUT_MS * 3; // this tab was blocked: B's heartbeats may be queued behind the tick
    const stalled = run(s, [{ type: 'tick', now: late, stalled: true }]);
    expect(Object.keys(stalled.state.members).sort()).toEqual([A, B].sort());
    const silent = run(stalled.state, [{ type: 'tick', now: late + PEER_TIMEOUT_MS + 1 }]);
    expect(Object.keys(silent.state.members)).toEqual([]);
  });

  it('drops a worker that reports it cannot compute, and completes the step without it', () => {
    const s = run(start, [hello(A, 300), hello(B, 100)]).state;
    const out = run(s, [grads(A, 0, 8, 1), { type: 'message', from: B, now: 2, msg: { type: 'error', code: 'compute-failed', detail: 'oom' } }]);
    expect(Object.keys(out.state.members)).toEqual([A]);
    expect(out.state.step).toBe(1);
  });

  it('does not give work to a device that failed its self-test', () => {
    const out = run(start, [hello(A, 300), hello(B, 100, 0, false), hello(peerIdFrom('c'), 100)]);
    expect(out.state.phase).toBe('training');
    expect(out.commands.some((c) => c.type === 'send-start' && c.to === B)).toBe(false);
  });

  it('answers a wrong protocol version with incompatible and disconnects', () => {
    const out = run(start, [{ type: 'message', from: A, now: 0, msg: { type: 'hello', protocolVersion: PROTOCOL_VERSION + 1, role: 'worker', room: 'r', device: device(1) } }]);
    expect(out.commands.some((c) => c.type === 'send' && c.msg.type === 'incompatible' && c.msg.reason === 'peer-too-new')).toBe(true);
    expect(out.commands.some((c) => c.type === 'disconnect')).toBe(true);
    expect(out.state.members).toEqual({});
  });

  it('finishes after the configured epochs with a final evaluation', () => {
    let s = run(start, [hello(A, 100), hello(B, 100)]).state;
    for (let step = 0; step < s.stepsPerEpoch; step++) s = run(s, [grads(A, step, 5, 1), grads(B, step, 5, 1)]).state;
    expect(s.phase).toBe('evaluating-final');
    const fin = run(s, [{ type: 'evaluated', step: s.step, accuracy: 0.93, now: 9 }]);
    expect(fin.state.phase).toBe('done');
    expect(fin.commands.some((c) => c.type === 'finished' && c.ok)).toBe(true);
  });
});
