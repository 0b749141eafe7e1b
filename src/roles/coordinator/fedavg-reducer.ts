/**
 * The coordinator's FedAvg flow (algo 'fedavg', McMahan et al. 2017), as pure functions over
 * CoordinatorState that the coordinator reducer calls, like analytic-reducer.ts: admission, heartbeats and
 * evictions stay the reducer's. Per communication round r = 0 .. config.epochs − 1:
 *
 *     fedavg-round {r, global params}          → every host of clients
 *     fedavg-update {r, params, count, loss}   ← each host: its clients' sample-weighted mean after local SGD;
 *                                                checked (sizes, finiteness, count) before it is recorded, so
 *                                                a bad one evicts its sender and leaves the round as it was
 *     all expected answered (or left)          → global = Σ (n_k / n) · params_k, `evaluate`, next round
 *     after the last round                     → 'evaluating-final': `evaluate`, and a last `fedavg-round`
 *                                                with round === config.epochs to every host, meaning "no
 *                                                training: report your clients' local test accuracy under
 *                                                this model" (client-report)
 */
import type { PeerId } from '../../core/ids.ts';
import { weightedMean } from '../../core/math/weighted-mean.ts';
import type { FedAvgUpdateMsg } from '../../protocol/messages.ts';
import { f32 } from '../../protocol/wire-tensor.ts';
import { log, send, type CommonCommand } from '../commands.ts';
import { hostIds } from './analytic-reducer.ts';
import { failRun, progressToMembers } from './client-reports.ts';
import type { CoordinatorState, FedAvgRound, StepContribution } from './state.ts';

/** The commands this flow emits: a subset of the coordinator's commands. */
export type FedAvgCommand =
  | CommonCommand
  /** Evaluate `params` (the global model after `step` rounds) on the held-out test split. */
  | { readonly type: 'evaluate'; readonly step: number; readonly params: readonly Float32Array[] }
  | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string };

/** A new state and the commands to run, in order. */
export interface FedAvgOut {
  readonly state: CoordinatorState;
  readonly commands: FedAvgCommand[];
}

/** What to do with a `fedavg-update`: take it, ignore it (stale or duplicate), or evict its sender. */
export type FedAvgVerdict =
  | { readonly kind: 'ok'; readonly out: FedAvgOut }
  | { readonly kind: 'ignore'; readonly reason: string }
  | { readonly kind: 'evict'; readonly reason: string };


/**
 * Sends round `round` (from `global`) to the active hosts. Round config.epochs is the final one: phase
 * 'evaluating-final', no training, hosts answer with client-report (`awaitingReports`).
 */
function sendRound(s: CoordinatorState, round: number, global: readonly Float32Array[]): FedAvgOut {
  const hosts = hostIds(s);
  if (hosts.length === 0) return failRun(s, `no tab is left to run FedAvg round ${round + 1}`);
  const params = global.map((p) => f32([p.length], p));
  const rounds = hosts.map((id) => send(id, { type: 'fedavg-round', runId: s.config.runId, round, params }));
  if (round >= s.config.epochs) {
    const fedavg: FedAvgRound = { round, global, expected: [], received: {} };
    const fin: CoordinatorState = { ...s, phase: 'evaluating-final', fedavg, awaitingReports: hosts };
    const note = log('info', `FedAvg: ${round} rounds done; ${hosts.length} tabs evaluate the global model on their clients' test rows`);
    return { state: fin, commands: [note, ...rounds] };
  }
  const fedavg: FedAvgRound = { round, global, expected: hosts, received: {} };
  const note = log('info', `FedAvg round ${round + 1}/${s.config.epochs}: ${hosts.length} tabs train locally`);
  return { state: { ...s, fedavg }, commands: [note, ...rounds] };
}

/** Starts a 'fedavg' run from `initial` (the reducer has planned the clients and sent the assigns). */
export function startFedAvg(s: CoordinatorState, initial: readonly Float32Array[]): FedAvgOut {
  const out = sendRound({ ...s, step: 0, epoch: 0 }, 0, initial);
  // With epochs = 0 the run is already final: evaluate the initial model too.
  if (out.state.phase !== 'evaluating-final') return out;
  return { state: out.state, commands: [...out.commands, { type: 'evaluate', step: 0, params: initial }, ...progressToMembers(out.state, 'evaluating-final')] };
}

/** Total rows of the clients `host` holds: the most rows a `fedavg-update` of it can cover. */
const hostRows = (s: CoordinatorState, host: PeerId): number =>
  s.clients.reduce((n, c) => n + (c.host === host ? c.indices.length : 0), 0);

/** Why `m.params` cannot be this model's parameters, or null when they can. */
function badParams(m: FedAvgUpdateMsg, paramSizes: readonly number[]): string | null {
  if (m.params.length !== paramSizes.length) return `${m.params.length} parameter tensors, the model has ${paramSizes.length}`;
  for (const [i, t] of m.params.entries()) {
    if (t.dtype !== 'float32' || t.data.length !== paramSizes[i]) return `parameter ${i} is ${t.dtype}[${t.data.length}], want float32[${paramSizes[i] ?? 0}]`;
    for (const v of t.data) if (!Number.isFinite(v)) return `parameter ${i} holds a non-finite value`;
  }
  return null;
}

/**
 * Checks a host's `fedavg-update` and records it; averages the round when it was the last one missing.
 * `paramSizes` are the model's parameter lengths, in order.
 */
export function acceptFedAvgUpdate(s: CoordinatorState, from: PeerId, m: FedAvgUpdateMsg, paramSizes: readonly number[]): FedAvgVerdict {
  const r = s.fedavg;
  if (s.phase !== 'training' || r === null || m.runId !== s.config.runId || m.round !== r.round) {
    return { kind: 'ignore', reason: `ignored stale fedavg-update from ${from} (round ${m.round})` };
  }
  if (!r.expected.includes(from) || Object.hasOwn(r.received, from)) return { kind: 'ignore', reason: `ignored unexpected or duplicate fedavg-update from ${from}` };
  const bad = badParams(m, paramSizes);
  if (bad !== null) return { kind: 'evict', reason: `bad FedAvg update for round ${r.round}: ${bad}` };
  // The coordinator does not track each client's train part (split on the host), only the client's rows.
  const most = hostRows(s, from);
  if (!Number.isInteger(m.count) || m.count < 1 || m.count > most) return { kind: 'evict', reason: `FedAvg update claims ${m.count} rows; its clients hold ${most}` };
  // Cross-entropy is non-negative; a NaN or negative sum would poison the reported loss.
  if (!Number.isFinite(m.lossSum) || m.lossSum < 0) return { kind: 'evict', reason: `FedAvg update has loss sum ${m.lossSum}` };
  const params = m.params.flatMap((t) => (t.dtype === 'float32' ? [t.data] : [])); // all of them, checked above
  const contribution: StepContribution = { count: m.count, lossSum: m.lossSum, grads: params };
  const next: CoordinatorState = { ...s, fedavg: { ...r, received: { ...r.received, [from]: contribution } } };
  return { kind: 'ok', out: advanceFedAvg(next) };
}

/**
 * Averages the current round once every expected host answered or left (the caller removes a host that
 * left from `expected`; an update it sent before leaving still counts). Then starts the next round, or after
 * the last one moves to 'evaluating-final'. A round nobody answered fails the run.
 */
export function advanceFedAvg(s: CoordinatorState): FedAvgOut {
  const r = s.fedavg;
  if (r === null || s.phase !== 'training' || !r.expected.every((id) => Object.hasOwn(r.received, id))) return { state: s, commands: [] };
  const parts = Object.values(r.received);
  if (parts.length === 0) return failRun(s, `no tab is left to send FedAvg round ${r.round + 1}`);
  const rows = parts.reduce((n, p) => n + p.count, 0);
  const global = weightedMean(parts.map((p) => ({ weight: p.count, arrays: p.grads })));
  const loss = parts.reduce((n, p) => n + p.lossSum, 0) / rows;
  const done = r.round + 1;
  const averaged: CoordinatorState = { ...s, step: done, epoch: done, loss, fedavg: { ...r, global } };
  const note = log('info', `FedAvg round ${done}/${s.config.epochs}: averaged ${parts.length} tabs over ${rows} rows, loss ${loss.toFixed(4)}`);
  const evaluate: FedAvgCommand = { type: 'evaluate', step: done, params: global };
  const next = sendRound(averaged, done, global);
  if (next.state.phase === 'failed') return { state: next.state, commands: [note, ...next.commands] };
  const phase = next.state.phase === 'evaluating-final' ? 'evaluating-final' : 'training';
  return { state: next.state, commands: [note, evaluate, ...next.commands, ...progressToMembers(next.state, phase)] };
}
