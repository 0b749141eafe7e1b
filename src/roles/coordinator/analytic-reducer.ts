/**
 * The coordinator's FedACnnL flow (algo 'fedacnnl'), as pure functions over CoordinatorState that the
 * coordinator reducer calls: admission, heartbeats and evictions stay the reducer's. For each layer:
 *
 *     layer-request {layer, solved weights} → every active worker
 *     layer-stats {A packed, B = XᵀY, n}    ← each worker; validated (`validateGramStats`) before it is
 *                                              added, so a bad one evicts its sender and leaves the sum as it was
 *     all expected answered (or left)       → solve the layer in float64 (`solveAnalyticLayer`), next layer
 *     last layer solved                     → phase 'evaluating-final' and an `evaluate` command
 */
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import { validateGramStats } from '../../core/analytic/gram-check.ts';
import { packedLength } from '../../core/analytic/packed-symmetric.ts';
import type { PeerId } from '../../core/ids.ts';
import type { LayerStatsMsg } from '../../protocol/messages.ts';
import type { AnalyticPlan } from '../analytic-plan.ts';
import { layerCount, layerShape, solveAnalyticLayer } from '../analytic-plan.ts';
import { log, send, type CommonCommand } from '../commands.ts';
import type { AnalyticRound, CoordinatorState } from './state.ts';

/** The commands this flow emits: a subset of the coordinator's commands. */
export type AnalyticCommand =
  | CommonCommand
  | { readonly type: 'evaluate'; readonly step: number }
  | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string };

/** A new state and the commands to run, in order. */
export interface AnalyticOut {
  readonly state: CoordinatorState;
  readonly commands: AnalyticCommand[];
}

/** What to do with a `layer-stats` message: take it, ignore it (stale or duplicate), or evict its sender. */
export type StatsVerdict =
  | { readonly kind: 'ok'; readonly out: AnalyticOut }
  | { readonly kind: 'ignore'; readonly reason: string }
  | { readonly kind: 'evict'; readonly reason: string };

const activeIds = (s: CoordinatorState): PeerId[] => Object.values(s.members).filter((m) => m.active && !m.excluded).map((m) => m.id);

function emptySum(plan: AnalyticPlan, layer: number): GramStats {
  const shape = layerShape(plan, layer);
  return { ...shape, count: 0, aUpper: new Float64Array(packedLength(shape.dIn)), b: new Float64Array(shape.dIn * shape.dOut) };
}

function progress(s: CoordinatorState, phase: string): AnalyticCommand[] {
  const testAccuracy = Number.isFinite(s.testAccuracy) ? s.testAccuracy : null;
  return Object.values(s.members).filter((m) => !m.excluded).map((m) =>
    send(m.id, { type: 'progress', runId: s.config.runId, phase, epoch: 0, step: s.step, loss: null, testAccuracy }),
  );
}

function requestLayer(s: CoordinatorState, plan: AnalyticPlan, solved: AnalyticRound['solved']): AnalyticOut {
  const layer = solved.length;
  const ids = activeIds(s);
  const weights = solved.map((l) => ({ dtype: 'float64' as const, shape: [l.features + 1, l.dOut], data: l.w }));
  const analytic: AnalyticRound = { layer, solved, expected: ids, received: [], sum: emptySum(plan, layer) };
  const note = log('info', `layer ${layer + 1}/${layerCount(plan)}: collecting statistics from ${ids.length} workers`);
  const requests = ids.map((id) => send(id, { type: 'layer-request', runId: s.config.runId, layer, weights }));
  return { state: { ...s, step: layer, analytic }, commands: [note, ...requests] };
}

/** Starts a 'fedacnnl' run on the active members (the reducer has assigned their partitions). */
export function startAnalytic(s: CoordinatorState, plan: AnalyticPlan): AnalyticOut {
  return requestLayer(s, plan, []);
}

function failRun(s: CoordinatorState, reason: string): AnalyticOut {
  const fin: CoordinatorState = { ...s, phase: 'failed', failure: reason };
  const doneMsgs = Object.values(s.members).filter((m) => !m.excluded).map((m) => send(m.id, { type: 'done', runId: s.config.runId, ok: false, reason }));
  return { state: fin, commands: [log('error', reason), ...doneMsgs, { type: 'finished', ok: false, reason }] };
}

function addInto(sum: GramStats, c: GramStats): GramStats {
  const aUpper = Float64Array.from(sum.aUpper);
  const b = Float64Array.from(sum.b);
  for (let i = 0; i < aUpper.length; i++) aUpper[i] = (aUpper[i] ?? 0) + (c.aUpper[i] ?? 0);
  for (let i = 0; i < b.length; i++) b[i] = (b[i] ?? 0) + (c.b[i] ?? 0);
  return { ...sum, count: sum.count + c.count, aUpper, b };
}

/** Checks a worker's `layer-stats` and adds it to the running sum; solves the layer when it was the last one missing. */
export function acceptLayerStats(s: CoordinatorState, plan: AnalyticPlan, from: PeerId, m: LayerStatsMsg): StatsVerdict {
  const r = s.analytic;
  if (s.phase !== 'training' || r === null || m.runId !== s.config.runId || m.layer !== r.layer) {
    return { kind: 'ignore', reason: `ignored stale layer-stats from ${from} (layer ${m.layer})` };
  }
  if (!r.expected.includes(from) || r.received.includes(from)) return { kind: 'ignore', reason: `ignored unexpected or duplicate layer-stats from ${from}` };
  const shape = layerShape(plan, r.layer);
  const empty = new Float64Array(0);
  const stats: GramStats = {
    ...shape, count: m.count,
    aUpper: m.a.data instanceof Float64Array ? m.a.data : empty,
    b: m.b.data instanceof Float64Array && m.b.shape[1] === shape.dOut ? m.b.data : empty,
  };
  const valid = validateGramStats(stats, shape);
  if (!valid.ok) return { kind: 'evict', reason: `bad layer-${r.layer} statistics (${valid.error.kind}): ${valid.error.message}` };
  const next: CoordinatorState = { ...s, analytic: { ...r, received: [...r.received, from], sum: addInto(r.sum, stats) } };
  return { kind: 'ok', out: advanceAnalytic(next, plan) };
}

/**
 * Solves the current layer once every expected worker answered or left; then requests the next layer, or
 * after the head moves to 'evaluating-final'. A round nobody answered, or a failed solve, fails the run.
 */
export function advanceAnalytic(s: CoordinatorState, plan: AnalyticPlan): AnalyticOut {
  const r = s.analytic;
  if (r === null || s.phase !== 'training' || !r.expected.every((id) => r.received.includes(id))) return { state: s, commands: [] };
  if (r.received.length === 0) return failRun(s, `no worker is left to send layer ${r.layer}'s statistics`);
  const solved = solveAnalyticLayer(plan, r.layer, r.sum);
  if (!solved.ok) return failRun(s, `cannot solve ${solved.error}`);
  const layers = [...r.solved, solved.value];
  const note = log('info', `layer ${layers.length}/${layerCount(plan)} solved from ${r.sum.count} rows of ${r.received.length} workers`);
  if (layers.length < layerCount(plan)) {
    const next = requestLayer(s, plan, layers);
    return { state: next.state, commands: [note, ...next.commands, ...progress(next.state, 'training')] };
  }
  const fin: CoordinatorState = { ...s, phase: 'evaluating-final', step: layers.length, analytic: { ...r, layer: layers.length, solved: layers, expected: [], received: [] } };
  return { state: fin, commands: [note, { type: 'evaluate', step: layers.length }, ...progress(fin, 'evaluating-final')] };
}
