/**
 * The coordinator's part of a DASO run (algo 'daso'), behind one door so reducer.ts only routes, as
 * federated.ts does for the federated algos. The coordinator stays out of the training data path
 * (docs/decisions/0005): it forms the device groups, partitions the data, sends every worker its plan and the
 * schedule, collects one `daso-epoch` report per worker per epoch, advances the schedule with the epoch's mean
 * loss (core/daso/schedule.ts), evaluates the reporter's parameters, and ends the run.
 */
import { formGroups } from '../../core/daso/groups.ts';
import { initSchedule, nextSchedule, scheduleConfig, type DasoSchedule, type DasoScheduleState } from '../../core/daso/schedule.ts';
import { partition } from '../../core/data/partition.ts';
import type { PeerId } from '../../core/ids.ts';
import { err, ok, type Result } from '../../core/result.ts';
import { batchShares } from '../../core/plan/batch-shares.ts';
import type { DasoEpochMsg, DasoRttMsg, DasoWire, Message } from '../../protocol/messages.ts';
import { log, send, type CommonCommand } from '../commands.ts';
import { singleAssign } from '../federated-plan.ts';
import { acceptRtt, describeRtt, PROBE_TIMEOUT_MS, probeComplete, probeMissing, probeWithout, rttLookup, startProbe } from './daso-rtt.ts';
import type { CoordinatorState, DasoProbe, DasoRun, Member, RttTable } from './state.ts';

/** The schedule and wire options of a DASO run (url-config.ts `daso`). */
export interface DasoOptions {
  readonly warmupEpochs: number;
  readonly cooldownEpochs: number;
  readonly maxGlobalSkips: number;
  readonly wire: DasoWire;
  /**
   * RTT grouping (`?dasoRttMs`): devices merge into one group while every cross pair's measured round-trip
   * time is below this many ms (ALGORITHMS.md 3.8 says 5); null = no probing, groups by label and machine only.
   */
  readonly rttThresholdMs: number | null;
}

/** Defaults: the small-scale reproduction of ALGORITHMS.md 3.9 (as url-config.ts DASO_URL_DEFAULTS). */
export const DASO_DEFAULT_OPTIONS: DasoOptions = { warmupEpochs: 2, cooldownEpochs: 2, maxGlobalSkips: 8, wire: 'bf16', rttThresholdMs: null };

/** What the DASO flow needs that is not in the state. */
export interface DasoContext {
  readonly trainLabels: Uint8Array;
  readonly paramSizes: readonly number[];
  readonly options: DasoOptions;
}

export type DasoCommand =
  | CommonCommand
  | { readonly type: 'send-start'; readonly to: PeerId; readonly step: number; readonly epoch: number; readonly batchSize: number }
  | { readonly type: 'evaluate'; readonly step: number; readonly params?: readonly Float32Array[] }
  | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string };

export interface DasoOut {
  readonly state: CoordinatorState;
  readonly commands: DasoCommand[];
}

export type DasoVerdict = { readonly kind: 'ok'; readonly out: DasoOut } | { readonly kind: 'ignore' | 'evict'; readonly reason: string };

const scheduleMsg = (runId: string, sc: DasoSchedule): Message => ({
  type: 'daso-schedule', runId, epoch: sc.epoch, globalSkip: sc.globalSkip, localSkip: sc.localSkip, batchesToWait: sc.batchesToWait, phase: sc.phase,
});

/**
 * Starts a DASO run: with RTT grouping, first the round-trip probes (daso-rtt.ts; the plan follows when the
 * reports are in, `acceptDasoRtt` / `dasoProbeTick`); otherwise the plan at once (`beginDaso`).
 */
export function startDaso(s: CoordinatorState, ctx: DasoContext, now: number): DasoOut {
  const workers: Member[] = Object.values(s.members).filter((m) => !m.excluded);
  const schedule = initialSchedule(s, ctx);
  if (!schedule.ok) return failDaso(s, `DASO cannot start: ${schedule.error}`, now); // before any probing
  const probe = ctx.options.rttThresholdMs === null ? null : startProbe(s.config.runId, workers, now);
  if (probe === null) return beginDaso({ ...s, startedAt: now }, ctx, workers, {}, schedule.value);
  const asked = Object.keys(probe.probe.asked).length;
  const note = log('info', `DASO measures round-trip times first: ${asked} tabs probe their peers (groups merge below ${ctx.options.rttThresholdMs ?? 0} ms)`);
  return { state: { ...s, phase: 'training', dasoProbe: probe.probe, startedAt: now }, commands: [note, ...probe.messages.map((p) => send(p.to, p.msg))] };
}

/** The run's first schedule, or why the options do not make one. */
function initialSchedule(s: CoordinatorState, ctx: DasoContext): Result<DasoScheduleState, string> {
  const cfg = scheduleConfig({
    totalEpochs: s.config.epochs, warmupEpochs: ctx.options.warmupEpochs, cooldownEpochs: ctx.options.cooldownEpochs, maxGlobalSkips: ctx.options.maxGlobalSkips,
  });
  return cfg.ok ? ok(initSchedule(cfg.value)) : err(cfg.error.message);
}

/** Forms the groups over `workers` (with the measured `rtt`), partitions the data and sends assign, plan, schedule and start. */
function beginDaso(s: CoordinatorState, ctx: DasoContext, workers: readonly Member[], rtt: RttTable, schedule: DasoScheduleState): DasoOut {
  const planned = planDaso({ ...s, dasoProbe: null }, ctx, workers, { generation: 0, epoch: 0, schedule, trace: [schedule.schedule], rtt });
  const described = planned.state.daso?.groups.map((g) => `[${g.members.join(', ')}] (${g.source})`).join(', ') ?? '';
  const note = log('info', `DASO starts: ${planned.state.daso?.groups.length ?? 0} groups ${described}, ${s.stepsPerEpoch} batches per epoch, ${ctx.options.wire} global syncs`);
  return { state: planned.state, commands: [note, ...planned.commands] };
}

/** The probe is over (complete, timed out, or its last missing worker left): group with what was measured. */
function finishProbe(s: CoordinatorState, ctx: DasoContext, probe: DasoProbe, now: number): DasoOut {
  const workers = Object.values(s.members).filter((m) => !m.excluded);
  if (workers.length === 0) return failDaso(s, 'every DASO member left while the round-trip times were measured', now);
  const schedule = initialSchedule(s, ctx); // checked when the probe started: cannot fail here
  if (!schedule.ok) return failDaso(s, `DASO cannot start: ${schedule.error}`, now);
  const note = log('info', `DASO round-trip times: ${describeRtt(probe.rtt)}`);
  const begun = beginDaso(s, ctx, workers, probe.rtt, schedule.value);
  return { state: begun.state, commands: [note, ...begun.commands] };
}

/** A worker's `daso-rtt`: recorded; the run plans once every asked worker has reported. */
export function acceptDasoRtt(s: CoordinatorState, ctx: DasoContext, from: PeerId, m: DasoRttMsg, now: number): DasoVerdict {
  const probe = s.dasoProbe;
  if (probe === null || s.phase !== 'training' || m.runId !== s.config.runId) return { kind: 'ignore', reason: `ignored daso-rtt from ${from}: no probe is running` };
  const v = acceptRtt(probe, from, m);
  if (v.kind !== 'ok') return v;
  if (!probeComplete(v.probe)) return { kind: 'ok', out: { state: { ...s, dasoProbe: v.probe }, commands: [] } };
  return { kind: 'ok', out: finishProbe(s, ctx, v.probe, now) };
}

/** On a tick: a probe past its deadline plans with the times it has (the missing pairs never merge). */
export function dasoProbeTick(s: CoordinatorState, ctx: DasoContext, now: number): DasoOut | null {
  const probe = s.dasoProbe;
  if (probe === null || s.phase !== 'training' || now < probe.deadline) return null;
  const late = log('warn', `no round-trip times from ${probeMissing(probe).join(', ')} after ${Math.round((now - probe.deadline + PROBE_TIMEOUT_MS) / 1000)} s: their pairs count as far apart`);
  const out = finishProbe(s, ctx, probe, now);
  return { state: out.state, commands: [late, ...out.commands] };
}

/**
 * Groups `workers`, partitions the data over them and starts them at epoch `at.epoch` of plan `at.generation`:
 * assign, plan and that epoch's schedule to each, then start (the coordinator runtime sends its replica's
 * parameters: the initial model, or the last evaluated epoch's).
 */
function planDaso(
  s: CoordinatorState, ctx: DasoContext, workers: readonly Member[],
  at: { readonly generation: number; readonly epoch: number; readonly schedule: DasoRun['schedule']; readonly trace: DasoRun['trace']; readonly rtt: RttTable },
): DasoOut {
  const sorted = [...workers].sort((a, b) => (a.id < b.id ? -1 : 1));
  const threshold = ctx.options.rttThresholdMs;
  const grouping = threshold === null ? {} : { rttMs: rttLookup(at.rtt), rttThresholdMs: threshold };
  const groups = formGroups(sorted.map((m) => ({ id: m.id, label: m.device.groupLabel, machineId: m.device.machineId })), grouping);
  const ids = groups.flatMap((g) => g.members);
  const byId = new Map(sorted.map((m) => [m.id, m] as const));
  const slots = partition({
    scheme: s.config.partition, labels: ctx.trainLabels, numClients: ids.length, seed: s.config.seed, alpha: s.config.alpha,
    labelsPerClient: s.config.labelsPerClient, weights: ids.map((id) => Math.max(1, byId.get(id)?.device.samplesPerSec ?? 1)),
  });
  const speeds: Record<string, number> = {};
  for (const id of ids) speeds[id] = byId.get(id)?.device.samplesPerSec ?? 0;
  const share = batchShares(s.config.globalBatch, speeds);
  const members = { ...s.members };
  ids.forEach((id, i) => { const m = members[id]; if (m) members[id] = { ...m, slot: i, active: true }; });
  const reporter = ids[0] ?? ('' as PeerId);
  const daso: DasoRun = { generation: at.generation, groups, schedule: at.schedule, trace: at.trace, epoch: at.epoch, expected: ids, reports: {}, reporter, params: null, rtt: at.rtt };
  const step = at.epoch * s.stepsPerEpoch;
  const next: CoordinatorState = { ...s, phase: 'training', members, slots, step, epoch: at.epoch, daso, pending: null };
  const { runId } = s.config;
  const plan: Message = {
    type: 'daso-plan', runId, generation: at.generation, members: ids,
    groupSizes: { dtype: 'int32', shape: [groups.length], data: Int32Array.from(groups, (g) => g.members.length) },
    stepsPerEpoch: s.stepsPerEpoch, wire: ctx.options.wire,
  };
  const commands: DasoCommand[] = [];
  ids.forEach((id, i) => {
    commands.push(send(id, singleAssign(s.config, slots[i] ?? new Int32Array(0))), send(id, plan), send(id, scheduleMsg(runId, at.schedule.schedule)));
  });
  // Starts after every plan (a worker that starts early reaches peers that already know theirs); every worker
  // trains every batch: at least one sample each, even on a slow device.
  for (const id of ids) commands.push({ type: 'send-start', to: id, step, epoch: at.epoch, batchSize: Math.max(1, share[id] ?? 0) });
  return { state: next, commands };
}

/** Splits a flat parameter vector into the model's parameter arrays (copies). */
export function splitParams(flat: Float32Array, sizes: readonly number[]): Float32Array[] {
  let at = 0;
  return sizes.map((n) => { const part = flat.slice(at, at + n); at += n; return part; });
}

/** A worker's end-of-epoch report: when every member has reported, evaluate and advance the schedule (or finish). */
export function acceptDasoEpoch(s: CoordinatorState, ctx: DasoContext, from: PeerId, m: DasoEpochMsg): DasoVerdict {
  const run = s.daso;
  if (run === null || s.phase !== 'training' || m.runId !== s.config.runId || m.epoch !== run.epoch || m.generation !== run.generation) {
    return { kind: 'ignore', reason: `ignored daso-epoch ${m.epoch} (plan ${m.generation}) from ${from}` };
  }
  if (!run.expected.includes(from) || from in run.reports) return { kind: 'ignore', reason: `ignored unexpected or duplicate daso-epoch from ${from}` };
  const params = m.params.data as Float32Array;
  const total = ctx.paramSizes.reduce((a, b) => a + b, 0);
  if (from === run.reporter && (params.length !== total || !params.every(Number.isFinite))) {
    return { kind: 'evict', reason: `its epoch report carries ${params.length} parameters (expected ${total} finite values)` };
  }
  const reports = { ...run.reports, [from]: { count: m.count, lossSum: m.lossSum } };
  const withReport: DasoRun = { ...run, reports, params: from === run.reporter ? params : run.params };
  if (!run.expected.every((id) => id in reports)) return { kind: 'ok', out: { state: { ...s, daso: withReport }, commands: [] } };
  return { kind: 'ok', out: completeEpoch({ ...s, daso: withReport }, withReport, ctx) };
}

function completeEpoch(s: CoordinatorState, run: DasoRun, ctx: DasoContext): DasoOut {
  const parts = Object.values(run.reports);
  const count = parts.reduce((a, p) => a + p.count, 0);
  const loss = count > 0 ? parts.reduce((a, p) => a + p.lossSum, 0) / count : Number.NaN;
  const epoch = run.epoch + 1;
  const step = epoch * s.stepsPerEpoch;
  const finished = epoch >= s.config.epochs;
  const evaluate: DasoCommand = run.params === null ? { type: 'evaluate', step } : { type: 'evaluate', step, params: splitParams(run.params, ctx.paramSizes) };
  const base: CoordinatorState = { ...s, step, epoch, loss };
  if (finished) {
    const next: CoordinatorState = { ...base, phase: 'evaluating-final', daso: { ...run, epoch, reports: {}, params: null } };
    return { state: next, commands: [evaluate, ...progress(next, 'evaluating-final')] };
  }
  const { state: schedule, schedule: sc } = nextSchedule(run.schedule, { epoch: run.epoch, loss });
  const note = log('info', `epoch ${run.epoch} loss ${loss.toFixed(4)}: epoch ${epoch} runs ${sc.phase} (gs ${sc.globalSkip}, ls ${sc.localSkip}, B ${sc.batchesToWait})`);
  // Tabs that joined during the epoch come in now: every member holds the same parameters after the epoch's
  // blocking sync, so the next plan starts everyone from the reporter's (the evaluate command sets them first).
  const joiners = Object.values(s.members).filter((m) => !m.excluded && !run.expected.includes(m.id));
  if (joiners.length > 0) {
    const current = membersOf(s, run.expected);
    const planned = planDaso(base, ctx, [...current, ...joiners], { generation: run.generation + 1, epoch, schedule, trace: [...run.trace, sc], rtt: run.rtt });
    const joined = log('info', `${joiners.map((m) => m.id).join(', ')} joined the DASO groups for epoch ${epoch} (plan ${run.generation + 1})`);
    return { state: planned.state, commands: [note, evaluate, joined, ...planned.commands, ...progress(planned.state, 'training')] };
  }
  const next: CoordinatorState = { ...base, daso: { ...run, schedule, trace: [...run.trace, sc], epoch, reports: {}, params: null } };
  const schedules = run.expected.map((id) => send(id, scheduleMsg(s.config.runId, sc)));
  return { state: next, commands: [note, evaluate, ...schedules, ...progress(next, 'training')] };
}

function progress(s: CoordinatorState, phase: string): DasoCommand[] {
  const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return (s.daso?.expected ?? []).map((id) =>
    send(id, { type: 'progress', runId: s.config.runId, phase, epoch: s.epoch, step: s.step, loss: fin(s.loss), testAccuracy: fin(s.testAccuracy) }));
}

/**
 * A member left a running DASO run. Its group and its global sync sets would wait for it forever, so the
 * coordinator re-forms the groups without it (plan generation + 1) and restarts the current epoch from its
 * start with the survivors, from the last evaluated parameters: the interrupted epoch's partial progress is
 * dropped, its data is re-partitioned over the survivors, and anything still in flight from the old plan is
 * ignored by generation. With nobody left, the run fails.
 */
export function dasoMemberLeft(s: CoordinatorState, ctx: DasoContext, id: PeerId, now: number): DasoOut | null {
  const probe = s.dasoProbe;
  if (probe !== null && s.phase === 'training') {
    const without = probeWithout(probe, id);
    if (Object.values(s.members).every((m) => m.excluded)) return failDaso(s, `DASO member ${id} left and nobody is left to train`, now);
    return probeComplete(without) ? finishProbe(s, ctx, without, now) : { state: { ...s, dasoProbe: without }, commands: [] };
  }
  const run = s.daso;
  if (run === null || s.phase !== 'training' || !run.expected.includes(id)) return null;
  const survivors = membersOf(s, run.expected.filter((x) => x !== id)).filter((m) => !m.excluded);
  if (survivors.length === 0) return failDaso(s, `DASO member ${id} left and nobody is left to train`, now);
  const replanned = planDaso(s, ctx, survivors, { generation: run.generation + 1, epoch: run.epoch, schedule: run.schedule, trace: run.trace, rtt: run.rtt });
  const groups = replanned.state.daso?.groups.map((g) => `[${g.members.join(', ')}]`).join(', ') ?? '';
  const note = log('warn', `DASO member ${id} left: groups re-formed as ${groups} (plan ${run.generation + 1}); epoch ${run.epoch} restarts from its start`);
  return { state: replanned.state, commands: [note, ...replanned.commands] };
}

/** The members with these ids, in order (ids no longer in the room are skipped). */
function membersOf(s: CoordinatorState, ids: readonly PeerId[]): Member[] {
  return ids.flatMap((id) => s.members[id] ?? []);
}

function failDaso(s: CoordinatorState, why: string, now: number): DasoOut {
  const ids = s.daso?.expected ?? Object.keys(s.members) as PeerId[];
  const dones = ids.filter((id) => id in s.members).map((id) => send(id, { type: 'done', runId: s.config.runId, ok: false, reason: why }));
  return { state: { ...s, phase: 'failed', failure: why, endedAt: now }, commands: [log('error', why), ...dones, { type: 'finished', ok: false, reason: why }] };
}
