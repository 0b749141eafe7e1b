import { describe, expect, it } from 'vitest';
import { maxRelDiff } from '../../core/analytic/dense.ts';
import { sumGramStats } from '../../core/analytic/gram.ts';
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import type { DeviceInfo, Message } from '../../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import { testConfig } from '../../testing/run-config.ts';
import { analyticPlan, layerStats, solveAnalyticLayer } from '../analytic-plan.ts';
import { maskLabel } from '../federated-plan.ts';
import { layerSumsVector } from '../worker/analytic-jobs.ts';
import { maskWithKeys } from '../../core/analytic/keyed-masking.ts';
import { createCoordinatorReducer, initialCoordinatorState, type CoordinatorCommand, type CoordinatorEvent } from './reducer.ts';
import type { CoordinatorState } from './state.ts';

const FEATURES = 3;
const CLASSES = 2;
const ROWS = 18;
const config = testConfig({ algo: 'fedacnnl', masking: true });
const plan = analyticPlan(config, FEATURES, CLASSES);
const labels = Uint8Array.from({ length: ROWS }, (_, i) => i % CLASSES);
const xAll = Float64Array.from({ length: ROWS * FEATURES }, (_, k) => ((Math.floor(k / FEATURES) % CLASSES) + 1) * ((k % FEATURES) + 1) * 0.3 + Math.sin(k));
const device: DeviceInfo = { backend: 'wasm', adapter: '', reason: 'test', samplesPerSec: 100, memoryBytes: 0, selfTestPassed: true, userAgent: 'test' };
const reduce = createCoordinatorReducer({ self: peerIdFrom('swarm-r-coordinator'), room: 'r', trainLabels: labels, paramSizes: [1], features: FEATURES, numClasses: CLASSES });
const [A, B, C] = ['a', 'b', 'c'].map(peerIdFrom) as [PeerId, PeerId, PeerId];
/** Pair keys the hosts would have agreed by ECDH; the coordinator never sees them unless revealed. */
const pairKey = (i: number, j: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, k) => (i * 31 + j * 17 + k * 7) & 255);

function run(s: CoordinatorState, events: CoordinatorEvent[]): { state: CoordinatorState; commands: CoordinatorCommand[] } {
  const commands: CoordinatorCommand[] = [];
  for (const e of events) { const out = reduce(s, e); s = out.state; commands.push(...out.commands); }
  return { state: s, commands };
}
const from = (who: PeerId, msg: Message): CoordinatorEvent => ({ type: 'message', from: who, now: 1, msg });
const hello = (who: PeerId): CoordinatorEvent => from(who, { type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room: 'r', device });
const maskKey = (who: PeerId): CoordinatorEvent => from(who, { type: 'mask-key', runId: 'run1', publicKey: { dtype: 'uint8', shape: [65], data: Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i)) } });
const sent = (cs: CoordinatorCommand[], type: string) => cs.flatMap((c) => (c.type === 'send' && c.msg.type === type ? [{ to: c.to, msg: c.msg }] : []));

function statsOf(s: CoordinatorState, who: PeerId): GramStats {
  const idx = Int32Array.from(s.clients.filter((c) => c.host === who).flatMap((c) => Array.from(c.indices)));
  const x = Float64Array.from(Array.from(idx).flatMap((i) => Array.from(xAll.subarray(i * FEATURES, (i + 1) * FEATURES))));
  return layerStats(plan, 0, x, idx.length, Uint8Array.from(idx, (i) => labels[i] ?? 0), []);
}

function masked(s: CoordinatorState, who: PeerId): CoordinatorEvent {
  const roster = s.masking?.roster ?? [];
  const self = roster.indexOf(who);
  const keys = new Map(roster.map((_, j) => j).filter((j) => j !== self).map((j) => [j, pairKey(Math.min(self, j), Math.max(self, j))] as const));
  const ring = maskWithKeys({ values: layerSumsVector([statsOf(s, who)]), self, pairKeys: keys, label: maskLabel('run1', 0, roster), numClients: roster.length });
  if (!ring.ok) throw new Error(ring.error.message);
  return from(who, { type: 'masked-stats', runId: 'run1', layer: 0, ring: { dtype: 'float64', shape: [ring.value.length], data: ring.value } });
}

describe('masked analytic rounds', () => {
  const joined = run(initialCoordinatorState(config, 3, true, ROWS), [hello(A), hello(B), hello(C)]);

  it('waits for every host\'s key, then requests layer 0 with the roster and its keys', () => {
    expect(sent(joined.commands, 'layer-request')).toHaveLength(0);
    const keyed = run(joined.state, [maskKey(A), maskKey(B), maskKey(A), maskKey(C)]);
    const reqs = sent(keyed.commands, 'layer-request');
    expect(reqs.map((r) => r.to)).toEqual([A, B, C]);
    expect(reqs[0]?.msg).toMatchObject({ roster: [A, B, C], rosterKeys: { shape: [3, 65] } });
  });

  it('solves from the masked vectors exactly as from the plain sum, learning nothing else', () => {
    const keyed = run(joined.state, [maskKey(A), maskKey(B), maskKey(C)]).state;
    const out = run(keyed, [masked(keyed, A), masked(keyed, B), masked(keyed, C)]);
    const plain = sumGramStats(statsOf(keyed, A), [statsOf(keyed, A), statsOf(keyed, B), statsOf(keyed, C)]);
    if (!plain.ok) throw new Error(plain.error.message);
    const want = solveAnalyticLayer(plan, 0, plain.value);
    if (!want.ok) throw new Error(want.error);
    expect(maxRelDiff(out.state.analytic?.solved[0]?.w ?? new Float64Array(0), want.value.w)).toBeLessThan(1e-6);
    expect(sent(out.commands, 'unmask-request')).toHaveLength(0);
  });

  it('recovers the survivors\' sum when a host leaves before sending, from the survivors\' revealed keys', () => {
    const keyed = run(joined.state, [maskKey(A), maskKey(B), maskKey(C)]).state;
    const partial = run(keyed, [masked(keyed, A), masked(keyed, B), { type: 'peer-left', peer: C, reason: 'closed', now: 2 }]);
    const asks = sent(partial.commands, 'unmask-request');
    expect(asks.map((a) => a.to)).toEqual([A, B]);
    expect(asks[0]?.msg).toMatchObject({ dropped: [C] });
    const reveal = (who: PeerId, i: number): CoordinatorEvent => from(who, { type: 'mask-reveal', runId: 'run1', layer: 0, dropped: [C], keys: { dtype: 'uint8', shape: [1, 32], data: pairKey(i, 2) } });
    const out = run(partial.state, [reveal(A, 0), reveal(B, 1)]);
    const plain = sumGramStats(statsOf(keyed, A), [statsOf(keyed, A), statsOf(keyed, B)]);
    if (!plain.ok) throw new Error(plain.error.message);
    const want = solveAnalyticLayer(plan, 0, plain.value);
    if (!want.ok) throw new Error(want.error);
    expect(maxRelDiff(out.state.analytic?.solved[0]?.w ?? new Float64Array(0), want.value.w)).toBeLessThan(1e-6);
    expect(sent(out.commands, 'layer-request').map((r) => r.to)).toEqual([A, B]);
  });

  it('evicts a host whose masked vector is not in the ring, and ignores a plain layer-stats-free reveal', () => {
    const keyed = run(joined.state, [maskKey(A), maskKey(B), maskKey(C)]).state;
    const good = masked(keyed, A);
    const bad = good.type === 'message' && good.msg.type === 'masked-stats' ? Float64Array.from(good.msg.ring.data as Float64Array) : new Float64Array(0);
    bad[0] = 2 ** 52;
    const out = run(keyed, [from(B, { type: 'masked-stats', runId: 'run1', layer: 0, ring: { dtype: 'float64', shape: [bad.length], data: bad } })]);
    expect(out.commands.some((c) => c.type === 'disconnect' && c.peer === B)).toBe(true);
    const stray = run(keyed, [from(A, { type: 'mask-reveal', runId: 'run1', layer: 0, dropped: [C], keys: { dtype: 'uint8', shape: [1, 32], data: new Uint8Array(32) } })]);
    expect(stray.state.masking?.ringSum).toBeNull(); // nobody asked: ignored
  });
});
