import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import type { DeviceInfo, FedAvgUpdateMsg, RunConfig } from '../../protocol/messages.ts';
import type { ClientPlan } from '../federated-plan.ts';
import { initialCoordinatorState } from './reducer.ts';
import { acceptFedAvgUpdate, advanceFedAvg, startFedAvg, type FedAvgCommand, type FedAvgOut, type FedAvgVerdict } from './fedavg-reducer.ts';
import type { CoordinatorState, Member } from './state.ts';

const config: RunConfig = {
  runId: 'run1', algo: 'fedavg', dataset: 'mnist', model: 'mlp', optimizer: 'sgd', learningRate: 0.05, epochs: 2,
  globalBatch: 10, seed: 3, partition: 'iid', alpha: 0.5, labelsPerClient: 1, clients: 3, trainLimit: 0, groups: 1,
  localEpochs: 1, localBatch: 4, masking: false, aggregation: 'mean',
};
const device: DeviceInfo = { backend: 'cpu', adapter: '', reason: 'test', samplesPerSec: 100, memoryBytes: 0, selfTestPassed: true, userAgent: 'test' };
const A = peerIdFrom('a');
const B = peerIdFrom('b');
const C = peerIdFrom('c'); // active but hosts no client
const D = peerIdFrom('d'); // hosts a client but is not active
/** Two parameter tensors of 2 and 1 values. */
const SIZES = [2, 1];

const member = (id: PeerId, active = true): Member => ({ id, device, lastSeen: 0, slot: null, active, excluded: false });
const client = (id: number, host: PeerId, rows: number): ClientPlan => ({ id, host, group: 0, indices: Int32Array.from({ length: rows }, (_, i) => id * 100 + i) });

/** A run in 'training' with A hosting clients 0 and 1 (10 + 5 rows), B client 2 (8 rows), D client 3 (inactive). */
const base: CoordinatorState = {
  ...initialCoordinatorState(config, 2, true, 27),
  phase: 'training', startedAt: 0,
  members: { [A]: member(A), [B]: member(B), [C]: member(C), [D]: member(D, false) },
  clients: [client(0, A, 10), client(1, A, 5), client(2, B, 8), client(3, D, 4)],
};
const INITIAL = [Float32Array.of(1, -1), Float32Array.of(0.5)];

const update = (round: number, count: number, lossSum: number, p: number[][]): FedAvgUpdateMsg => ({
  type: 'fedavg-update', runId: 'run1', round, count, lossSum, params: p.map((a) => ({ dtype: 'float32', shape: [a.length], data: Float32Array.from(a) })),
});
const sent = (cs: FedAvgCommand[], type: string): { to: string; msg: Record<string, unknown> }[] =>
  cs.flatMap((c) => (c.type === 'send' && c.msg.type === type ? [{ to: c.to, msg: c.msg as unknown as Record<string, unknown> }] : []));
function okOut(v: FedAvgVerdict): FedAvgOut {
  if (v.kind !== 'ok') throw new Error(`expected ok, got ${v.kind}: ${v.reason}`);
  return v.out;
}
const paramsOf = (m: Record<string, unknown> | undefined): number[][] =>
  ((m?.params ?? []) as { data: Float32Array }[]).map((t) => Array.from(t.data));

describe('FedAvg coordinator flow', () => {
  const started = startFedAvg(base, INITIAL);

  it('sends round 0 with the initial parameters to the active hosts only', () => {
    const rounds = sent(started.commands, 'fedavg-round');
    expect(rounds.map((r) => r.to)).toEqual([A, B]);
    expect(rounds[0]?.msg).toMatchObject({ runId: 'run1', round: 0, params: [{ dtype: 'float32', shape: [2] }, { dtype: 'float32', shape: [1] }] });
    expect(paramsOf(rounds[1]?.msg)).toEqual([[1, -1], [0.5]]);
    expect(started.state.fedavg).toEqual({ round: 0, global: INITIAL, expected: [A, B], received: {} });
    expect(started.state.step).toBe(0);
    expect(started.commands.some((c) => c.type === 'log')).toBe(true);
  });

  it('averages a 2-host round by rows, reports the pooled loss and starts round 1', () => {
    const s = started.state;
    const first = okOut(acceptFedAvgUpdate(s, A, update(0, 12, 6, [[0, 4], [1]]), SIZES));
    expect(first.commands).toEqual([]); // still waiting for B
    expect(first.state.fedavg?.received[A]?.count).toBe(12);
    const out = okOut(acceptFedAvgUpdate(first.state, B, update(0, 4, 3, [[8, 0], [-3]]), SIZES));
    // Oracle by hand: (12·a + 4·b) / 16 = (3a + b) / 4.
    const want = [[(3 * 0 + 8) / 4, (3 * 4 + 0) / 4], [(3 * 1 - 3) / 4]];
    expect(out.state.fedavg?.global.map((t) => Array.from(t))).toEqual(want);
    expect(out.state.loss).toBeCloseTo(9 / 16, 12);
    expect([out.state.step, out.state.epoch, out.state.phase]).toEqual([1, 1, 'training']);
    const evaluate = out.commands.find((c) => c.type === 'evaluate');
    expect(evaluate?.type === 'evaluate' && evaluate.step).toBe(1);
    expect(evaluate?.type === 'evaluate' && evaluate.params.map((t) => Array.from(t))).toEqual(want);
    const next = sent(out.commands, 'fedavg-round');
    expect(next.map((r) => [r.to, r.msg.round])).toEqual([[A, 1], [B, 1]]);
    expect(paramsOf(next[0]?.msg)).toEqual(want);
    expect(out.state.fedavg).toMatchObject({ round: 1, expected: [A, B], received: {} });
    const progress = sent(out.commands, 'progress');
    expect(progress.map((p) => p.to).sort()).toEqual([A, B, C, D]);
    expect(progress[0]?.msg).toMatchObject({ phase: 'training', epoch: 1, step: 1, loss: 9 / 16, testAccuracy: null });
  });

  it('ignores stale, foreign, unexpected and duplicate updates', () => {
    const s = started.state;
    const good = update(0, 5, 1, [[1, 1], [1]]);
    const ignored = (v: FedAvgVerdict): boolean => v.kind === 'ignore';
    expect(ignored(acceptFedAvgUpdate(s, A, { ...good, round: 1 }, SIZES))).toBe(true);
    expect(ignored(acceptFedAvgUpdate(s, A, { ...good, runId: 'other' }, SIZES))).toBe(true);
    expect(ignored(acceptFedAvgUpdate(s, C, good, SIZES))).toBe(true);
    expect(ignored(acceptFedAvgUpdate({ ...s, phase: 'evaluating-final' }, A, good, SIZES))).toBe(true);
    const once = okOut(acceptFedAvgUpdate(s, A, good, SIZES)).state;
    expect(ignored(acceptFedAvgUpdate(once, A, { ...good, count: 7 }, SIZES))).toBe(true);
    expect(ignored(acceptFedAvgUpdate(base, A, good, SIZES))).toBe(true); // no round running
  });

  it('evicts wrong sizes, non-finite values, impossible row counts and bad losses, leaving the round as it was', () => {
    const s = started.state;
    const cases: [string, FedAvgUpdateMsg][] = [
      ['tensors', update(0, 5, 1, [[1, 1]])],
      ['float32[3]', update(0, 5, 1, [[1, 1, 1], [1]])],
      ['non-finite', update(0, 5, 1, [[1, Number.NaN], [1]])],
      ['non-finite', update(0, 5, 1, [[1, 1], [Number.POSITIVE_INFINITY]])],
      ['rows', update(0, 16, 1, [[1, 1], [1]])], // A's clients hold 15 rows
      ['rows', update(0, 0, 0, [[1, 1], [1]])],
      ['loss', update(0, 5, Number.NaN, [[1, 1], [1]])],
      ['loss', update(0, 5, -1, [[1, 1], [1]])],
      ['float32', { ...update(0, 5, 1, [[1, 1], [1]]), params: [{ dtype: 'float64', shape: [2], data: Float64Array.of(1, 1) }, { dtype: 'float32', shape: [1], data: Float32Array.of(1) }] }],
    ];
    for (const [word, m] of cases) {
      const v = acceptFedAvgUpdate(s, A, m, SIZES);
      expect(v.kind, word).toBe('evict');
      if (v.kind === 'evict') expect(v.reason).toContain(word);
    }
    expect(s.fedavg?.received).toEqual({});
    expect(okOut(acceptFedAvgUpdate(s, A, update(0, 15, 1, [[1, 1], [1]]), SIZES)).state.fedavg?.received[A]?.count).toBe(15);
  });

  it('after the last round moves to evaluating-final and sends round === epochs to every host', () => {
    let s = started.state;
    for (let round = 0; round < config.epochs; round++) {
      s = okOut(acceptFedAvgUpdate(s, A, update(round, 8, 2, [[round, 1], [2]]), SIZES)).state;
      const out = okOut(acceptFedAvgUpdate(s, B, update(round, 8, 4, [[round + 2, 3], [0]]), SIZES));
      s = out.state;
      if (round === config.epochs - 1) {
        expect(s.phase).toBe('evaluating-final');
        expect(s.awaitingReports).toEqual([A, B]);
        expect(sent(out.commands, 'fedavg-round').map((r) => [r.to, r.msg.round])).toEqual([[A, 2], [B, 2]]);
        expect(out.commands.filter((c) => c.type === 'evaluate').map((c) => c.step)).toEqual([2]);
        expect(sent(out.commands, 'progress')[0]?.msg).toMatchObject({ phase: 'evaluating-final', epoch: 2, step: 2, loss: 6 / 16 });
        expect(s.fedavg?.global.map((t) => Array.from(t))).toEqual([[round + 1, 2], [1]]);
      }
    }
    // The final round is not training: late updates are stale.
    expect(acceptFedAvgUpdate(s, A, update(2, 10, 2, [[1, 1], [1]]), SIZES).kind).toBe('ignore');
  });

  it('completes a round without a host that left mid-round, and fails the run when nobody answered', () => {
    const s = okOut(acceptFedAvgUpdate(started.state, A, update(0, 6, 1.5, [[2, 4], [6]]), SIZES)).state;
    const r = s.fedavg;
    if (r === null) throw new Error('no round');
    // What the coordinator reducer does when B leaves: drop it from the members and from `expected`.
    const gone: CoordinatorState = { ...s, members: { ...s.members, [B]: { ...member(B), active: false } }, fedavg: { ...r, expected: [A] } };
    const out = advanceFedAvg(gone);
    expect(out.state.fedavg?.global.map((t) => Array.from(t))).toEqual([[2, 4], [6]]);
    expect(out.state.loss).toBe(0.25);
    expect(sent(out.commands, 'fedavg-round').map((c) => c.to)).toEqual([A]);
    expect(out.state.fedavg?.expected).toEqual([A]);

    expect(advanceFedAvg(s).commands).toEqual([]); // B still expected: nothing happens
    const nobody: CoordinatorState = { ...started.state, fedavg: { ...(started.state.fedavg ?? r), expected: [] } };
    const failed = advanceFedAvg(nobody);
    expect(failed.state.phase).toBe('failed');
    expect(failed.commands.some((c) => c.type === 'finished' && !c.ok)).toBe(true);
    expect(sent(failed.commands, 'done')).toHaveLength(4);
  });

  it('a run of zero rounds goes straight to the final evaluation of the initial model', () => {
    const out = startFedAvg({ ...base, config: { ...config, epochs: 0 } }, INITIAL);
    expect(out.state.phase).toBe('evaluating-final');
    expect(sent(out.commands, 'fedavg-round').map((r) => r.msg.round)).toEqual([0, 0]);
    expect(out.commands.some((c) => c.type === 'evaluate' && c.step === 0 && c.params === INITIAL)).toBe(true);
  });
});
