/**
 * The worker role as a pure reducer. A worker says hello with its device report, receives its data
 * partition, builds its replica from `start`, and then loops: compute the gradient for step t on its batch
 * share, send it, apply the coordinator's mean gradient, repeat.
 */
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import type { PeerId } from '../../core/ids.ts';
import { assertNever } from '../../core/result.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { AssignMsg, DeviceInfo, Message, RunConfig, StartMsg } from '../../protocol/messages.ts';
import { CLIENT_REPORT_COLUMNS } from '../../protocol/messages.ts';
import { PAIR_KEY_BYTES } from '../../protocol/validate-federated.ts';
import { f32, f64, i32, u8 } from '../../protocol/wire-tensor.ts';
import type { AdmmCurvatureMsg, AdmmRoundMsg, CurvatureRequestMsg, DasoGlobalMsg, DasoGradsMsg, DasoParamsMsg, DasoPingMsg, DasoPlanMsg, DasoProbeMsg, DasoScheduleMsg, LayerStatsMsg, ShardOpMsg, ShardPlanMsg } from '../../protocol/messages.ts';

/** The DASO messages a worker hands to its runner. */
export type DasoMessage = DasoPlanMsg | DasoScheduleMsg | DasoGradsMsg | DasoGlobalMsg | DasoParamsMsg;
import { COORDINATOR_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, log, send, type CommonCommand } from '../commands.ts';
import type { WorkerState } from './state.ts';

export type WorkerEvent =
  | { readonly type: 'connected'; readonly now: number }
  | { readonly type: 'message'; readonly from: PeerId; readonly msg: Message; readonly now: number }
  | { readonly type: 'peer-left'; readonly peer: PeerId; readonly reason: string; readonly now: number }
  | { readonly type: 'peer-alive'; readonly peer: PeerId; readonly now: number }
  | { readonly type: 'tick'; readonly now: number; readonly stalled?: boolean }
  | { readonly type: 'gradients-ready'; readonly step: number; readonly count: number; readonly lossSum: number; readonly grads: readonly Float32Array[]; readonly now: number }
  /** Analytic algos: this tab's statistics of `layer` are ready, one sum per client group. */
  | { readonly type: 'layer-stats-ready'; readonly layer: number; readonly stats: readonly GramStats[]; readonly now: number }
  /** Masked analytic runs: the same statistics as one masked ring vector. */
  | { readonly type: 'masked-stats-ready'; readonly layer: number; readonly ring: Float64Array; readonly now: number }
  | { readonly type: 'mask-key-ready'; readonly publicKey: Uint8Array; readonly now: number }
  /** The pair keys this tab shares with the dropped members of `layer`'s roster, 32 bytes each, in `dropped` order. */
  | { readonly type: 'keys-revealed'; readonly layer: number; readonly dropped: readonly string[]; readonly keys: Uint8Array; readonly now: number }
  /** Federated runs: the hosted clients' results, float64 [k, CLIENT_REPORT_COLUMNS]. */
  | { readonly type: 'client-report-ready'; readonly rows: Float64Array; readonly now: number }
  /** FedAvg: the hosted clients' weighted mean parameters after local training in `round`. */
  | { readonly type: 'fedavg-ready'; readonly round: number; readonly count: number; readonly lossSum: number; readonly params: readonly Float32Array[]; readonly now: number }
  /** DHO2 consensus ADMM: x_i after the local steps of `round`. */
  | { readonly type: 'admm-ready'; readonly round: number; readonly count: number; readonly lossSum: number; readonly params: readonly Float32Array[]; readonly now: number }
  | { readonly type: 'job-failed'; readonly detail: string; readonly now: number };

export type WorkerCommand =
  | CommonCommand
  /** Keep the partition: the hosted clients' rows back to back (`offsets`, `clientIds`, `clientGroups` as in `assign`). */
  | { readonly type: 'set-partition'; readonly config: RunConfig; readonly indices: Int32Array; readonly offsets: Int32Array; readonly clientIds: Int32Array; readonly clientGroups: Int32Array }
  | { readonly type: 'init-replica'; readonly start: StartMsg }
  | { readonly type: 'apply-update'; readonly grads: readonly Float32Array[] }
  | { readonly type: 'compute-gradients'; readonly step: number; readonly batchSize: number }
  /**
   * Analytic algos: run the hosted clients' rows through the solved `weights` and accumulate layer `layer`'s
   * statistics per client group; with a non-empty roster, mask them with every other member's key.
   */
  | { readonly type: 'accumulate-layer'; readonly layer: number; readonly weights: readonly Float64Array[]; readonly groups: number; readonly roster: readonly string[]; readonly rosterKeys: Uint8Array }
  | { readonly type: 'make-mask-key' }
  | { readonly type: 'reveal-keys'; readonly layer: number; readonly dropped: readonly string[] }
  /** Analytic algos, after the last layer: each client's local accuracy (and personal head, given group heads). */
  | { readonly type: 'personalize'; readonly weights: readonly Float64Array[]; readonly groupHeads: Float64Array; readonly groups: number }
  /** FedAvg: train every hosted client from `params` (round < epochs), or only report local accuracies (round = epochs). */
  | { readonly type: 'fedavg-train'; readonly round: number; readonly params: readonly Float32Array[] }
  | { readonly type: 'fedavg-report'; readonly params: readonly Float32Array[] }
  /** DASO: hand a plan, schedule or peer message to the runner (daso-runner.ts), which checks it. */
  | { readonly type: 'daso-message'; readonly from: PeerId; readonly msg: DasoMessage }
  /** Second-order runs: the shard layout, one shard operation, one curvature computation (shard-host.ts). */
  | { readonly type: 'shard-plan'; readonly msg: ShardPlanMsg }
  | { readonly type: 'shard-op'; readonly msg: ShardOpMsg }
  | { readonly type: 'curvature'; readonly msg: CurvatureRequestMsg }
  /** DHO2 consensus ADMM: run a round's local steps (admm-local.ts); install eigen-information for the next ones. */
  | { readonly type: 'admm-train'; readonly msg: AdmmRoundMsg }
  | { readonly type: 'admm-curvature'; readonly msg: AdmmCurvatureMsg }
  /** DASO: train from `epoch` with `batchSize` samples per batch (after init-replica). */
  | { readonly type: 'daso-run'; readonly epoch: number; readonly batchSize: number }
  /** DASO RTT grouping: ping the probe's peers and answer the coordinator with `daso-rtt` (rtt-probe.ts). */
  | { readonly type: 'daso-probe'; readonly msg: DasoProbeMsg }
  /** DASO RTT grouping: `from` answered ping `nonce` (the prober checks both against its outstanding pings). */
  | { readonly type: 'daso-pong'; readonly from: PeerId; readonly nonce: number }
  | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string };

export interface WorkerContext {
  /** This tab's peer id (its place in a masking roster). */
  readonly self: string;
  readonly room: string;
  readonly device: DeviceInfo;
}

interface Out {
  readonly state: WorkerState;
  readonly commands: WorkerCommand[];
}

export function initialWorkerState(coordinator: PeerId, now: number): WorkerState {
  return {
    phase: 'connecting', coordinator, config: null, partitionSize: 0, clients: 0, members: [], step: 0, epoch: 0,
    working: null, loss: Number.NaN, testAccuracy: Number.NaN, lastSeenCoordinator: now, failure: null, succession: [], coordinatorLost: false,
  };
}

export function createWorkerReducer(ctx: WorkerContext) {
  const done = (state: WorkerState, commands: WorkerCommand[] = []): Out => ({ state, commands });
  const fail = (s: WorkerState, why: string, extra: WorkerCommand[] = []): Out =>
    done({ ...s, phase: 'failed', failure: why, working: null }, [...extra, log('error', why), { type: 'finished', ok: false, reason: why }]);

  function fromCoordinator(s: WorkerState, msg: Message): Out {
    const runOk = (runId: string): boolean => s.config !== null && runId === s.config.runId;
    switch (msg.type) {
      case 'welcome':
        return done({ ...s, phase: s.phase === 'connecting' ? 'joined' : s.phase, members: msg.members }, [log('info', `joined room ${ctx.room}`)]);
      case 'incompatible':
        return fail(s, `coordinator refused us: ${msg.reason}`);
      case 'heartbeat':
        return done(s);
      case 'assign': return onAssign(s, msg);
      case 'start': {
        if (!runOk(msg.runId)) return done(s, [log('warn', 'start for an unknown run ignored')]);
        if (s.config?.algo === 'daso') {
          return done({ ...s, phase: 'training', step: msg.step, epoch: msg.epoch, working: null }, [{ type: 'init-replica', start: msg }, { type: 'daso-run', epoch: msg.epoch, batchSize: msg.batchSize }]);
        }
        const next: WorkerState = { ...s, phase: 'training', step: msg.step, epoch: msg.epoch, working: msg.batchSize > 0 ? msg.step : null };
        const cmds: WorkerCommand[] = [{ type: 'init-replica', start: msg }];
        if (msg.batchSize > 0) cmds.push({ type: 'compute-gradients', step: msg.step, batchSize: msg.batchSize });
        return done(next, cmds);
      }
      case 'update': {
        if (!runOk(msg.runId) || s.phase !== 'training' || msg.step !== s.step) return done(s, [log('warn', `update for step ${msg.step} ignored (at ${s.step})`)]);
        const step = msg.step + 1;
        const next: WorkerState = { ...s, step, epoch: msg.epoch, working: msg.nextBatchSize > 0 ? step : null };
        const cmds: WorkerCommand[] = [{ type: 'apply-update', grads: msg.grads.map((g) => g.data as Float32Array) }];
        if (msg.nextBatchSize > 0) cmds.push({ type: 'compute-gradients', step, batchSize: msg.nextBatchSize });
        return done(next, cmds);
      }
      case 'succession':
        return runOk(msg.runId) ? done({ ...s, succession: msg.order }) : done(s);
      case 'progress':
        return done({ ...s, loss: msg.loss ?? Number.NaN, testAccuracy: msg.testAccuracy ?? Number.NaN, epoch: msg.epoch });
      case 'done':
        return done({ ...s, phase: msg.ok ? 'done' : 'failed', working: null, failure: msg.ok ? null : msg.reason }, [
          log('info', `run ended: ${msg.reason}`), { type: 'finished', ok: msg.ok, reason: msg.reason },
        ]);
      case 'error':
        return done(s, [log('warn', `coordinator says ${msg.code}: ${msg.detail}`)]);
      case 'layer-request': {
        if (!runOk(msg.runId) || !isAnalytic(s.config)) return done(s, [log('warn', `layer-request for an unknown run ignored`)]);
        if (msg.roster.length > 0 && !msg.roster.includes(ctx.self)) return done(s, [log('warn', `layer-request ${msg.layer} without this tab in its roster ignored`)]);
        const weights = msg.weights.flatMap((w) => (w.data instanceof Float64Array ? [w.data] : []));
        return done({ ...s, phase: 'training', step: msg.layer, working: msg.layer }, [
          { type: 'accumulate-layer', layer: msg.layer, weights, groups: msg.groups, roster: msg.roster, rosterKeys: msg.rosterKeys.data as Uint8Array },
        ]);
      }
      case 'unmask-request':
        if (!runOk(msg.runId) || s.config?.masking !== true) return done(s, [log('warn', 'unmask-request for an unknown run ignored')]);
        return done(s, [log('warn', `revealing this tab's layer-${msg.layer} mask keys with ${msg.dropped.join(', ')} (they left the round)`), { type: 'reveal-keys', layer: msg.layer, dropped: msg.dropped }]);
      case 'personalize': {
        if (!runOk(msg.runId) || !isAnalytic(s.config)) return done(s, [log('warn', 'personalize for an unknown run ignored')]);
        const weights = msg.weights.flatMap((w) => (w.data instanceof Float64Array ? [w.data] : []));
        const heads = msg.groupHeads.data instanceof Float64Array ? msg.groupHeads.data : new Float64Array(0);
        return done({ ...s, phase: 'training' }, [{ type: 'personalize', weights, groupHeads: heads, groups: msg.groupHeads.shape[0] ?? 0 }]);
      }
      case 'fedavg-round': {
        if (!runOk(msg.runId) || s.config?.algo !== 'fedavg') return done(s, [log('warn', 'fedavg-round for an unknown run ignored')]);
        const params = msg.params.map((p) => p.data as Float32Array);
        const final = msg.round >= s.config.epochs;
        return done({ ...s, phase: 'training', step: msg.round, epoch: msg.round, working: final ? null : msg.round }, [
          final ? { type: 'fedavg-report', params } : { type: 'fedavg-train', round: msg.round, params },
        ]);
      }
      case 'daso-plan': case 'daso-schedule':
        if (!runOk(msg.runId) || s.config?.algo !== 'daso') return done(s, [log('warn', `${msg.type} for an unknown run ignored`)]);
        return done(s, [{ type: 'daso-message', from: s.coordinator, msg }]);
      case 'daso-probe':
        // Probes come before the plan and its assign (the groups are what they measure for), so before a config too.
        if (s.config !== null && (!runOk(msg.runId) || s.config.algo !== 'daso')) return done(s, [log('warn', 'daso-probe for an unknown run ignored')]);
        return done(s, [{ type: 'daso-probe', msg }]);
      // A coordinator that measures its own links pings like any peer.
      case 'daso-ping': return onDasoPing(s, s.coordinator, msg);
      case 'shard-plan': case 'shard-op': case 'curvature-request': {
        if (!runOk(msg.runId) || !isSecondOrder(s.config)) return done(s, [log('warn', `${msg.type} for an unknown run ignored`)]);
        const cmd: WorkerCommand = msg.type === 'shard-plan' ? { type: 'shard-plan', msg } : msg.type === 'shard-op' ? { type: 'shard-op', msg } : { type: 'curvature', msg };
        return done(s, [cmd]);
      }
      case 'admm-round':
        if (!runOk(msg.runId) || s.config?.algo !== 'dho2' || s.phase !== 'training') return done(s, [log('warn', 'admm-round for an unknown run ignored')]);
        if (s.working !== null) return done(s, [log('warn', `admm-round ${msg.round} while round ${s.working} runs: ignored`)]);
        return done({ ...s, step: msg.step, working: msg.round }, [{ type: 'admm-train', msg }]);
      case 'admm-curvature':
        if (!runOk(msg.runId) || s.config?.algo !== 'dho2') return done(s, [log('warn', 'admm-curvature for an unknown run ignored')]);
        return done(s, [{ type: 'admm-curvature', msg }]);
      case 'admm-update':
      case 'hello': case 'gradients': case 'layer-stats': case 'mask-key': case 'masked-stats': case 'mask-reveal': case 'client-report': case 'fedavg-update':
      case 'daso-grads': case 'daso-global': case 'daso-params': case 'daso-epoch': case 'daso-rtt': case 'shard-reply': case 'curvature-reply':
        return done(s, [log('warn', `unexpected '${msg.type}' from the coordinator ignored`)]);
      default:
        return assertNever(msg);
    }
  }

  /**
   * DASO RTT grouping: answer a ping with the same nonce and `pong: true`; hand a pong to the prober. A peer may
   * ping before this tab has its assign (it got its probe first), so an unknown config does not refuse it.
   */
  function onDasoPing(s: WorkerState, from: PeerId, msg: DasoPingMsg): Out {
    return done(s, [dasoPingCommand(s, from, msg)]);
  }

  function onAssign(s: WorkerState, msg: AssignMsg): Out {
    const cmds: WorkerCommand[] = [{
      type: 'set-partition', config: msg.config, indices: msg.indices.data as Int32Array, offsets: msg.offsets.data as Int32Array,
      clientIds: msg.clientIds.data as Int32Array, clientGroups: msg.clientGroups.data as Int32Array,
    }];
    if (msg.config.masking && isAnalytic(msg.config)) cmds.push({ type: 'make-mask-key' });
    return done({ ...s, config: msg.config, partitionSize: msg.indices.data.length, clients: msg.clientIds.data.length }, cmds);
  }

  return function reduce(s: WorkerState, e: WorkerEvent): Out {
    switch (e.type) {
      case 'connected':
        return done({ ...s, lastSeenCoordinator: e.now }, [
          send(s.coordinator, { type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room: ctx.room, device: ctx.device }),
        ]);
      case 'message': {
        if (e.from !== s.coordinator) {
          const m = e.msg;
          const peerMsg = m.type === 'daso-grads' || m.type === 'daso-global' || m.type === 'daso-params';
          // A group peer may start before this tab has its own assign or plan: the runtime buffers until then.
          if (peerMsg && (s.config === null || s.config.algo === 'daso')) return done(s, [{ type: 'daso-message', from: e.from, msg: m }]);
          if (m.type === 'daso-ping') return onDasoPing(s, e.from, m);
          return done(s, [log('warn', `message '${m.type}' from non-coordinator ${e.from} ignored`)]);
        }
        const seen = { ...s, lastSeenCoordinator: e.now };
        return fromCoordinator(seen, e.msg);
      }
      case 'peer-alive':
        // Part of a long message from the coordinator (e.g. the model) is arriving: it is alive.
        return e.peer === s.coordinator ? done({ ...s, lastSeenCoordinator: Math.max(s.lastSeenCoordinator, e.now) }) : done(s);
      case 'peer-left':
        if (e.peer !== s.coordinator || s.phase === 'done' || s.phase === 'failed') return done(s);
        return fail({ ...s, coordinatorLost: s.phase === 'training' }, `coordinator left: ${e.reason}`);
      case 'tick': {
        if (s.phase === 'done' || s.phase === 'failed') return done(s);
        // After this tab's own stall the coordinator's heartbeats may still be queued: grant a fresh grace period.
        if (e.stalled === true) return done({ ...s, lastSeenCoordinator: Math.max(s.lastSeenCoordinator, e.now - HEARTBEAT_INTERVAL_MS) }, [send(s.coordinator, { type: 'heartbeat', sentAt: e.now })]);
        if (e.now - s.lastSeenCoordinator > COORDINATOR_TIMEOUT_MS) return fail({ ...s, coordinatorLost: s.phase === 'training' }, `coordinator silent for ${COORDINATOR_TIMEOUT_MS} ms`);
        return done(s, [send(s.coordinator, { type: 'heartbeat', sentAt: e.now })]);
      }
      case 'gradients-ready': {
        if (s.config === null || e.step !== s.working) return done(s, [log('warn', `gradients for step ${e.step} dropped`)]);
        const grads = e.grads.map((g) => f32([g.length], g));
        return done({ ...s, working: null }, [
          send(s.coordinator, { type: 'gradients', runId: s.config.runId, step: e.step, count: e.count, lossSum: e.lossSum, grads }),
        ]);
      }
      case 'layer-stats-ready': {
        if (s.config === null || e.layer !== s.working) return done(s, [log('warn', `statistics of layer ${e.layer} dropped`)]);
        return done({ ...s, working: null }, [send(s.coordinator, layerStatsMessage(s.config.runId, e.layer, e.stats))]);
      }
      case 'masked-stats-ready': {
        if (s.config === null || e.layer !== s.working) return done(s, [log('warn', `masked statistics of layer ${e.layer} dropped`)]);
        return done({ ...s, working: null }, [send(s.coordinator, { type: 'masked-stats', runId: s.config.runId, layer: e.layer, ring: f64([e.ring.length], e.ring) })]);
      }
      case 'mask-key-ready':
        if (s.config === null) return done(s);
        return done(s, [send(s.coordinator, { type: 'mask-key', runId: s.config.runId, publicKey: u8([e.publicKey.length], e.publicKey) })]);
      case 'keys-revealed':
        if (s.config === null) return done(s);
        return done(s, [send(s.coordinator, { type: 'mask-reveal', runId: s.config.runId, layer: e.layer, dropped: e.dropped, keys: u8([e.dropped.length, PAIR_KEY_BYTES], e.keys) })]);
      case 'client-report-ready':
        if (s.config === null) return done(s);
        return done(s, [send(s.coordinator, { type: 'client-report', runId: s.config.runId, clients: f64([e.rows.length / CLIENT_REPORT_COLUMNS, CLIENT_REPORT_COLUMNS], e.rows) })]);
      case 'fedavg-ready': {
        if (s.config === null || e.round !== s.working) return done(s, [log('warn', `FedAvg round ${e.round} result dropped`)]);
        const params = e.params.map((p) => f32([p.length], p));
        return done({ ...s, working: null }, [send(s.coordinator, { type: 'fedavg-update', runId: s.config.runId, round: e.round, count: e.count, lossSum: e.lossSum, params })]);
      }
      case 'admm-ready': {
        if (s.config === null || e.round !== s.working) return done(s, [log('warn', `ADMM round ${e.round} result dropped`)]);
        const params = e.params.map((p) => f32([p.length], p));
        return done({ ...s, working: null }, [send(s.coordinator, { type: 'admm-update', runId: s.config.runId, round: e.round, count: e.count, lossSum: e.lossSum, params })]);
      }
      case 'job-failed':
        return fail(s, `compute failed: ${e.detail}`, [send(s.coordinator, { type: 'error', code: 'compute-failed', detail: e.detail })]);
      default:
        return assertNever(e);
    }
  };
}

const isSecondOrder = (config: RunConfig | null): boolean => config?.algo === 'dho2' || config?.algo === 'kfac';

const isAnalytic = (config: RunConfig | null): boolean => config?.algo === 'fedacnnl' || config?.algo === 'pfedacnnl';

/** One message for G group sums: counts [G], packed A [G, P], B [G, dIn, classes]. */
export function layerStatsMessage(runId: string, layer: number, stats: readonly GramStats[]): LayerStatsMsg {
  const first = stats[0];
  const p = first?.aUpper.length ?? 0;
  const q = first?.b.length ?? 0;
  const a = new Float64Array(stats.length * p);
  const b = new Float64Array(stats.length * q);
  stats.forEach((st, g) => { a.set(st.aUpper, g * p); b.set(st.b, g * q); });
  return {
    type: 'layer-stats', runId, layer,
    counts: i32([stats.length], Int32Array.from(stats, (st) => st.count)),
    a: f64([stats.length, p], a),
    b: f64([stats.length, first?.dIn ?? 0, first?.dOut ?? 0], b),
  };
}

/**
 * What a `daso-ping` calls for: a ping is answered (same nonce, `pong` true), a pong goes to the prober, and
 * one for another run is only logged. Exported so the runtime can act on pings as they arrive, ahead of its
 * serial command queue (runtime.ts): a ping that waited behind a long command would time the queue, not the link.
 */
export function dasoPingCommand(s: WorkerState, from: PeerId, msg: DasoPingMsg): WorkerCommand {
  const ok = s.config === null || (s.config.algo === 'daso' && msg.runId === s.config.runId);
  if (!ok) return log('warn', `daso-ping from ${from} for an unknown run ignored`);
  return msg.pong ? { type: 'daso-pong', from, nonce: msg.nonce } : send(from, { ...msg, pong: true });
}
