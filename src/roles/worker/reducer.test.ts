import { describe, expect, it } from 'vitest';
import { peerIdFrom } from '../../core/ids.ts';
import type { DasoPingMsg, DasoProbeMsg, DeviceInfo } from '../../protocol/messages.ts';
import { testConfig } from '../../testing/run-config.ts';
import { singleAssign } from '../federated-plan.ts';
import { COORDINATOR_TIMEOUT_MS } from '../commands.ts';
import { createWorkerReducer, initialWorkerState, type WorkerEvent } from './reducer.ts';

const C = peerIdFrom('swarm-r-coordinator');
const device: DeviceInfo = { backend: 'wasm', adapter: '', reason: 'test', samplesPerSec: 1, memoryBytes: 0, selfTestPassed: true, userAgent: 'test' };
const config = testConfig({ algo: 'fedacnnl', labelsPerClient: 1 });
const reduce = createWorkerReducer({ self: 'me', room: 'r', device });
const msg = (m: Extract<WorkerEvent, { type: 'message' }>['msg']): WorkerEvent => ({ type: 'message', from: C, now: 1, msg: m });
const assigned = reduce(initialWorkerState(C, 0), msg(singleAssign(config, Int32Array.of(0, 1)))).state;
const w0 = Float64Array.from({ length: 4 * 3 }, (_, i) => i);
const noKeys = { dtype: 'uint8' as const, shape: [0, 65], data: new Uint8Array(0) };
const request = (runId: string, layer: number, weights: Float64Array[], roster: string[] = [], groups = 1) => msg({
  type: 'layer-request', runId, layer, groups, roster,
  weights: weights.map((w) => ({ dtype: 'float64' as const, shape: [4, 3], data: w })),
  rosterKeys: roster.length === 0 ? noKeys : { dtype: 'uint8', shape: [roster.length, 65], data: new Uint8Array(roster.length * 65) },
});

describe('worker reducer, analytic algos', () => {
  it('keeps the hosted clients of an assign and asks for a masking key only in masked runs', () => {
    const plain = reduce(initialWorkerState(C, 0), msg(singleAssign(config, Int32Array.of(0, 1))));
    expect(plain.commands.map((c) => c.type)).toEqual(['set-partition']);
    expect(plain.state.clients).toBe(1);
    const masked = reduce(initialWorkerState(C, 0), msg(singleAssign({ ...config, masking: true }, Int32Array.of(0, 1))));
    expect(masked.commands.map((c) => c.type)).toEqual(['set-partition', 'make-mask-key']);
  });

  it('turns a layer-request into an accumulate-layer job with the solved weights, groups and roster', () => {
    const out = reduce(assigned, request('run1', 1, [w0], ['me', 'other'], 3));
    expect(out.state).toMatchObject({ phase: 'training', working: 1 });
    expect(out.commands).toEqual([{ type: 'accumulate-layer', layer: 1, weights: [w0], groups: 3, roster: ['me', 'other'], rosterKeys: new Uint8Array(130) }]);
  });

  it('ignores a layer-request for another run, or a roster without this tab', () => {
    for (const m of [request('other', 0, []), request('run1', 0, [], ['x', 'y'])]) {
      const out = reduce(assigned, m);
      expect(out.commands.map((c) => c.type)).toEqual(['log']);
      expect(out.state.working).toBeNull();
    }
  });

  it('sends its per-group statistics as one float64 layer-stats, once, for the layer it was asked', () => {
    const asked = reduce(assigned, request('run1', 0, [])).state;
    const g0 = { dIn: 2, dOut: 2, bias: true, count: 2, aUpper: Float64Array.of(1, 2, 2), b: Float64Array.of(1, 0, 1, 1) };
    const g1 = { ...g0, count: 5, aUpper: Float64Array.of(3, 4, 5), b: Float64Array.of(2, 2, 2, 2) };
    const out = reduce(asked, { type: 'layer-stats-ready', layer: 0, stats: [g0, g1], now: 2 });
    expect(out.commands).toEqual([{ type: 'send', to: C, msg: {
      type: 'layer-stats', runId: 'run1', layer: 0, counts: { dtype: 'int32', shape: [2], data: Int32Array.of(2, 5) },
      a: { dtype: 'float64', shape: [2, 3], data: Float64Array.of(1, 2, 2, 3, 4, 5) },
      b: { dtype: 'float64', shape: [2, 2, 2], data: Float64Array.of(1, 0, 1, 1, 2, 2, 2, 2) },
    } }]);
    expect(reduce(out.state, { type: 'layer-stats-ready', layer: 0, stats: [g0], now: 3 }).commands.map((c) => c.type)).toEqual(['log']);
  });

  it('reveals mask keys only in masked runs', () => {
    const ask = msg({ type: 'unmask-request', runId: 'run1', layer: 0, dropped: ['x'] });
    expect(reduce(assigned, ask).commands.map((c) => c.type)).toEqual(['log']);
    const masked = reduce(initialWorkerState(C, 0), msg(singleAssign({ ...config, masking: true }, Int32Array.of(0)))).state;
    expect(reduce(masked, ask).commands.find((c) => c.type === 'reveal-keys')).toEqual({ type: 'reveal-keys', layer: 0, dropped: ['x'] });
  });

  it('FedAvg: trains for rounds below the run\'s rounds and only reports at the last', () => {
    const fa = reduce(initialWorkerState(C, 0), msg(singleAssign({ ...config, algo: 'fedavg', epochs: 2 }, Int32Array.of(0)))).state;
    const params = [{ dtype: 'float32' as const, shape: [1], data: Float32Array.of(1) }];
    const r1 = reduce(fa, msg({ type: 'fedavg-round', runId: 'run1', round: 1, params }));
    expect(r1.commands).toEqual([{ type: 'fedavg-train', round: 1, params: [params[0]?.data] }]);
    const last = reduce(fa, msg({ type: 'fedavg-round', runId: 'run1', round: 2, params }));
    expect(last.commands.map((c) => c.type)).toEqual(['fedavg-report']);
    const sent = reduce(r1.state, { type: 'fedavg-ready', round: 1, count: 3, lossSum: 1.5, params: [Float32Array.of(2)], now: 2 });
    expect(sent.commands[0]).toMatchObject({ type: 'send', msg: { type: 'fedavg-update', round: 1, count: 3, lossSum: 1.5 } });
  });
});

describe('worker reducer, coordinator liveness', () => {
  it('gives up on a silent coordinator after the timeout, but not while a long message from it is arriving', () => {
    const silent = reduce(assigned, { type: 'tick', now: 1 + COORDINATOR_TIMEOUT_MS + 1 });
    expect(silent.state.phase).toBe('failed');
    const alive = reduce(assigned, { type: 'peer-alive', peer: C, now: COORDINATOR_TIMEOUT_MS });
    const ticked = reduce(alive.state, { type: 'tick', now: 1 + COORDINATOR_TIMEOUT_MS + 1 });
    expect(ticked.state.phase).not.toBe('failed');
    expect(ticked.commands.map((c) => c.type)).toEqual(['send']); // its heartbeat
    const other = reduce(assigned, { type: 'peer-alive', peer: peerIdFrom('swarm-r-someone'), now: COORDINATOR_TIMEOUT_MS });
    expect(reduce(other.state, { type: 'tick', now: 1 + COORDINATOR_TIMEOUT_MS + 1 }).state.phase).toBe('failed'); // only the coordinator counts
  });
});

describe('worker reducer, DASO RTT probes', () => {
  const P = peerIdFrom('swarm-r-peer');
  const daso = reduce(initialWorkerState(C, 0), msg(singleAssign(testConfig({ algo: 'daso' }), Int32Array.of(0)))).state;
  const dp = reduce(initialWorkerState(C, 0), msg(singleAssign(testConfig({ algo: 'dp' }), Int32Array.of(0)))).state;
  const probe: DasoProbeMsg = { type: 'daso-probe', runId: 'run1', peers: ['swarm-r-peer', 'swarm-r-other'], pings: 3 };
  const ping: DasoPingMsg = { type: 'daso-ping', runId: 'run1', nonce: 42, pong: false };
  const fromPeer = (m: DasoPingMsg): WorkerEvent => ({ type: 'message', from: P, now: 1, msg: m });

  it('turns a probe from the coordinator into a daso-probe command in a DASO run, or before any assign', () => {
    expect(reduce(daso, msg(probe)).commands).toEqual([{ type: 'daso-probe', msg: probe }]);
    // The coordinator probes before it plans, so before the assign that carries the config.
    expect(reduce(initialWorkerState(C, 0), msg(probe)).commands).toEqual([{ type: 'daso-probe', msg: probe }]);
    for (const [s, m] of [[dp, probe], [daso, { ...probe, runId: 'other' }]] as const) {
      const out = reduce(s, msg(m));
      expect(out.commands).toEqual([{ type: 'log', level: 'warn', text: 'daso-probe for an unknown run ignored' }]);
      expect(out.state).toEqual({ ...s, lastSeenCoordinator: 1 });
    }
  });

  it('answers a peer\'s ping with the same nonce and pong=true, even before its own assign', () => {
    const answer = [{ type: 'send', to: P, msg: { type: 'daso-ping', runId: 'run1', nonce: 42, pong: true } }];
    expect(reduce(daso, fromPeer(ping)).commands).toEqual(answer);
    expect(reduce(initialWorkerState(C, 0), fromPeer(ping)).commands).toEqual(answer);
    // The coordinator may ping too: answered to it.
    expect(reduce(daso, msg(ping)).commands).toEqual([{ type: 'send', to: C, msg: { ...ping, pong: true } }]);
  });

  it('does not answer pings in a non-DASO run or for another run', () => {
    expect(reduce(dp, fromPeer(ping)).commands.map((c) => c.type)).toEqual(['log']);
    expect(reduce(daso, fromPeer({ ...ping, runId: 'other' })).commands.map((c) => c.type)).toEqual(['log']);
  });

  it('hands a pong to the prober as a daso-pong command, and refuses a daso-rtt from the coordinator', () => {
    expect(reduce(daso, fromPeer({ ...ping, pong: true })).commands).toEqual([{ type: 'daso-pong', from: P, nonce: 42 }]);
    const rtt = msg({ type: 'daso-rtt', runId: 'run1', peers: ['swarm-r-peer'], rttMs: { dtype: 'float64', shape: [1], data: Float64Array.of(3) } });
    expect(reduce(daso, rtt).commands).toEqual([{ type: 'log', level: 'warn', text: "unexpected 'daso-rtt' from the coordinator ignored" }]);
  });
});
