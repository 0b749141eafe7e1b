/**
 * DHO2 with consensus ADMM (algo 'dho2', variant 'admm'; ALGORITHMS.md §2.4 "textbook consensus ADMM", our
 * labelled variant, not the released code's extrapolation) on the coordinator, as pure functions over
 * CoordinatorState that the coordinator reducer calls, like fedavg-reducer.ts. Per round r:
 *
 *     admm-round {r, K, ρ, anchor z − u_i}  → each training member (a new one: restart from its `start` = z)
 *     admm-update {r, x_i, rows, loss}      ← each: x_i after K local FOSI steps on ∇f_i(x) + ρ(x − z + u_i)
 *     all expected answered (or left)       → z = mean_i(x_i + u_i); u_i ← u_i + x_i − z; residuals
 *                                             r = ‖(x_i − z)_i‖, s = ρ√N‖z − z_prev‖; residual balancing
 *                                             (r > 10 s: ρ ← 2ρ, u ← u/2; s > 10 r: ρ ← ρ/2, u ← 2u);
 *                                             evaluate z; a curvature job at the refresh steps; next round
 *
 * The coordinator holds every dual u_i, so a member that leaves mid-round is simply left out of the average
 * (its x_i and u_i are dropped: the round closes without it) and a member that joins comes in at the next
 * round with u_i = 0. Residual balancing follows Boyd et al. 2011 §3.4.1 (core/optim/admm.ts).
 */
import type { PeerId } from '../../core/ids.ts';
import { flatten, unflatten } from '../../core/math/flat-params.ts';
import { axpy } from '../../core/linalg/vec.ts';
import { ADMM_DEFAULTS, admmResiduals, balanceRho, consensusAverage, dualUpdate } from '../../core/optim/admm.ts';
import { MAX_ADMM_RHO } from '../../protocol/validate-second-order.ts';
import type { AdmmUpdateMsg } from '../../protocol/messages.ts';
import { f32 } from '../../protocol/wire-tensor.ts';
import { log, send, type CommonCommand } from '../commands.ts';
import { failRun, progressToMembers } from './client-reports.ts';
import type { AdmmRun, CoordinatorState, Member } from './state.ts';

/** The coordinator's ADMM options (from Dho2Options; `clip` already resolved from FOSI's default). */
export interface AdmmOptions {
  /** K: local steps per round. */
  readonly localSteps: number;
  /** ρ₀. */
  readonly rho: number;
  /** FOSI's T_ese and W, in swarm steps: curvature jobs run at the first round boundary at or after W, W + T, … */
  readonly refreshEvery: number;
  readonly warmup: number;
  readonly newtonRate: number;
  readonly clip: number;
}

export interface AdmmContext {
  readonly paramSizes: readonly number[];
  readonly options: AdmmOptions;
  /** Rows per local step for each of `ids` (the global batch split by measured speed). */
  readonly shares: (s: CoordinatorState, ids: readonly PeerId[]) => Readonly<Record<string, number>>;
}

export type AdmmCommand =
  | CommonCommand
  | { readonly type: 'send-start'; readonly to: PeerId; readonly step: number; readonly epoch: number; readonly batchSize: number }
  | { readonly type: 'evaluate'; readonly step: number; readonly params?: readonly Float32Array[] }
  | { readonly type: 'checkpoint'; readonly step: number; readonly epoch: number }
  | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string }
  /** Run a curvature job now (all training members, at their own x_i) and send its eigen-information to `to`. */
  | { readonly type: 'admm-curvature'; readonly step: number; readonly to: readonly PeerId[] };

export interface AdmmOut {
  readonly state: CoordinatorState;
  readonly commands: AdmmCommand[];
}

export type AdmmVerdict =
  | { readonly kind: 'ok'; readonly out: AdmmOut }
  | { readonly kind: 'ignore'; readonly reason: string }
  | { readonly kind: 'evict'; readonly reason: string };

/**
 * Largest parameter magnitude accepted in an x_i. No network here has weights near it; beyond it the float32
 * sums of x_i + u_i and the duals could overflow, and one poisoned update would turn z into infinities.
 */
export const MAX_ADMM_PARAM_ABS = 1e6;
/** ρ stays within [ρ₀/1000, 1000 ρ₀] whatever residual balancing asks (and within the wire's bound). */
const RHO_RANGE = 1000;

const activeIds = (s: CoordinatorState): PeerId[] => Object.values(s.members).filter((m) => m.active && !m.excluded).map((m) => m.id);
const totalSteps = (s: CoordinatorState): number => s.config.epochs * s.stepsPerEpoch;


/**
 * Sends round `run.round` from swarm step `s.step` to `ids`: K local steps, or fewer so a round never crosses
 * an epoch boundary (checkpoints and epochs stay where the other algos have them). `fresh`: members new to the
 * consensus (u_i = 0, they start from their `start`).
 */
function sendRound(s: CoordinatorState, ctx: AdmmContext, run: AdmmRun, ids: readonly PeerId[], fresh: readonly PeerId[]): AdmmOut {
  if (ids.length === 0) return failRun(s, `no tab is left for ADMM round ${run.round + 1}`);
  const o = ctx.options;
  const steps = Math.max(1, Math.min(o.localSteps, s.stepsPerEpoch - (s.step % s.stepsPerEpoch), totalSteps(s) - s.step));
  const share = ctx.shares(s, ids);
  const expected = ids.filter((id) => (share[id] ?? 0) > 0);
  const z = run.z;
  const restarting = (id: PeerId): boolean => z === null || fresh.includes(id) || !(id in run.duals);
  // A member new to the consensus starts with u_i = 0 (held as "no dual yet").
  const duals = Object.fromEntries(Object.entries(run.duals).filter(([id]) => !restarting(id as PeerId)));
  const commands: AdmmCommand[] = [];
  for (const id of expected) {
    const u = duals[id];
    const restart = z === null || u === undefined || restarting(id);
    const anchor = restart ? [] : unflatten(axpy(-1, u, z.slice()), ctx.paramSizes).map((a) => f32([a.length], a));
    commands.push(send(id, {
      type: 'admm-round', runId: s.config.runId, round: run.round, step: s.step, steps, batchSize: share[id] ?? 0,
      rho: run.rho, newtonRate: o.newtonRate, clip: o.clip, restart, anchor,
    }));
  }
  const next: AdmmRun = { ...run, steps, duals, expected, received: {} };
  return { state: { ...s, admm: next }, commands };
}

/** Starts consensus ADMM with the members the reducer just activated (assigns and `start`s already queued). */
export function startAdmm(s: CoordinatorState, ctx: AdmmContext): AdmmOut {
  const o = ctx.options;
  const run: AdmmRun = {
    round: 0, steps: 0, z: null, duals: {}, rho: o.rho, expected: [], received: {}, nextRefresh: Math.max(o.warmup, s.step + 1), residuals: null,
  };
  const ids = activeIds(s);
  const out = sendRound(s, ctx, run, ids, ids);
  const note = log('info', `DHO2 consensus ADMM: ${o.localSteps} local steps per round, ρ₀ ${o.rho}`);
  return { state: out.state, commands: [note, ...out.commands] };
}

/** Checks a member's `admm-update` and records it; closes the round when it was the last one missing. */
export function acceptAdmmUpdate(s: CoordinatorState, ctx: AdmmContext, from: PeerId, m: AdmmUpdateMsg): AdmmVerdict {
  const run = s.admm;
  if (s.phase !== 'training' || run === null || m.runId !== s.config.runId || m.round !== run.round) {
    return { kind: 'ignore', reason: `ignored stale admm-update from ${from} (round ${m.round})` };
  }
  if (!run.expected.includes(from) || Object.hasOwn(run.received, from)) return { kind: 'ignore', reason: `ignored unexpected or duplicate admm-update from ${from}` };
  const sizes = ctx.paramSizes;
  if (m.params.length !== sizes.length) return { kind: 'evict', reason: `ADMM update has ${m.params.length} parameter tensors, the model has ${sizes.length}` };
  const parts: Float32Array[] = [];
  for (const [i, t] of m.params.entries()) {
    if (!(t.data instanceof Float32Array) || t.data.length !== sizes[i]) return { kind: 'evict', reason: `ADMM update parameter ${i} is ${t.dtype}[${t.data.length}], want float32[${sizes[i] ?? 0}]` };
    if (!t.data.every((v) => Math.abs(v) <= MAX_ADMM_PARAM_ABS)) return { kind: 'evict', reason: `ADMM update parameter ${i} holds a non-finite value or one beyond ±${MAX_ADMM_PARAM_ABS}` };
    parts.push(t.data);
  }
  // K local steps of at most the global batch each.
  const most = run.steps * s.config.globalBatch;
  if (m.count > most) return { kind: 'evict', reason: `ADMM update claims ${m.count} rows; ${run.steps} steps of batch ${s.config.globalBatch} hold at most ${most}` };
  const received = { ...run.received, [from]: { count: m.count, lossSum: m.lossSum, x: flatten(parts) } };
  return { kind: 'ok', out: advanceAdmm({ ...s, admm: { ...run, received } }, ctx) };
}

/** Leaves `id` out of the consensus: its pending x_i and its dual are dropped (the round closes without it). */
export function admmWithout(run: AdmmRun | null, id: PeerId): AdmmRun | null {
  if (run === null) return null;
  const received = Object.fromEntries(Object.entries(run.received).filter(([k]) => k !== id));
  const duals = Object.fromEntries(Object.entries(run.duals).filter(([k]) => k !== id));
  return { ...run, expected: run.expected.filter((x) => x !== id), received, duals };
}

/**
 * Closes the current round once every expected member answered or left: the z-update, the duals, the
 * residuals and ρ; then evaluation, checkpoint, curvature at the refresh steps and the next round (or the
 * final evaluation). A round nobody answered fails the run.
 */
export function advanceAdmm(s: CoordinatorState, ctx: AdmmContext): AdmmOut {
  const run = s.admm;
  if (run === null || s.phase !== 'training' || !run.expected.every((id) => Object.hasOwn(run.received, id))) return { state: s, commands: [] };
  const entries = Object.entries(run.received);
  if (entries.length === 0) return failRun(s, `no tab is left to close ADMM round ${run.round + 1}`);
  const n = ctx.paramSizes.reduce((a, b) => a + b, 0);
  const xs = entries.map(([, r]) => r.x);
  const us = entries.map(([id]) => run.duals[id] ?? new Float32Array(n));
  const z = consensusAverage(xs, us); // summed in float64
  const res = admmResiduals(xs, z, run.z ?? z, run.rho);
  // No balancing in round 0 (no z_prev, no dual residual) nor with one member (its primal residual is 0 by
  // construction, which would halve ρ every round); ρ stays within RHO_RANGE of ρ₀.
  const balanced = run.z === null || xs.length < 2 ? { rho: run.rho, dualScale: 1 } : balanceRho(run.rho, res, ADMM_DEFAULTS);
  const rho0 = ctx.options.rho;
  const clamped = Math.min(Math.max(balanced.rho, rho0 / RHO_RANGE), rho0 * RHO_RANGE, MAX_ADMM_RHO);
  const balance = { rho: clamped, dualScale: balanced.dualScale * (balanced.rho / clamped) };
  // Members that sat this round out (no rows for them) keep their duals, rescaled with ρ like every scaled dual;
  // members that left were dropped already.
  const duals: Record<string, Float32Array> = Object.fromEntries(Object.entries(run.duals).map(([id, u]) => [id, balance.dualScale === 1 ? u : u.map((x) => x * balance.dualScale)]));
  entries.forEach(([id], i) => {
    const x = xs[i] ?? z;
    const u = us[i] ?? z;
    duals[id] = dualUpdate(u, x, z).map((v) => v * balance.dualScale);
  });
  const rows = entries.reduce((a, [, r]) => a + r.count, 0);
  const loss = entries.reduce((a, [, r]) => a + r.lossSum, 0) / rows;
  const step = s.step + run.steps;
  const epoch = Math.floor(step / s.stepsPerEpoch);
  const residuals = { round: run.round, primal: res.primal, dual: run.z === null ? Number.NaN : res.dual, rho: balance.rho };
  const closed: AdmmRun = { ...run, round: run.round + 1, z, duals, rho: balance.rho, expected: [], received: {}, residuals };
  const finished = step >= totalSteps(s);
  const note = log('info', `ADMM round ${run.round + 1}: ${entries.length} tabs, loss ${loss.toFixed(4)}, primal ${res.primal.toPrecision(3)}, dual ${residuals.dual.toPrecision(3)}, ρ ${balance.rho.toPrecision(3)}`);
  const params = unflatten(z, ctx.paramSizes);
  const base: CoordinatorState = { ...s, step, epoch, loss, admm: closed };
  const evaluate: AdmmCommand = { type: 'evaluate', step, params };
  const checkpoint: AdmmCommand[] = step % s.stepsPerEpoch === 0 ? [{ type: 'checkpoint', step, epoch }] : [];
  if (finished) {
    const fin: CoordinatorState = { ...base, phase: 'evaluating-final' };
    return { state: fin, commands: [note, evaluate, ...checkpoint, ...progressToMembers(fin, 'evaluating-final')] };
  }
  // Members that joined during the round come in now, with u_i = 0, from a `start` that carries z (the
  // coordinator replica holds z once `evaluate` has run, which comes before their `start`).
  const members: Record<string, Member> = { ...base.members };
  const joiners = Object.values(members).filter((m) => !m.excluded && !m.active && m.slot !== null).map((m) => m.id);
  for (const id of joiners) { const m = members[id]; if (m) members[id] = { ...m, active: true }; }
  const withJoiners: CoordinatorState = { ...base, members };
  const ids = activeIds(withJoiners);
  let nextRefresh = closed.nextRefresh;
  const curvature: AdmmCommand[] = [];
  if (step >= nextRefresh) {
    curvature.push({ type: 'admm-curvature', step, to: ids.filter((id) => !joiners.includes(id)) });
    while (nextRefresh <= step) nextRefresh += Math.max(1, ctx.options.refreshEvery);
  }
  const out = sendRound(withJoiners, ctx, { ...closed, nextRefresh }, ids, joiners);
  if (out.state.phase === 'failed') return { state: out.state, commands: [note, ...out.commands] };
  const isJoinerRound = (c: AdmmCommand): boolean => c.type === 'send' && joiners.includes(c.to);
  const starts: AdmmCommand[] = joiners.map((to) => ({ type: 'send-start', to, step, epoch, batchSize: 0 }));
  // Rounds go out first (training resumes at once); evaluation and the joiners' start + round after it.
  return {
    state: out.state,
    commands: [note, ...curvature, ...out.commands.filter((c) => !isJoinerRound(c)), evaluate, ...checkpoint, ...starts, ...out.commands.filter(isJoinerRound), ...progressToMembers(out.state, 'training')],
  };
}
