/**
 * Masked analytic rounds (RunConfig.masking): the coordinator learns only the SUM of the hosts' statistics.
 *
 *   start: every host sends `mask-key` (its ECDH public key); once all are in, layer 0 is requested with the
 *          roster (ids in mask order) and their keys, so each pair of hosts derives a shared key without the
 *          coordinator learning it (src/roles/pair-keys.ts).
 *   round: each host sends `masked-stats` = its per-group [count, A, B] vector in fixed point plus pairwise
 *          masks in the ring Z_2^52 (core/analytic/keyed-masking.ts); the coordinator only adds ring vectors.
 *   dropout: a roster member that leaves before sending leaves unmatched masks in the sum; once every
 *          survivor has sent, survivors get `unmask-request` and answer `mask-reveal` with their pair key with
 *          the dropped member, and the coordinator removes those masks. A survivor that leaves before
 *          revealing makes the round unrecoverable: it is requested again with a new roster (new masks).
 *
 * What cannot be checked: a masked vector is uniform noise by design, so per-host validation is limited to
 * shape and ring membership; the decoded SUM is checked (finite, bias diagonal = row count) and a bad sum
 * fails the run with a clear error, since the culprit cannot be named. Limits (docs/math/analytic.md §4):
 * single masking, honest-but-curious coordinator; a coordinator that lies about a dropout can unmask one host.
 */
import { gramFromVector, gramVectorLength } from '../../core/analytic/gram.ts';
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import { removeDroppedKeyedMasks } from '../../core/analytic/keyed-masking.ts';
import { decodeFixed, ringSum } from '../../core/analytic/masking.ts';
import { packedLength, packedRowStart } from '../../core/analytic/packed-symmetric.ts';
import type { PeerId } from '../../core/ids.ts';
import type { MaskedStatsMsg, MaskKeyMsg, MaskRevealMsg } from '../../protocol/messages.ts';
import { PAIR_KEY_BYTES } from '../../protocol/validate-federated.ts';
import type { AnalyticPlan } from '../analytic-plan.ts';
import { layerShape } from '../analytic-plan.ts';
import { log, send } from '../commands.ts';
import { maskLabel } from '../federated-plan.ts';
import { advanceAnalytic, hostIds, requestLayer, startAnalytic, type AnalyticOut, type StatsVerdict } from './analytic-reducer.ts';
import { failRun } from './client-reports.ts';
import type { CoordinatorState, MaskingState } from './state.ts';

const none = (state: CoordinatorState): AnalyticOut => ({ state, commands: [] });
const ignore = (reason: string): StatsVerdict => ({ kind: 'ignore', reason });

/** Stores a host's public key; requests layer 0 once every host has one. */
export function acceptMaskKey(s: CoordinatorState, plan: AnalyticPlan, from: PeerId, m: MaskKeyMsg): StatsVerdict {
  const k = s.masking;
  if (s.phase !== 'training' || k === null || m.runId !== s.config.runId || s.analytic !== null) return ignore(`ignored mask-key from ${from} outside the key exchange`);
  if (!hostIds(s).includes(from) || from in k.keys) return ignore(`ignored unexpected or duplicate mask-key from ${from}`);
  if (m.publicKey.data[0] !== 4) return { kind: 'evict', reason: 'mask-key is not an uncompressed EC point' };
  const next: CoordinatorState = { ...s, masking: { ...k, keys: { ...k.keys, [from]: Uint8Array.from(m.publicKey.data as Uint8Array) } } };
  return { kind: 'ok', out: maybeStartMasked(next, plan) };
}

/** Starts layer 0 when every current host has sent its key (also called when a host leaves during the exchange). */
export function maybeStartMasked(s: CoordinatorState, plan: AnalyticPlan): AnalyticOut {
  const k = s.masking;
  if (s.phase !== 'training' || k === null || s.analytic !== null) return none(s);
  const hosts = hostIds(s);
  if (hosts.length === 0) return failRun(s, 'every host left before the key exchange finished');
  return hosts.every((id) => id in k.keys) ? startAnalytic(s, plan) : none(s);
}

const vectorLength = (plan: AnalyticPlan, layer: number, groups: number): number => groups * gramVectorLength(layerShape(plan, layer));

/** Adds a host's masked vector to the ring sum (shape and ring membership are all that can be checked). */
export function acceptMaskedStats(s: CoordinatorState, plan: AnalyticPlan, from: PeerId, m: MaskedStatsMsg): StatsVerdict {
  const r = s.analytic;
  const k = s.masking;
  if (s.phase !== 'training' || r === null || k === null || m.runId !== s.config.runId || m.layer !== r.layer) return ignore(`ignored stale masked-stats from ${from} (layer ${m.layer})`);
  if (!r.expected.includes(from) || r.received.includes(from)) return ignore(`ignored unexpected or duplicate masked-stats from ${from}`);
  const want = vectorLength(plan, r.layer, r.sums.length);
  if (!(m.ring.data instanceof Float64Array) || m.ring.data.length !== want) return { kind: 'evict', reason: `masked-stats of ${m.ring.data.length} entries, expected ${want}` };
  const summed = ringSum(k.ringSum === null ? [m.ring.data] : [k.ringSum, m.ring.data]);
  if (!summed.ok) return { kind: 'evict', reason: `masked-stats: ${summed.error.message}` };
  const next: CoordinatorState = { ...s, analytic: { ...r, received: [...r.received, from] }, masking: { ...k, ringSum: summed.value } };
  return { kind: 'ok', out: advanceMasked(next, plan) };
}

/**
 * Moves a masked round on: when every expected host has sent, asks survivors to reveal their keys with
 * roster members that never sent; when nothing is missing, unmasks, checks and solves.
 */
export function advanceMasked(s: CoordinatorState, plan: AnalyticPlan): AnalyticOut {
  const r = s.analytic;
  const k = s.masking;
  if (r === null || k === null || s.phase !== 'training' || !r.expected.every((id) => r.received.includes(id))) return none(s);
  if (k.awaitingReveal.length > 0) {
    // A survivor left before revealing: its masks with the dropped members cannot be removed. Start over.
    if (k.awaitingReveal.every((id) => r.expected.includes(id))) return none(s);
    const again = requestLayer(s, plan, r.solved);
    return { state: again.state, commands: [log('warn', `layer ${r.layer}: a survivor left before revealing its masks; the round starts again`), ...again.commands] };
  }
  if (r.received.length === 0) return failRun(s, `no tab is left to send layer ${r.layer}'s statistics`);
  const dropped = k.roster.filter((id) => !r.received.includes(id));
  if (dropped.length > 0 && k.dropped.length === 0) {
    const survivors = [...r.received];
    const next: CoordinatorState = { ...s, masking: { ...k, dropped, awaitingReveal: survivors } };
    const asks = survivors.map((id) => send(id, { type: 'unmask-request', runId: s.config.runId, layer: r.layer, dropped }));
    return { state: next, commands: [log('warn', `layer ${r.layer}: ${dropped.join(', ')} left before sending; asking ${survivors.length} survivors to reveal their masks with them`), ...asks] };
  }
  return unmaskAndSolve(s, plan, r.layer, r.sums.length, k);
}

/** Removes a survivor's masks with the dropped members. */
export function acceptMaskReveal(s: CoordinatorState, plan: AnalyticPlan, from: PeerId, m: MaskRevealMsg): StatsVerdict {
  const r = s.analytic;
  const k = s.masking;
  if (r === null || k === null || m.runId !== s.config.runId || m.layer !== r.layer || !k.awaitingReveal.includes(from)) return ignore(`ignored unexpected mask-reveal from ${from}`);
  const same = m.dropped.length === k.dropped.length && k.dropped.every((d, i) => m.dropped[i] === d);
  if (!same || m.keys.data.length !== m.dropped.length * PAIR_KEY_BYTES || k.ringSum === null) return { kind: 'evict', reason: 'mask-reveal does not answer the request' };
  const survivor = k.roster.indexOf(from);
  const keys = m.keys.data as Uint8Array;
  const revealed = k.dropped.map((d, i) => ({ survivor, dropped: k.roster.indexOf(d), key: keys.slice(i * PAIR_KEY_BYTES, (i + 1) * PAIR_KEY_BYTES) }));
  const label = maskLabel(s.config.runId, r.layer, k.roster);
  const ring = removeDroppedKeyedMasks(k.ringSum, revealed, label);
  if (!ring.ok) return { kind: 'evict', reason: `mask-reveal: ${ring.error.message}` };
  const next: CoordinatorState = { ...s, masking: { ...k, ringSum: ring.value, awaitingReveal: k.awaitingReveal.filter((id) => id !== from) } };
  return { kind: 'ok', out: advanceMasked(next, plan) };
}

/** Decodes the ring sum into per-group statistics, checks what can be checked of a sum, and solves. */
function unmaskAndSolve(s: CoordinatorState, plan: AnalyticPlan, layer: number, groups: number, k: MaskingState): AnalyticOut {
  const r = s.analytic;
  if (r === null || k.ringSum === null) return failRun(s, `layer ${layer}: nothing to unmask`);
  const shape = layerShape(plan, layer);
  const each = gramVectorLength(shape);
  const decoded = decodeFixed(k.ringSum);
  const sums: GramStats[] = [];
  for (let g = 0; g < groups; g++) {
    const stats = gramFromVector(decoded.subarray(g * each, (g + 1) * each), shape);
    if (!stats.ok) return failRun(s, `layer ${layer}: ${stats.error}`);
    const problem = sumProblem(stats.value);
    if (problem !== null) return failRun(s, `layer ${layer}: the unmasked sum is invalid (${problem}); a host sent bad masked statistics or a wrong key, and masking hides which`);
    sums.push(stats.value);
  }
  const next: CoordinatorState = { ...s, analytic: { ...r, sums }, masking: { ...k, dropped: [], awaitingReveal: [] } };
  const out = advanceAnalytic(next, plan);
  return { state: out.state, commands: [log('info', `layer ${layer}: unmasked the sum of ${r.received.length} tabs`), ...(out.commands)] };
}

/** A decoded sum must be finite with bias diagonal = count (PSD sanity is skipped: fixed-point rounding can tip it). */
function sumProblem(st: GramStats): string | null {
  if (!st.aUpper.every(Number.isFinite) || !st.b.every(Number.isFinite)) return 'non-finite entries';
  const biasDiagonal = st.aUpper[packedLength(st.dIn) - 1] ?? NaN;
  if (Math.abs(biasDiagonal - st.count) > 0.5) return `bias diagonal ${biasDiagonal} ≠ row count ${st.count}`;
  for (let i = 0; i < st.dIn; i++) if ((st.aUpper[packedRowStart(i, st.dIn)] ?? 0) < -1e-3) return `negative diagonal at ${i}`;
  return null;
}
