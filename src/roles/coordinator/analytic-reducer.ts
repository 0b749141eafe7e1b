/**
 * The coordinator's FedACnnL / pFedACnnL flow (algos 'fedacnnl', 'pfedacnnl'), as pure functions over
 * CoordinatorState that the coordinator reducer calls: admission, heartbeats and evictions stay the
 * reducer's. For each layer:
 *
 *     layer-request {layer, solved weights, groups, roster} → every host of clients
 *     layer-stats {per group: A packed, B = XᵀY, n}         ← each host (its clients' sums); validated
 *                                                            (`validateGramStats`) before it is added, so a
 *                                                            bad one evicts its sender and leaves the sums as they were
 *       (masked runs: masked-stats instead, see masked-round.ts)
 *     all expected answered (or left)                       → solve the layer in float64, next layer
 *     last layer solved                                     → 'evaluating-final': `evaluate`, and `personalize`
 *                                                            to every host (pFedACnnL: with the group heads);
 *                                                            the run ends when the evaluation and every
 *                                                            host's client-report are in (client-reports.ts)
 *
 * pFedACnnL's head layer is collected per client group (G sums in one message), so the global head (sum
 * over groups) and the group meta-models come from one round.
 */
import { validateGramStats } from '../../core/analytic/gram-check.ts';
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import { packedLength } from '../../core/analytic/packed-symmetric.ts';
import { scaledGamma, solveRidge } from '../../core/analytic/ridge.ts';
import type { PeerId } from '../../core/ids.ts';
import type { LayerStatsMsg } from '../../protocol/messages.ts';
import { f64, u8 } from '../../protocol/wire-tensor.ts';
import type { AnalyticPlan } from '../analytic-plan.ts';
import { layerCount, layerShape, solveAnalyticLayer } from '../analytic-plan.ts';
import { log, send, type CommonCommand } from '../commands.ts';
import { PUBLIC_KEY_BYTES } from '../../protocol/validate-federated.ts';
import { failRun } from './client-reports.ts';
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

/** What to do with a peer's message: take it, ignore it (stale or duplicate), or evict its sender. */
export type StatsVerdict =
  | { readonly kind: 'ok'; readonly out: AnalyticOut }
  | { readonly kind: 'ignore'; readonly reason: string }
  | { readonly kind: 'evict'; readonly reason: string };

/** Active, non-excluded members that host at least one client, in id order (the mask roster order). */
export function hostIds(s: CoordinatorState): PeerId[] {
  const hosts = new Set(s.clients.map((c) => c.host));
  return Object.values(s.members).filter((m) => m.active && !m.excluded && hosts.has(m.id)).map((m) => m.id).sort();
}

/** Groups the head layer is collected in: pFedACnnL's client groups; 1 for every other layer and algo. */
export function groupsOf(s: CoordinatorState, plan: AnalyticPlan, layer: number): number {
  if (s.config.algo !== 'pfedacnnl' || layer !== layerCount(plan) - 1) return 1;
  return Math.max(1, ...s.clients.map((c) => c.group + 1));
}

export function emptySum(plan: AnalyticPlan, layer: number): GramStats {
  const shape = layerShape(plan, layer);
  return { ...shape, count: 0, aUpper: new Float64Array(packedLength(shape.dIn)), b: new Float64Array(shape.dIn * shape.dOut) };
}

export function progress(s: CoordinatorState, phase: string): AnalyticCommand[] {
  const testAccuracy = Number.isFinite(s.testAccuracy) ? s.testAccuracy : null;
  return Object.values(s.members).filter((m) => !m.excluded).map((m) =>
    send(m.id, { type: 'progress', runId: s.config.runId, phase, epoch: 0, step: s.step, loss: null, testAccuracy }),
  );
}


/** Sends `layer-request` for the next unsolved layer to every host (with the roster in masked runs). */
export function requestLayer(s: CoordinatorState, plan: AnalyticPlan, solved: AnalyticRound['solved']): AnalyticOut {
  const layer = solved.length;
  const ids = hostIds(s);
  const groups = groupsOf(s, plan, layer);
  const weights = solved.map((l) => f64([l.features + 1, l.dOut], l.w));
  const masking = s.masking === null ? null : { ...s.masking, roster: ids, ringSum: null, dropped: [], awaitingReveal: [] };
  const roster = masking === null ? [] : ids;
  const keys = new Uint8Array(roster.length * PUBLIC_KEY_BYTES);
  roster.forEach((id, i) => { keys.set(masking?.keys[id] ?? new Uint8Array(PUBLIC_KEY_BYTES), i * PUBLIC_KEY_BYTES); });
  const rosterKeys = u8([roster.length, PUBLIC_KEY_BYTES], keys);
  const sums = Array.from({ length: groups }, () => emptySum(plan, layer));
  const analytic: AnalyticRound = { layer, solved, expected: ids, received: [], sums };
  const note = log('info', `layer ${layer + 1}/${layerCount(plan)}: collecting ${masking ? 'masked ' : ''}statistics from ${ids.length} tabs${groups > 1 ? ` in ${groups} client groups` : ''}`);
  const requests = ids.map((id) => send(id, { type: 'layer-request', runId: s.config.runId, layer, weights, groups, roster, rosterKeys }));
  return { state: { ...s, step: layer, analytic, masking }, commands: [note, ...requests] };
}

/** Starts an analytic run on the hosts (the reducer has planned the clients and sent the assigns). */
export function startAnalytic(s: CoordinatorState, plan: AnalyticPlan): AnalyticOut {
  return requestLayer(s, plan, []);
}

export function addInto(sum: GramStats, c: GramStats): GramStats {
  const aUpper = Float64Array.from(sum.aUpper);
  const b = Float64Array.from(sum.b);
  for (let i = 0; i < aUpper.length; i++) aUpper[i] = (aUpper[i] ?? 0) + (c.aUpper[i] ?? 0);
  for (let i = 0; i < b.length; i++) b[i] = (b[i] ?? 0) + (c.b[i] ?? 0);
  return { ...sum, count: sum.count + c.count, aUpper, b };
}

/** Checks a host's `layer-stats` and adds it to the running sums; solves the layer when it was the last one missing. */
export function acceptLayerStats(s: CoordinatorState, plan: AnalyticPlan, from: PeerId, m: LayerStatsMsg): StatsVerdict {
  const r = s.analytic;
  if (s.phase !== 'training' || r === null || m.runId !== s.config.runId || m.layer !== r.layer) {
    return { kind: 'ignore', reason: `ignored stale layer-stats from ${from} (layer ${m.layer})` };
  }
  if (!r.expected.includes(from) || r.received.includes(from)) return { kind: 'ignore', reason: `ignored unexpected or duplicate layer-stats from ${from}` };
  if (s.masking !== null) return { kind: 'evict', reason: 'plain layer-stats in a masked run' };
  const shape = layerShape(plan, r.layer);
  const groups = r.sums.length;
  const p = packedLength(shape.dIn);
  const q = shape.dIn * shape.dOut;
  if (m.counts.data.length !== groups || m.a.data.length !== groups * p || m.b.data.length !== groups * q || !(m.a.data instanceof Float64Array) || !(m.b.data instanceof Float64Array)) {
    return { kind: 'evict', reason: `layer-${r.layer} statistics have the wrong shape (want ${groups} groups of dIn ${shape.dIn})` };
  }
  const sums: GramStats[] = [];
  for (let g = 0; g < groups; g++) {
    const stats: GramStats = { ...shape, count: m.counts.data[g] ?? 0, aUpper: m.a.data.subarray(g * p, (g + 1) * p), b: m.b.data.subarray(g * q, (g + 1) * q) };
    const valid = validateGramStats(stats, shape);
    if (!valid.ok) return { kind: 'evict', reason: `bad layer-${r.layer} statistics (${valid.error.kind}): ${valid.error.message}` };
    sums.push(addInto(r.sums[g] ?? emptySum(plan, r.layer), stats));
  }
  const next: CoordinatorState = { ...s, analytic: { ...r, received: [...r.received, from], sums } };
  return { kind: 'ok', out: advanceAnalytic(next, plan) };
}

/** Σ over groups: the global statistics of the layer. */
function total(plan: AnalyticPlan, layer: number, sums: readonly GramStats[]): GramStats {
  return sums.reduce((acc, g) => addInto(acc, g), emptySum(plan, layer));
}

/** Group meta-model heads: ridge on each group's sum (γ scaled to it); an empty group takes the global head. */
function groupHeads(sums: readonly GramStats[], gamma0: number, globalHead: Float64Array): Float64Array[] {
  return sums.map((g) => {
    if (g.count === 0) return globalHead;
    const solved = solveRidge(g, { gamma: scaledGamma(g, gamma0) });
    return solved.ok ? solved.value.w : globalHead;
  });
}

/**
 * Solves the current layer once every expected host answered or left (masked runs: once the masks are
 * removed, see masked-round.ts); then requests the next layer, or after the head moves to 'evaluating-final'.
 * A round nobody answered, or a failed solve, fails the run.
 */
export function advanceAnalytic(s: CoordinatorState, plan: AnalyticPlan): AnalyticOut {
  const r = s.analytic;
  if (r === null || s.phase !== 'training' || !r.expected.every((id) => r.received.includes(id))) return { state: s, commands: [] };
  if (s.masking !== null && (s.masking.dropped.length > 0 || s.masking.awaitingReveal.length > 0)) return { state: s, commands: [] };
  if (r.received.length === 0) return failRun(s, `no tab is left to send layer ${r.layer}'s statistics`);
  const sum = total(plan, r.layer, r.sums);
  const solved = solveAnalyticLayer(plan, r.layer, sum);
  if (!solved.ok) return failRun(s, `cannot solve ${solved.error}`);
  const layers = [...r.solved, solved.value];
  const note = log('info', `layer ${layers.length}/${layerCount(plan)} solved from ${sum.count} rows of ${r.received.length} tabs`);
  if (layers.length < layerCount(plan)) {
    const next = requestLayer(s, plan, layers);
    return { state: next.state, commands: [note, ...next.commands, ...progress(next.state, 'training')] };
  }
  // pFedACnnL always anchors clients somewhere: with one group (e.g. IID clients merge) the anchor is the global head.
  const heads = r.sums.length > 1 ? groupHeads(r.sums, plan.gamma0, solved.value.w) : s.config.algo === 'pfedacnnl' ? [solved.value.w] : [];
  const hosts = hostIds(s);
  const fin: CoordinatorState = {
    ...s, phase: 'evaluating-final', step: layers.length, awaitingReports: hosts,
    analytic: { ...r, layer: layers.length, solved: layers, expected: [], received: [] },
  };
  const dIn = solved.value.features + 1;
  const headsTensor = f64([heads.length, dIn, solved.value.dOut], concat(heads));
  const weights = layers.map((l) => f64([l.features + 1, l.dOut], l.w));
  const personalize = hosts.map((id) => send(id, { type: 'personalize', runId: s.config.runId, weights, groupHeads: headsTensor }));
  return { state: fin, commands: [note, { type: 'evaluate', step: layers.length }, ...personalize, ...progress(fin, 'evaluating-final')] };
}

function concat(arrays: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) { out.set(a, at); at += a.length; }
  return out;
}
