import { describe, expect, it } from 'vitest';
import { initSchedule, nextSchedule, scheduleConfig } from '../../core/daso/schedule.ts';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import { A, B, C, D, dasoKit, dasoTestConfig, dasoTestLabels, hello, sent } from '../../testing/daso-coordinator-kit.ts';
import { initialCoordinatorState, type CoordinatorEvent } from './reducer.ts';

const config = dasoTestConfig;
const labels = dasoTestLabels;
const { run } = dasoKit(null);
const report = (from: PeerId, epoch: number, lossSum: number, params = new Float32Array(0), generation = 0): CoordinatorEvent => ({
  type: 'message', from, now: 1, msg: { type: 'daso-epoch', runId: 'run1', generation, epoch, count: 10, lossSum, params: { dtype: 'float32', shape: [params.length], data: params } },
});
/** Four workers: two share a `?group=` label, two share a machine id. */
function started() {
  const s0 = initialCoordinatorState(config, 4, true, labels.length);
  return run(s0, [hello(A, { groupLabel: 'x' }), hello(B, { machineId: 'm1' }), hello(C, { groupLabel: 'x' }), hello(D, { machineId: 'm1' })]);
}

describe('coordinator reducer, algo daso', () => {
  it('forms groups from labels and machine ids, and sends assign, plan, the warmup schedule and start to each', () => {
    const { state, commands } = started();
    expect(state.phase).toBe('training');
    expect(state.daso?.groups.map((g) => [g.source, g.members])).toEqual([['label', [A, C]], ['machine', [B, D]]]);
    const plans = sent(commands, 'daso-plan');
    expect(plans.map((p) => p.to)).toEqual([A, C, B, D]);
    const plan = plans[0]!.msg;
    expect(plan.type === 'daso-plan' && [plan.members, Array.from(plan.groupSizes.data), plan.wire, plan.stepsPerEpoch]).toEqual([[A, C, B, D], [2, 2], 'bf16', 5]);
    expect(sent(commands, 'daso-schedule').map((s) => s.msg)).toContainEqual(expect.objectContaining({ epoch: 0, phase: 'warmup', globalSkip: 0 }));
    expect(commands.flatMap((c) => (c.type === 'send-start' ? [c.batchSize] : []))).toEqual([2, 2, 2, 2]);
    // Every plan and schedule goes out before the first start, so no worker starts ahead of a peer's plan.
    const firstStart = commands.findIndex((c) => c.type === 'send-start');
    expect(commands.slice(firstStart).some((c) => c.type === 'send')).toBe(false);
  });

  it('advances the schedule once per epoch with the mean loss, evaluates the reporter\'s parameters, ignores duplicates', () => {
    const { state } = started();
    const params = Float32Array.of(1, 2, 3);
    const partial = run(state, [report(A, 0, 20, params), report(C, 0, 30), report(C, 0, 99), report(B, 0, 40)]);
    expect(sent(partial.commands, 'daso-schedule')).toHaveLength(0);
    const full = run(partial.state, [report(D, 0, 50)]);
    const cfg = scheduleConfig({ totalEpochs: 6, warmupEpochs: 1, cooldownEpochs: 1, maxGlobalSkips: 8 });
    if (!cfg.ok) throw cfg.error;
    // Oracle: the core state machine fed the mean loss (20 + 30 + 40 + 50) / 40.
    const expected = nextSchedule(initSchedule(cfg.value), { epoch: 0, loss: 140 / 40 }).schedule;
    const schedules = sent(full.commands, 'daso-schedule');
    expect(schedules).toHaveLength(4);
    expect(schedules[0]!.msg).toMatchObject({ epoch: 1, globalSkip: expected.globalSkip, localSkip: expected.localSkip, batchesToWait: expected.batchesToWait, phase: 'cycling' });
    expect(full.state.loss).toBe(3.5);
    const evaluate = full.commands.find((c) => c.type === 'evaluate');
    expect(evaluate?.type === 'evaluate' && evaluate.params?.map((p) => Array.from(p))).toEqual([[1, 2], [3]]);
  });

  it('evicts a reporter whose parameters do not fit the model and goes on without it', () => {
    const { state } = started();
    const bad = run(state, [report(A, 0, 20, Float32Array.of(1))]);
    expect(bad.commands.some((c) => c.type === 'disconnect' && c.peer === A)).toBe(true);
    expect(bad.state.phase).toBe('training');
    expect(bad.state.daso?.expected).toEqual([B, D, C]);
  });

  it('re-forms the groups without a member that left and restarts the epoch under the next plan, ignoring the old plan\'s reports', () => {
    const { state } = started();
    const epoch1 = run(state, [report(A, 0, 20, Float32Array.of(1, 2, 3)), report(C, 0, 30), report(B, 0, 40), report(D, 0, 50)]).state;
    const partial = run(epoch1, [report(A, 1, 10, Float32Array.of(1, 2, 3)), report(B, 1, 10)]).state;
    const left = run(partial, [{ type: 'peer-left', peer: D, reason: 'closed', now: 2 }]);
    expect(left.state.phase).toBe('training');
    expect(left.state.daso).toMatchObject({ generation: 1, epoch: 1, expected: [A, C, B], reports: {}, reporter: A });
    expect(left.state.daso?.groups.map((g) => g.members)).toEqual([[A, C], [B]]);
    const plans = sent(left.commands, 'daso-plan');
    expect(plans.map((p) => p.to)).toEqual([A, C, B]);
    expect(plans[0]?.msg).toMatchObject({ generation: 1, members: [A, C, B] });
    expect(sent(left.commands, 'daso-schedule').map((x) => x.msg)).toEqual(Array(3).fill(expect.objectContaining({ epoch: 1, phase: 'cycling' })));
    expect(sent(left.commands, 'assign').map((x) => x.to)).toEqual([A, C, B]); // D's data is shared out again
    expect(left.commands.flatMap((c) => (c.type === 'send-start' ? [[c.to, c.step, c.epoch]] : []))).toEqual([[A, 5, 1], [C, 5, 1], [B, 5, 1]]);
    expect(left.commands.some((c) => c.type === 'log' && c.level === 'warn' && c.text.includes('epoch 1 restarts'))).toBe(true);
    // A report made under plan 0 is stale; the epoch completes on plan 1's reports alone.
    const stale = run(left.state, [report(C, 1, 10, new Float32Array(0), 0)]);
    expect(stale.state.daso?.reports).toEqual({});
    const done = run(stale.state, [report(A, 1, 10, Float32Array.of(1, 2, 3), 1), report(C, 1, 20, new Float32Array(0), 1), report(B, 1, 30, new Float32Array(0), 1)]);
    expect(done.state.daso?.epoch).toBe(2);
    expect(done.state.loss).toBe(2);
  });

  it('takes a tab that joined mid-epoch into the groups at the next epoch boundary, from the reporter\'s parameters', () => {
    const { state } = started();
    const E = peerIdFrom('e');
    const joined = run(state, [hello(E, { groupLabel: 'x' })]);
    expect(sent(joined.commands, 'daso-plan')).toHaveLength(0); // nothing changes mid-epoch
    expect(joined.state.daso?.expected).toEqual([A, C, B, D]);
    const boundary = run(joined.state, [report(A, 0, 20, Float32Array.of(1, 2, 3)), report(C, 0, 30), report(B, 0, 40), report(D, 0, 50)]);
    expect(boundary.state.daso).toMatchObject({ generation: 1, epoch: 1, expected: [A, C, E, B, D], reports: {} });
    expect(boundary.state.daso?.trace).toHaveLength(2);
    expect(sent(boundary.commands, 'daso-plan').map((p) => p.to)).toEqual([A, C, E, B, D]);
    const types = boundary.commands.map((c) => c.type);
    expect(types.indexOf('evaluate')).toBeLessThan(types.indexOf('send-start')); // start carries the evaluated parameters
    expect(boundary.commands.flatMap((c) => (c.type === 'send-start' ? [[c.to, c.step, c.epoch]] : []))).toEqual([A, C, E, B, D].map((id) => [id, 5, 1]));
  });

  it('fails the run when its last member leaves', () => {
    const { state } = started();
    const gone = run(state, [A, B, C, D].map((peer) => ({ type: 'peer-left', peer, reason: 'closed', now: 2 })));
    expect(gone.state.phase).toBe('failed');
    expect(gone.state.failure).toMatch(/nobody is left to train/);
  });
});
