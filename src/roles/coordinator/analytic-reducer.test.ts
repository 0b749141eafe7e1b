import { describe, expect, it } from 'vitest';
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import type { DeviceInfo, LayerStatsMsg, RunConfig } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { analyticPlan, layerStats, solveAnalyticLayer } from '../analytic-plan.ts';
import { layerStatsMessage } from '../worker/reducer.ts';
import { createCoordinatorReducer, initialCoordinatorState, type CoordinatorCommand, type CoordinatorEvent } from './reducer.ts';
import type { CoordinatorState } from './state.ts';

const SELF = peerIdFrom('swarm-r-coordinator');
const FEATURES = 3;
const CLASSES = 2;
const config: RunConfig = {
  runId: 'run1', algo: 'fedacnnl', dataset: 'mnist', model: 'mlp', optimizer: 'adam', learningRate: 0.001, epochs: 1,
  globalBatch: 10, seed: 3, partition: 'iid', alpha: 0.5, labelsPerClient: 1, clients: 0, trainLimit: 0, groups: 1, localEpochs: 1, localBatch: 32, masking: false, aggregation: 'mean'
};
const plan = analyticPlan(config, FEATURES, CLASSES);
const ROWS = 12;
const labels = Uint8Array.from({ length: ROWS }, (_, i) => i % CLASSES);
/** Row i: class-dependent features plus a little structure, so every layer is well posed. */
const xAll = Float64Array.from({ length: ROWS * FEATURES }, (_, k) => ((Math.floor(k / FEATURES) % CLASSES) + 1) * ((k % FEATURES) + 1) * 0.3 + Math.sin(k));
const device: DeviceInfo = { backend: 'wasm', adapter: '', reason: 'test', samplesPerSec: 100, memoryBytes: 0, selfTestPassed: true, userAgent: 'test' };
const reduce = createCoordinatorReducer({ self: SELF, room: 'r', trainLabels: labels, paramSizes: [1], features: FEATURES, numClasses: CLASSES });
const A = peerIdFrom('a');
const B = peerIdFrom('b');

function run(s: CoordinatorState, events: CoordinatorEvent[]): { state: CoordinatorState; commands: CoordinatorCommand[] } {
  const commands: CoordinatorCommand[] = [];
  for (const e of events) { const out = reduce(s, e); s = out.state; commands.push(...out.commands); }
  return { state: s, commands };
}
const hello = (from: PeerId): CoordinatorEvent => ({ type: 'message', from, now: 0, msg: { type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room: 'r', device } });
const sent = (cs: CoordinatorCommand[], type: string): { to: string; msg: unknown }[] =>
  cs.flatMap((c) => (c.type === 'send' && c.msg.type === type ? [{ to: c.to, msg: c.msg }] : []));

/** The statistics a worker holding `slot` would send for `layer`, given the solved layers so far. */
function statsOf(s: CoordinatorState, who: PeerId, layer: number): GramStats {
  const idx = Int32Array.from(s.clients.filter((c) => c.host === who).flatMap((c) => Array.from(c.indices)));
  const x = Float64Array.from(Array.from(idx).flatMap((i) => Array.from(xAll.subarray(i * FEATURES, (i + 1) * FEATURES))));
  const y = Uint8Array.from(idx, (i) => labels[i] ?? 0);
  const weights = (s.analytic?.solved ?? []).map((l) => l.w);
  return layerStats(plan, layer, x, idx.length, y, weights);
}
const statsMsg = (layer: number, st: GramStats): LayerStatsMsg => layerStatsMessage('run1', layer, [st]);
/** A host's client-report: every hosted client with local accuracy `acc`. */
const reportOf = (s: CoordinatorState, who: PeerId, acc: number): CoordinatorEvent => {
  const mine = s.clients.filter((c) => c.host === who);
  const data = Float64Array.from(mine.flatMap((c) => [c.id, c.indices.length, acc, Number.NaN, Number.NaN, 0]));
  return { type: 'message', from: who, now: 5, msg: { type: 'client-report', runId: 'run1', clients: { dtype: 'float64', shape: [mine.length, 6], data } } };
};
const statsEvent = (from: PeerId, m: LayerStatsMsg): CoordinatorEvent => ({ type: 'message', from, now: 1, msg: m });

describe('coordinator reducer, algo fedacnnl', () => {
  const start = initialCoordinatorState(config, 2, true, ROWS);
  const started = run(start, [hello(A), hello(B)]);

  it('assigns partitions and asks every worker for layer 0 with no weights', () => {
    expect(started.state.phase).toBe('training');
    expect(sent(started.commands, 'assign').map((c) => c.to)).toEqual([A, B]);
    const noKeys = { dtype: 'uint8', shape: [0, 65], data: new Uint8Array(0) };
    expect(sent(started.commands, 'layer-request')).toEqual([A, B].map((to) => ({ to, msg: { type: 'layer-request', runId: 'run1', layer: 0, weights: [], groups: 1, roster: [], rosterKeys: noKeys } })));
    expect(started.state.clients.map((c) => c.host)).toEqual([A, B]); // clients 0 = one per tab
    expect(started.commands.some((c) => c.type === 'send-start')).toBe(false);
  });

  it('sums both workers, solves layer 0 and requests layer 1 with its float64 weights', () => {
    const s = started.state;
    const out = run(s, [statsEvent(A, statsMsg(0, statsOf(s, A, 0))), statsEvent(B, statsMsg(0, statsOf(s, B, 0)))]);
    expect(out.state.analytic?.layer).toBe(1);
    expect(out.state.analytic?.solved[0]?.count).toBe(ROWS);
    const req = sent(out.commands, 'layer-request');
    expect(req.map((r) => r.to)).toEqual([A, B]);
    expect(req[0]?.msg).toMatchObject({ layer: 1, weights: [{ dtype: 'float64', shape: [FEATURES + 1, plan.hidden[0]] }] });
  });

  it('evicts a worker whose Gram matrix is not finite, keeps the sum clean and solves from the others', () => {
    const s = started.state;
    const good = statsOf(s, A, 0);
    const bad = statsOf(s, B, 0);
    const poisoned = Float64Array.from(bad.aUpper);
    poisoned[1] = Number.NaN;
    const out = run(s, [statsEvent(B, statsMsg(0, { ...bad, aUpper: poisoned })), statsEvent(A, statsMsg(0, good))]);
    expect(out.commands.some((c) => c.type === 'disconnect' && c.peer === B)).toBe(true);
    expect(sent(out.commands, 'error')[0]?.msg).toMatchObject({ code: 'evicted', detail: expect.stringContaining('non-finite') as unknown });
    const expected = solveAnalyticLayer(plan, 0, good);
    if (!expected.ok) throw new Error(expected.error);
    expect(Array.from(out.state.analytic?.solved[0]?.w ?? [])).toEqual(Array.from(expected.value.w));
    expect(sent(out.commands, 'layer-request').map((r) => r.to)).toEqual([A]);
  });

  it('ignores stale and duplicate statistics', () => {
    const s = started.state;
    const st = statsMsg(0, statsOf(s, A, 0));
    const out = run(s, [statsEvent(A, st), statsEvent(A, st), statsEvent(B, { ...st, layer: 1 })]);
    expect(out.state.analytic?.received).toEqual([A]);
    expect(out.state.analytic?.layer).toBe(0);
    expect(out.commands.filter((c) => c.type === 'log' && c.level === 'warn')).toHaveLength(2);
  });

  it('finishes a layer without a worker that left, and fails the run when nobody is left', () => {
    const s = started.state;
    const left = run(s, [statsEvent(A, statsMsg(0, statsOf(s, A, 0))), { type: 'peer-left', peer: B, reason: 'closed', now: 2 }]);
    expect(left.state.analytic?.layer).toBe(1);
    const none = run(left.state, [{ type: 'peer-left', peer: A, reason: 'closed', now: 3 }]);
    expect(none.state.phase).toBe('failed');
    expect(none.commands.some((c) => c.type === 'finished' && !c.ok)).toBe(true);
  });

  it('evaluates after the head, asks every host for its client reports, and is done when both are in', () => {
    let s = started.state;
    for (const layer of [0, 1]) {
      const sa = statsOf(s, A, layer);
      const sb = statsOf(s, B, layer);
      s = run(s, [statsEvent(A, statsMsg(layer, sa)), statsEvent(B, statsMsg(layer, sb))]).state;
    }
    expect(s.phase).toBe('evaluating-final');
    expect(s.analytic?.solved.map((l) => [l.features, l.dOut])).toEqual([[FEATURES, plan.hidden[0]], [plan.hidden[0], CLASSES]]);
    const evaluated = run(s, [{ type: 'evaluated', step: 2, accuracy: 0.9, now: 9 }]);
    expect(evaluated.state.phase).toBe('evaluating-final');
    const fin = run(evaluated.state, [reportOf(s, A, 0.5), reportOf(s, B, 1)]);
    expect(fin.state.phase).toBe('done');
    expect(fin.state.endedAt).toBe(5);
    expect(fin.commands.some((c) => c.type === 'finished' && c.ok && c.reason.includes('test accuracy 90.0%, mean local accuracy 75.0%'))).toBe(true);
  });

  it('evicts a host whose client-report names clients it does not host', () => {
    let s = started.state;
    for (const layer of [0, 1]) s = run(s, [statsEvent(A, statsMsg(layer, statsOf(s, A, layer))), statsEvent(B, statsMsg(layer, statsOf(s, B, layer)))]).state;
    const bad = reportOf(s, B, 0.5);
    const out = run(s, [{ ...bad, from: A } as CoordinatorEvent]);
    expect(out.commands.some((c) => c.type === 'disconnect' && c.peer === A)).toBe(true);
    expect(out.state.awaitingReports).toEqual([B]);
  });

  it('evicts a worker that sends a layer-request', () => {
    const msg = { type: 'layer-request' as const, runId: 'run1', layer: 0, weights: [], groups: 1, roster: [], rosterKeys: { dtype: 'uint8' as const, shape: [0, 65], data: new Uint8Array(0) } };
    const out = run(started.state, [{ type: 'message', from: A, now: 1, msg }]);
    expect(out.commands.some((c) => c.type === 'disconnect' && c.peer === A)).toBe(true);
  });
});
