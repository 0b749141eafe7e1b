/**
 * The coordinator's federated algos ('fedacnnl', 'pfedacnnl', 'fedavg') behind one door, so reducer.ts only
 * routes: start (plan the clients, send each host its assign, then the key exchange, the first layer or the
 * first FedAvg round), the federated messages, and moving on after a host leaves.
 */
import type { PeerId } from '../../core/ids.ts';
import type { Message } from '../../protocol/messages.ts';
import type { AnalyticPlan } from '../analytic-plan.ts';
import { log, send, type CommonCommand } from '../commands.ts';
import { assignFor, planClients } from '../federated-plan.ts';
import { acceptLayerStats, advanceAnalytic, startAnalytic, type StatsVerdict } from './analytic-reducer.ts';
import { acceptClientReport, maybeFinish } from './client-reports.ts';
import { acceptFedAvgUpdate, advanceFedAvg, startFedAvg } from './fedavg-reducer.ts';
import { acceptMaskedStats, acceptMaskKey, acceptMaskReveal, advanceMasked, maybeStartMasked } from './masked-round.ts';
import type { CoordinatorState } from './state.ts';

export type FederatedCommand =
  | CommonCommand
  | { readonly type: 'evaluate'; readonly step: number; readonly params?: readonly Float32Array[] }
  | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string };

export interface FederatedOut {
  readonly state: CoordinatorState;
  readonly commands: FederatedCommand[];
}

export type FederatedVerdict = { readonly kind: 'ok'; readonly out: FederatedOut } | { readonly kind: 'ignore' | 'evict'; readonly reason: string };

/** What the federated flows need to know of the run that is not in the state. */
export interface FederatedContext {
  readonly plan: AnalyticPlan;
  readonly trainLabels: Uint8Array;
  /** FedAvg's starting parameters (the coordinator's seeded initial model). */
  readonly initialParams: readonly Float32Array[];
  /** Element count of every model parameter (to validate fedavg-update). */
  readonly paramSizes: readonly number[];
}

/** Plans the clients over the eligible tabs (sorted by id, so the plan is reproducible) and starts the algo. */
export function startFederated(s: CoordinatorState, ctx: FederatedContext, now: number): FederatedOut {
  const tabs = Object.values(s.members).filter((m) => !m.excluded).sort((a, b) => (a.id < b.id ? -1 : 1));
  const clients = planClients(s.config, ctx.trainLabels, tabs.map((m) => ({ id: m.id, speed: m.device.samplesPerSec })), ctx.plan.numClasses);
  const hosts = new Set(clients.map((c) => c.host));
  const members = { ...s.members };
  for (const m of tabs) members[m.id] = { ...m, active: hosts.has(m.id) };
  const masking = s.config.masking && s.config.algo !== 'fedavg' ? { keys: {}, roster: [], ringSum: null, dropped: [], awaitingReveal: [] } : null;
  const next: CoordinatorState = { ...s, phase: 'training', members, clients, startedAt: now, step: 0, epoch: 0, masking };
  const assigns = [...hosts].map((id) => send(id, assignFor(s.config, clients, id)));
  const note = log('info', `${s.config.algo} starts: ${clients.length} clients on ${hosts.size} tabs (${s.config.partition} partition)${masking ? ', masked sums' : ''}`);
  const started = s.config.algo === 'fedavg' ? startFedAvg(next, ctx.initialParams) : masking ? { state: next, commands: [log('info', 'waiting for every host\'s masking key')] } : startAnalytic(next, ctx.plan);
  return { state: started.state, commands: [note, ...assigns, ...started.commands] };
}

/** Routes a federated message; `null` when `msg` is not one (the reducer handles it). */
export function onFederatedMessage(s: CoordinatorState, ctx: FederatedContext, from: PeerId, msg: Message, now: number): FederatedVerdict | null {
  const verdict = (v: StatsVerdict | FederatedVerdict): FederatedVerdict => v;
  // An if-chain, not a switch: every other message type (and any later algo's) is the reducer's business.
  if (msg.type === 'layer-stats') return verdict(acceptLayerStats(s, ctx.plan, from, msg));
  if (msg.type === 'mask-key') return verdict(acceptMaskKey(s, ctx.plan, from, msg));
  if (msg.type === 'masked-stats') return verdict(acceptMaskedStats(s, ctx.plan, from, msg));
  if (msg.type === 'mask-reveal') return verdict(acceptMaskReveal(s, ctx.plan, from, msg));
  if (msg.type === 'client-report') return verdict(acceptClientReport(s, from, msg, now));
  if (msg.type === 'fedavg-update') return verdict(acceptFedAvgUpdate(s, from, msg, ctx.paramSizes));
  return null;
}

/** After a member left (already removed from every expected list): let the current round or the end go on. */
export function advanceFederated(s: CoordinatorState, ctx: FederatedContext, now: number): FederatedOut {
  if (s.phase === 'evaluating-final') return maybeFinish(s, now);
  if (s.config.algo === 'fedavg') return advanceFedAvg(s);
  if (s.masking !== null) return s.analytic === null ? maybeStartMasked(s, ctx.plan) : advanceMasked(s, ctx.plan);
  return advanceAnalytic(s, ctx.plan);
}
