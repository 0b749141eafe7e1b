import { describe, expect, it } from 'vitest';
import { PROBE_PINGS, PROBE_TIMEOUT_MS } from './daso-rtt.ts';
import type { PeerId } from '../../core/ids.ts';
import type { DeviceInfo } from '../../protocol/messages.ts';
import { A, B, C, D, dasoKit, dasoTestConfig, dasoTestLabels, hello, sent } from '../../testing/daso-coordinator-kit.ts';
import { initialCoordinatorState, type CoordinatorEvent } from './reducer.ts';
import type { CoordinatorState } from './state.ts';

const config = dasoTestConfig;
const labels = dasoTestLabels;
const { run } = dasoKit(5);
const rtt = (from: PeerId, times: Record<string, number>, now = 1): CoordinatorEvent => ({
  type: 'message', from, now, msg: { type: 'daso-rtt', runId: 'run1', peers: Object.keys(times), rttMs: { dtype: 'float64', shape: [Object.keys(times).length], data: Float64Array.from(Object.values(times)) } },
});
const beat = (from: PeerId, now: number): CoordinatorEvent => ({ type: 'message', from, now, msg: { type: 'heartbeat', sentAt: now } });
const groupsOf = (s: CoordinatorState) => s.daso?.groups.map((g) => [g.source, g.members]);

/** Four workers without labels or machine ids: the run starts by probing. */
function probing(hints: readonly Partial<DeviceInfo>[] = [{}, {}, {}, {}]) {
  return run(initialCoordinatorState(config, 4, true, labels.length), [A, B, C, D].map((id, i) => hello(id, hints[i] ?? {})));
}

describe('DASO RTT grouping (coordinator)', () => {
  it('asks each worker to probe the peers above it, and plans nothing until the times are in', () => {
    const { state, commands } = probing();
    expect(state.phase).toBe('training');
    expect(state.daso).toBeNull();
    expect(state.startedAt).toBe(0);
    expect(sent(commands, 'daso-probe').map((p) => [p.to, p.msg.type === 'daso-probe' ? [p.msg.peers, p.msg.pings] : null])).toEqual([
      [A, [[B, C, D], PROBE_PINGS]], [B, [[C, D], PROBE_PINGS]], [C, [[D], PROBE_PINGS]],
    ]);
    expect(sent(commands, 'daso-plan')).toHaveLength(0);
    expect(commands.some((c) => c.type === 'send-start')).toBe(false);
  });

  it('groups by complete linkage below the threshold once every report is in, and says what it measured', () => {
    const { state } = probing();
    const partial = run(state, [rtt(A, { b: 0.5, c: 40, d: 41 }), rtt(B, { c: 42, d: 40 })]);
    expect(partial.state.daso).toBeNull();
    const full = run(partial.state, [rtt(C, { d: 0.7 })]);
    expect(groupsOf(full.state)).toEqual([['rtt', [A, B]], ['rtt', [C, D]]]);
    expect(full.state.dasoProbe).toBeNull();
    expect(sent(full.commands, 'daso-plan').map((p) => p.to)).toEqual([A, B, C, D]);
    expect(full.commands).toContainEqual(expect.objectContaining({ type: 'log', text: expect.stringContaining('a-b 0.5 ms') as unknown }));
    expect(full.state.daso?.rtt).toEqual({ a: { b: 0.5, c: 40, d: 41 }, b: { c: 42, d: 40 }, c: { d: 0.7 } });
  });

  it('keeps devices apart when one pair of two clusters is slow (complete linkage), and leaves unmeasured pairs (-1) apart', () => {
    const { state } = probing();
    const full = run(state, [rtt(A, { b: 0.5, c: 1, d: 9 }), rtt(B, { c: 1, d: 1 }), rtt(C, { d: -1 })]);
    // a-b-c are all < 5 ms apart; d is 9 ms from a, so it cannot join them, and c-d was not measured.
    expect(groupsOf(full.state)).toEqual([['rtt', [A, B, C]], ['single', [D]]]);
  });

  it('plans with what it has at the deadline, warning about the tabs that never answered', () => {
    const { state } = probing();
    const some = run(state, [rtt(A, { b: 0.5, c: 40, d: 41 })]);
    const before = run(some.state, [A, B, C, D].map((id) => beat(id, PROBE_TIMEOUT_MS - 1)), );
    const early = run(before.state, [{ type: 'tick', now: PROBE_TIMEOUT_MS - 1 }]);
    expect(early.state.daso).toBeNull();
    const late = run(early.state, [...[A, B, C, D].map((id) => beat(id, PROBE_TIMEOUT_MS)), { type: 'tick', now: PROBE_TIMEOUT_MS }]);
    expect(groupsOf(late.state)).toEqual([['rtt', [A, B]], ['single', [C]], ['single', [D]]]);
    expect(late.commands).toContainEqual(expect.objectContaining({ type: 'log', level: 'warn', text: expect.stringContaining('no round-trip times from b, c') as unknown }));
  });

  it('ignores a repeated report, evicts one that names peers it was not asked about, and does not wait for a tab that left', () => {
    const { state } = probing();
    const first = run(state, [rtt(A, { b: 0.5, c: 40, d: 41 }), rtt(A, { b: 99, c: 99, d: 99 })]);
    expect(first.state.dasoProbe?.rtt.a).toEqual({ b: 0.5, c: 40, d: 41 });
    const liar = run(first.state, [rtt(B, { a: 1, d: 1 })]);
    expect(liar.commands).toContainEqual({ type: 'disconnect', peer: B, reason: expect.stringContaining('other peers') as unknown });
    expect(liar.state.daso).toBeNull();
    const done = run(liar.state, [rtt(C, { d: 0.7 })]);
    expect(groupsOf(done.state)).toEqual([['single', [A]], ['rtt', [C, D]]]);
    const left = run(probing().state, [rtt(A, { b: 0.5, c: 40, d: 41 }), rtt(B, { c: 42, d: 40 }), { type: 'peer-left', peer: C, reason: 'closed', now: 2 }]);
    expect(groupsOf(left.state)).toEqual([['rtt', [A, B]], ['single', [D]]]);
  });

  it('probes only unlabelled devices; a label still wins', () => {
    const { commands } = probing([{ groupLabel: 'x' }, { groupLabel: 'x' }, {}, {}]);
    expect(sent(commands, 'daso-probe').map((p) => [p.to, p.msg.type === 'daso-probe' ? p.msg.peers : null])).toEqual([[C, [D]]]);
  });

  it('re-forms the groups with the measured times when a member leaves mid-run', () => {
    const planned = run(probing().state, [rtt(A, { b: 0.5, c: 40, d: 41 }), rtt(B, { c: 42, d: 40 }), rtt(C, { d: 0.7 })]).state;
    const after = run(planned, [{ type: 'peer-left', peer: D, reason: 'closed', now: 3 }]);
    expect(groupsOf(after.state)).toEqual([['rtt', [A, B]], ['single', [C]]]);
    expect(after.state.daso?.generation).toBe(1);
  });

  it('fails a run whose schedule options are invalid before probing anything', () => {
    const bad = dasoKit(5, { warmupEpochs: -1 });
    const out = bad.run(initialCoordinatorState(config, 4, true, labels.length), [A, B, C, D].map((id) => hello(id)));
    expect(out.state.phase).toBe('failed');
    expect(sent(out.commands, 'daso-probe')).toHaveLength(0);
  });

  it('ignores a report outside a probe', () => {
    const planned = run(probing().state, [rtt(A, { b: 0.5, c: 40, d: 41 }), rtt(B, { c: 42, d: 40 }), rtt(C, { d: 0.7 })]).state;
    const again = run(planned, [rtt(A, { b: 1, c: 1, d: 1 })]);
    expect(again.state.daso?.groups).toEqual(planned.daso?.groups);
    expect(again.commands.some((c) => c.type === 'disconnect')).toBe(false);
  });
});
