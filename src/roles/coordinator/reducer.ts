/**
 * The coordinator role as a pure reducer: (state, event) → {state, commands}. It admits workers, assigns
 * data partitions, runs synchronous data-parallel steps (collect every active worker's gradient, form the
 * sample-weighted mean, tell every replica to apply it) and tracks membership by heartbeats.
 */
import type { PeerId } from '../../core/ids.ts';
import { assertNever } from '../../core/result.ts';
import { DEFAULT_CLIP_FACTOR, DEFAULT_TRIM_FRACTION, robustAggregate } from '../../core/math/robust-aggregate.ts';
import { batchShares } from '../../core/plan/batch-shares.ts';
import { partition } from '../../core/data/partition.ts';
import { checkHello } from '../../protocol/handshake.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { GradientsMsg, HelloMsg, Message, RunConfig } from '../../protocol/messages.ts';
import { analyticPlan } from '../analytic-plan.ts';
import { HEARTBEAT_INTERVAL_MS, PEER_TIMEOUT_MS, log, send, type CommonCommand } from '../commands.ts';
import { isFederated, singleAssign } from '../federated-plan.ts';
import { FAILOVER_ALGOS } from '../failover.ts';
import { maybeFinish } from './client-reports.ts';
import { acceptAdmmUpdate, admmWithout, advanceAdmm, startAdmm, type AdmmCommand, type AdmmContext, type AdmmOptions, type AdmmVerdict } from './admm-reducer.ts';
import { acceptDasoEpoch, acceptDasoRtt, DASO_DEFAULT_OPTIONS, dasoMemberLeft, dasoProbeTick, startDaso, type DasoContext, type DasoOptions, type DasoVerdict } from './daso-reducer.ts';
import { advanceFederated, onFederatedMessage, startFederated, type FederatedContext, type FederatedVerdict } from './federated.ts';
import type { CoordinatorState, Member, PendingStep } from './state.ts';

/** Evaluate test accuracy every this many steps (and at each epoch end) for the live curve. */
export const EVAL_EVERY_STEPS = 10;

/**
 * 'trimmed': the default 20 % off each end, but at least one value from 3 workers on: small classroom swarms
 * (3-4 tabs) would otherwise trim nothing. (The epsilon keeps floor(n * 1/n) from rounding down to 0.)
 */
function trimFractionFor(n: number): number {
  return n >= 3 ? Math.min(0.49, Math.max(DEFAULT_TRIM_FRACTION, 1 / n + 1e-9)) : 0;
}

function allFinite(a: Float32Array): boolean {
  for (const v of a) if (!Number.isFinite(v)) return false;
  return true;
}

export type CoordinatorEvent =
  | { readonly type: 'message'; readonly from: PeerId; readonly msg: Message; readonly now: number }
  | { readonly type: 'peer-left'; readonly peer: PeerId; readonly reason: string; readonly now: number }
  | { readonly type: 'peer-alive'; readonly peer: PeerId; readonly now: number }
  | { readonly type: 'tick'; readonly now: number; readonly stalled?: boolean }
  | { readonly type: 'start-requested'; readonly now: number }
  | { readonly type: 'evaluated'; readonly step: number; readonly accuracy: number; readonly now: number }
  /** Second-order runs: leave these members out of gradient work from the next step on ([] = nobody). */
  | { readonly type: 'sit-out'; readonly peers: readonly PeerId[]; readonly now: number }
  /** The runtime found a peer's result unusable (a second-order reply): evict it. */
  | { readonly type: 'misbehaved'; readonly peer: PeerId; readonly reason: string; readonly now: number };

export type CoordinatorCommand =
  | CommonCommand
  /** Snapshot the coordinator replica and send `start` to `to` for step `step`. */
  | { readonly type: 'send-start'; readonly to: PeerId; readonly step: number; readonly epoch: number; readonly batchSize: number }
  /** Apply the mean gradient to the coordinator replica, then send `update` to each listed replica. */
  | {
      readonly type: 'apply-update';
      readonly step: number;
      readonly epoch: number;
      readonly grads: readonly Float32Array[];
      readonly sends: readonly { readonly to: PeerId; readonly nextBatchSize: number }[];
    }
  /** Measure test accuracy of the coordinator's model (FedAvg: of `params`, the global model after a round). */
  | { readonly type: 'evaluate'; readonly step: number; readonly params?: readonly Float32Array[] }
  /** Step-based runs, at each epoch's end (after its update): save the coordinator replica as a checkpoint. */
  | { readonly type: 'checkpoint'; readonly step: number; readonly epoch: number }
  | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string }
  | Extract<AdmmCommand, { type: 'admm-curvature' }>;

export interface CoordinatorContext {
  readonly self: PeerId;
  readonly room: string;
  readonly trainLabels: Uint8Array;
  /** Element count of every model parameter, in order (to validate gradient messages). */
  readonly paramSizes: readonly number[];
  /** Input columns and classes of the data set (algo 'fedacnnl'); default 784 and 10 (MNIST-shaped). */
  readonly features?: number;
  readonly numClasses?: number;
  /** FedAvg's starting parameters (default: none, so a 'fedavg' run cannot start without them). */
  readonly initialParams?: readonly Float32Array[];
  /** DASO's schedule and wire options (algo 'daso'); default DASO_DEFAULT_OPTIONS. */
  readonly daso?: DasoOptions;
  /** DHO2's consensus-ADMM variant: set only when algo 'dho2' runs with variant 'admm'. */
  readonly admm?: AdmmOptions;
}

/** MNIST and Fashion-MNIST: 28×28 pixels, 10 classes. */
const DEFAULT_FEATURES = 784;
const DEFAULT_CLASSES = 10;

export interface Out {
  readonly state: CoordinatorState;
  readonly commands: CoordinatorCommand[];
}

/**
 * The state before training. `resumeStep` > 0 continues a checkpointed step-based run (dp, dho2, kfac) from
 * that step: training starts there, with the replica the runtime restored.
 */
export function initialCoordinatorState(config: RunConfig, minPeers: number, autostart: boolean, trainCount: number, resumeStep = 0): CoordinatorState {
  const stepsPerEpoch = Math.max(1, Math.ceil(trainCount / config.globalBatch));
  return {
    phase: 'recruiting', config, minPeers, autostart, members: {}, slots: [], stepsPerEpoch,
    step: resumeStep, epoch: Math.floor(resumeStep / stepsPerEpoch), pending: null, analytic: null, clients: [], clientReports: {}, fedavg: null, admm: null, masking: null, daso: null, dasoProbe: null,
    sittingOut: [], awaitingReports: [], finalEvaluated: false, loss: Number.NaN, testAccuracy: Number.NaN,
    startedAt: null, endedAt: null, failure: null, succession: [],
  };
}

/** Builds the reducer for one coordinator; `ctx` holds the fixed facts it needs (labels, sizes). */
export function createCoordinatorReducer(ctx: CoordinatorContext) {
  const done = (state: CoordinatorState, commands: CoordinatorCommand[] = []): Out => ({ state, commands });
  const fed = (s: CoordinatorState): FederatedContext => ({
    plan: analyticPlan(s.config, ctx.features ?? DEFAULT_FEATURES, ctx.numClasses ?? DEFAULT_CLASSES),
    trainLabels: ctx.trainLabels, initialParams: ctx.initialParams ?? [], paramSizes: ctx.paramSizes,
  });
  const isAnalytic = (s: CoordinatorState): boolean => isFederated(s.config) && s.config.algo !== 'daso';
  const dasoCtx: DasoContext = { trainLabels: ctx.trainLabels, paramSizes: ctx.paramSizes, options: ctx.daso ?? DASO_DEFAULT_OPTIONS };

  const eligible = (s: CoordinatorState): Member[] => Object.values(s.members).filter((m) => !m.excluded);
  const active = (s: CoordinatorState): Member[] => eligible(s).filter((m) => m.active);

  const admmCtx = (o: AdmmOptions): AdmmContext => ({ paramSizes: ctx.paramSizes, options: o, shares });
  /** The ADMM options when this run is DHO2 consensus ADMM, else null. */
  const admmOf = (s: CoordinatorState): AdmmOptions | null => (s.config.algo === 'dho2' && ctx.admm !== undefined ? ctx.admm : null);

  function shares(s: CoordinatorState, all: readonly PeerId[]): Record<string, number> {
    const busy = all.filter((id) => s.sittingOut.includes(id));
    // Members busy with curvature sit out, unless that would leave nobody to train.
    const ids = busy.length > 0 && busy.length < all.length ? all.filter((id) => !busy.includes(id)) : all;
    const speeds: Record<string, number> = {};
    for (const id of ids) speeds[id] = s.members[id]?.device.samplesPerSec ?? 0;
    return batchShares(s.config.globalBatch, speeds);
  }

  function onHello(s: CoordinatorState, from: PeerId, m: HelloMsg, now: number): Out {
    const bad = checkHello(m, { protocolVersion: PROTOCOL_VERSION, room: ctx.room });
    if (bad !== null) {
      return done(s, [send(from, bad), { type: 'disconnect', peer: from, reason: `incompatible: ${bad.reason}` }, log('warn', `${from} is incompatible (${bad.reason})`)]);
    }
    const excluded = !m.device.selfTestPassed;
    const member: Member = { id: from, device: m.device, lastSeen: now, slot: null, active: false, excluded };
    const members = { ...s.members, [from]: member };
    const welcome = send(from, { type: 'welcome', protocolVersion: PROTOCOL_VERSION, coordinator: ctx.self, members: Object.keys(members) });
    const note = log(excluded ? 'warn' : 'info', excluded ? `${from} failed the self-test: no work for it` : `${from} joined (${m.device.backend}, ${Math.round(m.device.samplesPerSec)} samples/s)`);
    const next = { ...s, members };
    if (excluded) return done(next, [welcome, note]);
    if (s.phase === 'recruiting') return maybeAutostart(next, now, [welcome, note]);
    if (s.phase === 'training' && s.config.algo === 'daso') {
      const when = s.dasoProbe !== null ? 'the first plan, without round-trip times' : 'the next epoch boundary';
      return done(next, [welcome, note, log('info', `${from} joined mid-run: it joins the DASO groups at ${when}`)]);
    }
    if (s.phase === 'training' && isAnalytic(s)) return done(next, [welcome, note, log('info', `${from} joined mid-run: the run was planned at the start, so it sits this ${s.config.algo} run out`)]);
    if (s.phase === 'training') return admitLate(next, from, [welcome, note]);
    return done(next, [welcome, note]);
  }

  function maybeAutostart(s: CoordinatorState, now: number, commands: CoordinatorCommand[]): Out {
    const remote = eligible(s).filter((m) => m.id !== localWorkerId(s)).length;
    if (s.autostart && remote >= s.minPeers && eligible(s).length > 0) {
      const started = startTraining(s, now);
      return done(started.state, [...commands, ...started.commands]);
    }
    return done(s, commands);
  }

  /** The coordinator's own in-process worker, by convention `${self}-w`. */
  function localWorkerId(_s: CoordinatorState): string {
    return `${ctx.self}-w`;
  }

  function assignMsg(s: CoordinatorState, slot: number): Message {
    return singleAssign(s.config, s.slots[slot] ?? new Int32Array(0));
  }

  function startTraining(s: CoordinatorState, now: number): Out {
    const workers = eligible(s);
    if (workers.length === 0) return done(s, [log('warn', 'cannot start: no eligible workers')]);
    if (s.config.algo === 'daso') {
      const started = startDaso(s, dasoCtx, now);
      return done(started.state, started.commands);
    }
    if (isAnalytic(s)) {
      const started = startFederated(s, fed(s), now);
      return done(started.state, started.commands);
    }
    const ids = workers.map((m) => m.id);
    const weights = workers.map((m) => Math.max(1, m.device.samplesPerSec));
    const slots = partition({
      scheme: s.config.partition, labels: ctx.trainLabels, numClients: workers.length, seed: s.config.seed,
      alpha: s.config.alpha, labelsPerClient: s.config.labelsPerClient, weights,
    });
    const members = { ...s.members };
    ids.forEach((id, i) => { const m = members[id]; if (m) members[id] = { ...m, slot: i, active: true }; });
    // A resumed run starts at its checkpoint's step (initialCoordinatorState), a new one at 0.
    const next: CoordinatorState = { ...s, phase: 'training', members, slots, startedAt: now };
    const admm = admmOf(next);
    const share = shares(next, ids);
    const from = next.step === 0 ? '' : `, resuming at step ${next.step} (epoch ${next.epoch})`;
    const commands: CoordinatorCommand[] = [log('info', `training starts with ${ids.length} workers, ${next.stepsPerEpoch} steps per epoch${from}`)];
    for (const id of ids) {
      commands.push(send(id, assignMsg(next, members[id]?.slot ?? 0)));
      // ADMM: `start` only builds the replica (batch 0: no synchronous step); the rounds carry the work.
      commands.push({ type: 'send-start', to: id, step: next.step, epoch: next.epoch, batchSize: admm === null ? share[id] ?? 0 : 0 });
    }
    if (admm !== null) {
      const out = startAdmm(next, admmCtx(admm));
      return done(out.state, [...commands, ...out.commands]);
    }
    const expected = ids.filter((id) => (share[id] ?? 0) > 0);
    return done({ ...next, pending: { step: next.step, expected, received: {} } }, commands);
  }

  /** A worker arriving mid-run takes a free partition (or shares the least-held one) at the next step. */
  function admitLate(s: CoordinatorState, id: PeerId, commands: CoordinatorCommand[]): Out {
    const held = s.slots.map(() => 0);
    for (const m of active(s)) if (m.slot !== null) held[m.slot] = (held[m.slot] ?? 0) + 1;
    const slot = held.indexOf(Math.min(...held));
    const m = s.members[id];
    if (!m || slot < 0) return done(s, commands);
    const next = { ...s, members: { ...s.members, [id]: { ...m, slot } } };
    const out: CoordinatorCommand[] = [...commands, send(id, assignMsg(next, slot))];
    if (s.admm !== null) return done(next, out); // becomes active when the current ADMM round closes (admm-reducer.ts)
    if (s.pending === null) {
      // Nobody is training: restart the step loop with this worker alone.
      const share = shares(next, [id]);
      const members = { ...next.members, [id]: { ...m, slot, active: true } };
      out.push({ type: 'send-start', to: id, step: s.step, epoch: s.epoch, batchSize: share[id] ?? 0 });
      return done({ ...next, members, pending: { step: s.step, expected: [id], received: {} } }, out);
    }
    return done(next, out); // becomes active when the current step completes (see completeStep)
  }

  function onGradients(s: CoordinatorState, from: PeerId, m: GradientsMsg, now: number): Out {
    const p = s.pending;
    if (s.phase !== 'training' || p === null || m.runId !== s.config.runId || m.step !== p.step) {
      return done(s, [log('warn', `ignored stale gradients from ${from} (step ${m.step})`)]);
    }
    if (!p.expected.includes(from) || from in p.received) {
      return done(s, [log('warn', `ignored unexpected or duplicate gradients from ${from}`)]);
    }
    const sizesOk = m.grads.length === ctx.paramSizes.length && m.grads.every((g, i) => g.dtype === 'float32' && g.data.length === ctx.paramSizes[i]);
    if (!sizesOk || m.count <= 0) return evict(s, from, 'gradient shapes do not match the model', now);
    // Sanity: a worker computes on at most the global batch, and a NaN or infinity would poison every replica.
    if (m.count > s.config.globalBatch) return evict(s, from, `claims ${m.count} samples in a step of ${s.config.globalBatch}`, now);
    const grads = m.grads.map((g) => g.data as Float32Array);
    if (!grads.every(allFinite)) return evict(s, from, 'sent non-finite gradients', now);
    const received = { ...p.received, [from]: { count: m.count, lossSum: m.lossSum, grads } };
    return maybeComplete({ ...s, pending: { ...p, received } }, now);
  }

  function onFederated(s: CoordinatorState, from: PeerId, verdict: FederatedVerdict | DasoVerdict | AdmmVerdict, now: number): Out {
    switch (verdict.kind) {
      case 'ok': return done(verdict.out.state, verdict.out.commands);
      case 'ignore': return done(s, [log('warn', verdict.reason)]);
      case 'evict': return evict(s, from, verdict.reason, now);
      default: return assertNever(verdict);
    }
  }

  function maybeComplete(s: CoordinatorState, now: number): Out {
    if (isAnalytic(s)) {
      if (s.phase !== 'training' && s.phase !== 'evaluating-final') return done(s);
      const out = advanceFederated(s, fed(s), now);
      return done(out.state, out.commands);
    }
    const admm = admmOf(s);
    if (admm !== null && s.admm !== null) {
      const out = advanceAdmm(s, admmCtx(admm));
      return done(out.state, out.commands);
    }
    const p = s.pending;
    if (p === null || !p.expected.every((id) => id in p.received)) return done(s);
    const parts = Object.values(p.received);
    if (parts.length === 0) return done({ ...s, pending: null }, [log('warn', 'step has no contributions: waiting for workers')]);
    return completeStep(s, p);
  }

  function completeStep(s: CoordinatorState, p: PendingStep): Out {
    const parts = Object.values(p.received);
    const combined = robustAggregate(parts.map((c) => ({ weight: c.count, arrays: c.grads })), s.config.aggregation, { trimFraction: trimFractionFor(parts.length) });
    const mean = combined.arrays;
    const count = parts.reduce((a, c) => a + c.count, 0);
    const loss = parts.reduce((a, c) => a + c.lossSum, 0) / count;
    const step = p.step + 1;
    const epoch = Math.floor(step / s.stepsPerEpoch);
    const finished = epoch >= s.config.epochs;
    // Members that joined during this step become active now; they get a full `start` after the update.
    const members = { ...s.members };
    const joiners = eligible(s).filter((m) => !m.active && m.slot !== null).map((m) => m.id);
    for (const id of joiners) { const m = members[id]; if (m) members[id] = { ...m, active: true }; }
    const next: CoordinatorState = { ...s, members, step, epoch, loss };
    const ids = active(next).map((m) => m.id);
    const share = finished ? {} : shares(next, ids);
    const oldIds = ids.filter((id) => !joiners.includes(id));
    const commands: CoordinatorCommand[] = combined.clipped > 0 ? [log('info', `step ${p.step}: clipped ${combined.clipped} of ${parts.length} gradients to ${DEFAULT_CLIP_FACTOR}x the median norm`)] : [];
    commands.push({ type: 'apply-update', step: p.step, epoch, grads: mean, sends: oldIds.map((to) => ({ to, nextBatchSize: share[to] ?? 0 })) });
    for (const id of joiners) if (!finished) commands.push({ type: 'send-start', to: id, step, epoch, batchSize: share[id] ?? 0 });
    const epochEnd = step % s.stepsPerEpoch === 0;
    if (epochEnd) commands.push({ type: 'checkpoint', step, epoch });
    if (finished || epochEnd || step % EVAL_EVERY_STEPS === 0) commands.push({ type: 'evaluate', step });
    commands.push(...broadcastProgress(next, finished ? 'evaluating-final' : 'training'));
    if (finished) return done({ ...next, phase: 'evaluating-final', pending: null }, commands);
    const expected = ids.filter((id) => (share[id] ?? 0) > 0);
    return done({ ...next, pending: { step, expected, received: {} } }, commands);
  }

  function broadcastProgress(s: CoordinatorState, phase: string): CoordinatorCommand[] {
    return eligible(s).map((m) =>
      send(m.id, { type: 'progress', runId: s.config.runId, phase, epoch: s.epoch, step: s.step, loss: finiteOrNull(s.loss), testAccuracy: finiteOrNull(s.testAccuracy) }),
    );
  }

  function removeMember(s: CoordinatorState, id: PeerId, why: string, extra: CoordinatorCommand[], now: number): Out {
    if (!(id in s.members)) return done(s, extra);
    const members = Object.fromEntries(Object.entries(s.members).filter(([k]) => k !== id));
    const p = s.pending;
    const pending = p === null ? null : { ...p, expected: p.expected.filter((x) => x !== id), received: Object.fromEntries(Object.entries(p.received).filter(([k]) => k !== id)) };
    const a = s.analytic;
    const analytic = a === null ? null : { ...a, expected: a.expected.filter((x) => x !== id) }; // its received stats stay summed
    const f = s.fedavg;
    const fedavg = f === null ? null : { ...f, expected: f.expected.filter((x) => x !== id) }; // likewise its received update
    const awaitingReports = s.awaitingReports.filter((x) => x !== id);
    const sittingOut = s.sittingOut.filter((x) => x !== id);
    const daso = dasoMemberLeft({ ...s, members }, dasoCtx, id, now);
    if (daso !== null) return done(daso.state, [...extra, log('warn', `${id} left: ${why}`), ...daso.commands]);
    const admm = admmWithout(s.admm, id); // its x_i and dual are dropped: the round closes without it
    const out = maybeComplete({ ...s, members, pending, analytic, fedavg, admm, awaitingReports, sittingOut }, now);
    return done(out.state, [...extra, log('warn', `${id} left: ${why}`), ...out.commands]);
  }

  function evict(s: CoordinatorState, id: PeerId, why: string, now: number): Out {
    return removeMember(s, id, why, [send(id, { type: 'error', code: 'evicted', detail: why }), { type: 'disconnect', peer: id, reason: why }], now);
  }

  function onTick(s0: CoordinatorState, now: number, stalled: boolean): Out {
    if (s0.phase === 'done' || s0.phase === 'failed') return done(s0); // finished workers stop heartbeating
    // After our own stall, peers' messages may still be queued behind this tick: give them a fresh grace period.
    const s = stalled ? { ...s0, members: Object.fromEntries(Object.entries(s0.members).map(([id, m]) => [id, { ...m, lastSeen: Math.max(m.lastSeen, now - HEARTBEAT_INTERVAL_MS) }])) } : s0;
    let cur: Out = done(s);
    for (const m of Object.values(s.members)) {
      if (m.id === localWorkerId(s)) continue; // in-process: it cannot go silent without the tab going too
      if (now - m.lastSeen > PEER_TIMEOUT_MS) {
        const r = removeMember(cur.state, m.id, `no heartbeat for ${PEER_TIMEOUT_MS} ms`, [{ type: 'disconnect', peer: m.id, reason: 'heartbeat timeout' }], now);
        cur = done(r.state, [...cur.commands, ...r.commands]);
      }
    }
    const probed = dasoProbeTick(cur.state, dasoCtx, now); // RTT grouping: plan with what was measured by the deadline
    if (probed !== null) cur = done(probed.state, [...cur.commands, ...probed.commands]);
    const beats = Object.keys(cur.state.members).map((id) => send(id as PeerId, { type: 'heartbeat', sentAt: now }));
    const succession = announceSuccession(cur.state);
    return done(succession.state, [...cur.commands, ...beats, ...succession.commands]);
  }

  /**
   * Runs whose whole state every worker replica holds (FAILOVER_ALGOS) tell their remote workers, whenever it
   * changes, the order in which they take over if this tab goes away: active members by join time (a
   * record keeps insertion order), so the longest-serving worker is the deputy.
   */
  function announceSuccession(s: CoordinatorState): Out {
    if (s.phase !== 'training' || !FAILOVER_ALGOS.includes(s.config.algo)) return done(s);
    const order = active(s).map((m) => m.id).filter((id) => id !== localWorkerId(s));
    if (order.length === s.succession.length && order.every((id, i) => id === s.succession[i])) return done(s);
    return done({ ...s, succession: order }, order.map((id) => send(id, { type: 'succession', runId: s.config.runId, order })));
  }

  function onEvaluated(s: CoordinatorState, accuracy: number, now: number): Out {
    const next = { ...s, testAccuracy: accuracy };
    if (s.phase !== 'evaluating-final') return done(next);
    if (isAnalytic(s)) {
      const out = maybeFinish({ ...next, finalEvaluated: true }, now);
      return done(out.state, out.commands);
    }
    const reason = isAnalytic(s) ? `solved ${s.step} layers in closed form` : `finished ${s.config.epochs} epochs`;
    const fin: CoordinatorState = { ...next, phase: 'done', endedAt: now };
    const doneMsgs = eligible(fin).map((m) => send(m.id, { type: 'done', runId: s.config.runId, ok: true, reason }));
    return done(fin, [...broadcastProgress(fin, 'done'), ...doneMsgs, { type: 'finished', ok: true, reason }]);
  }

  function onMessage(s: CoordinatorState, from: PeerId, msg: Message, now: number): Out {
    const m = s.members[from];
    const seen = markSeen(s, from, now);
    if (msg.type === 'hello') return onHello(seen, from, msg, now);
    if (!m) return done(s, [send(from, { type: 'error', code: 'not-joined', detail: 'send hello first' }), { type: 'disconnect', peer: from, reason: `${msg.type} before hello` }]);
    if (msg.type === 'daso-epoch') return onFederated(seen, from, acceptDasoEpoch(seen, dasoCtx, from, msg), now);
    if (msg.type === 'daso-rtt') return onFederated(seen, from, acceptDasoRtt(seen, dasoCtx, from, msg, now), now);
    if (msg.type === 'admm-update') {
      const admm = admmOf(seen);
      if (admm === null) return evict(seen, from, `'admm-update' in a run that is not DHO2 consensus ADMM`, now);
      return onFederated(seen, from, acceptAdmmUpdate(seen, admmCtx(admm), from, msg), now);
    }
    const federated = onFederatedMessage(seen, fed(seen), from, msg, now);
    if (federated !== null) return onFederated(seen, from, federated, now);
    switch (msg.type) {
      case 'heartbeat': return done(seen);
      case 'gradients': return onGradients(seen, from, msg, now);
      case 'error':
        // A worker that cannot compute any more is out of the run: drop it so the step completes without it.
        if (msg.code === 'compute-failed') return removeMember(seen, from, `it failed: ${msg.detail}`, [{ type: 'disconnect', peer: from, reason: 'compute failed' }], now);
        return done(seen, [log('warn', `${from} reported ${msg.code}: ${msg.detail}`)]);
      case 'welcome': case 'incompatible': case 'assign': case 'start': case 'update': case 'progress': case 'succession': case 'done': case 'layer-request':
      case 'unmask-request': case 'personalize': case 'fedavg-round':
      case 'daso-plan': case 'daso-schedule': case 'daso-grads': case 'daso-global': case 'daso-params': case 'daso-probe': case 'daso-ping':
      case 'shard-plan': case 'shard-op': case 'curvature-request': case 'admm-round': case 'admm-curvature':
        return evict(seen, from, `a worker may not send '${msg.type}'`, now);
      case 'shard-reply': case 'curvature-reply':
        return done(seen, [log('warn', `ignored a ${msg.type} from ${from} that nothing waited for`)]); // awaited ones are intercepted (rpc.ts)
      case 'layer-stats': case 'mask-key': case 'masked-stats': case 'mask-reveal': case 'client-report': case 'fedavg-update':
        return done(seen); // routed above
      default: return assertNever(msg);
    }
  }

  return function reduce(s: CoordinatorState, e: CoordinatorEvent): Out {
    switch (e.type) {
      case 'message': return onMessage(s, e.from, e.msg, e.now);
      case 'peer-left': return removeMember(s, e.peer, e.reason, [], e.now);
      case 'peer-alive': return done(markSeen(s, e.peer, e.now));
      case 'tick': return onTick(s, e.now, e.stalled === true);
      case 'start-requested': return s.phase === 'recruiting' ? startTraining(s, e.now) : done(s, [log('warn', `already ${s.phase}`)]);
      case 'evaluated': return onEvaluated(s, e.accuracy, e.now);
      case 'sit-out': return done({ ...s, sittingOut: e.peers.filter((p) => p in s.members) });
      case 'misbehaved': return e.peer in s.members ? evict(s, e.peer, e.reason, e.now) : done(s);
      default: return assertNever(e);
    }
  };
}

export { HEARTBEAT_INTERVAL_MS };

/** Any sign of life from a member (a message, or part of one) restarts its heartbeat timeout. */
function markSeen(s: CoordinatorState, peer: PeerId, now: number): CoordinatorState {
  const m = s.members[peer];
  return m ? { ...s, members: { ...s.members, [peer]: { ...m, lastSeen: Math.max(m.lastSeen, now) } } } : s;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
