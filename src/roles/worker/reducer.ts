/**
 * The worker role as a pure reducer. A worker says hello with its device report, receives its data
 * partition, builds its replica from `start`, and then loops: compute the gradient for step t on its batch
 * share, send it, apply the coordinator's mean gradient, repeat.
 */
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import type { PeerId } from '../../core/ids.ts';
import { assertNever } from '../../core/result.ts';
import { PROTOCOL_VERSION } from '../../protocol/version.ts';
import type { DeviceInfo, Message, RunConfig, StartMsg } from '../../protocol/messages.ts';
import { PEER_TIMEOUT_MS, log, send, type CommonCommand } from '../commands.ts';
import type { WorkerState } from './state.ts';

export type WorkerEvent =
  | { readonly type: 'connected'; readonly now: number }
  | { readonly type: 'message'; readonly from: PeerId; readonly msg: Message; readonly now: number }
  | { readonly type: 'peer-left'; readonly peer: PeerId; readonly reason: string; readonly now: number }
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'gradients-ready'; readonly step: number; readonly count: number; readonly lossSum: number; readonly grads: readonly Float32Array[]; readonly now: number }
  /** algo 'fedacnnl': this worker's statistics of `layer` are ready. */
  | { readonly type: 'layer-stats-ready'; readonly layer: number; readonly stats: GramStats; readonly now: number }
  | { readonly type: 'job-failed'; readonly detail: string; readonly now: number };

export type WorkerCommand =
  | CommonCommand
  | { readonly type: 'set-partition'; readonly config: RunConfig; readonly indices: Int32Array }
  | { readonly type: 'init-replica'; readonly start: StartMsg }
  | { readonly type: 'apply-update'; readonly grads: readonly Float32Array[] }
  | { readonly type: 'compute-gradients'; readonly step: number; readonly batchSize: number }
  /** algo 'fedacnnl': run the partition through the solved `weights` and accumulate layer `layer`'s statistics. */
  | { readonly type: 'accumulate-layer'; readonly layer: number; readonly weights: readonly Float64Array[] }
  | { readonly type: 'finished'; readonly ok: boolean; readonly reason: string };

export interface WorkerContext {
  readonly room: string;
  readonly device: DeviceInfo;
}

interface Out {
  readonly state: WorkerState;
  readonly commands: WorkerCommand[];
}

export function initialWorkerState(coordinator: PeerId, now: number): WorkerState {
  return {
    phase: 'connecting', coordinator, config: null, partitionSize: 0, members: [], step: 0, epoch: 0,
    working: null, loss: Number.NaN, testAccuracy: Number.NaN, lastSeenCoordinator: now, failure: null,
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
      case 'assign':
        return done({ ...s, config: msg.config, partitionSize: msg.indices.data.length }, [
          { type: 'set-partition', config: msg.config, indices: msg.indices.data as Int32Array },
        ]);
      case 'start': {
        if (!runOk(msg.runId)) return done(s, [log('warn', 'start for an unknown run ignored')]);
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
      case 'progress':
        return done({ ...s, loss: msg.loss ?? Number.NaN, testAccuracy: msg.testAccuracy ?? Number.NaN, epoch: msg.epoch });
      case 'done':
        return done({ ...s, phase: msg.ok ? 'done' : 'failed', working: null, failure: msg.ok ? null : msg.reason }, [
          log('info', `run ended: ${msg.reason}`), { type: 'finished', ok: msg.ok, reason: msg.reason },
        ]);
      case 'error':
        return done(s, [log('warn', `coordinator says ${msg.code}: ${msg.detail}`)]);
      case 'layer-request': {
        if (!runOk(msg.runId) || s.config?.algo !== 'fedacnnl') return done(s, [log('warn', `layer-request for an unknown run ignored`)]);
        const weights = msg.weights.flatMap((w) => (w.data instanceof Float64Array ? [w.data] : []));
        return done({ ...s, phase: 'training', step: msg.layer, working: msg.layer }, [{ type: 'accumulate-layer', layer: msg.layer, weights }]);
      }
      case 'hello': case 'gradients': case 'layer-stats':
        return done(s, [log('warn', `unexpected '${msg.type}' from the coordinator ignored`)]);
      default:
        return assertNever(msg);
    }
  }

  return function reduce(s: WorkerState, e: WorkerEvent): Out {
    switch (e.type) {
      case 'connected':
        return done({ ...s, lastSeenCoordinator: e.now }, [
          send(s.coordinator, { type: 'hello', protocolVersion: PROTOCOL_VERSION, role: 'worker', room: ctx.room, device: ctx.device }),
        ]);
      case 'message': {
        if (e.from !== s.coordinator) return done(s, [log('warn', `message '${e.msg.type}' from non-coordinator ${e.from} ignored`)]);
        const seen = { ...s, lastSeenCoordinator: e.now };
        return fromCoordinator(seen, e.msg);
      }
      case 'peer-left':
        return e.peer === s.coordinator && s.phase !== 'done' ? fail(s, `coordinator left: ${e.reason}`) : done(s);
      case 'tick': {
        if (s.phase === 'done' || s.phase === 'failed') return done(s);
        if (e.now - s.lastSeenCoordinator > PEER_TIMEOUT_MS) return fail(s, 'coordinator silent: no heartbeat');
        return done(s, [send(s.coordinator, { type: 'heartbeat', sentAt: e.now })]);
      }
      case 'gradients-ready': {
        if (s.config === null || e.step !== s.working) return done(s, [log('warn', `gradients for step ${e.step} dropped`)]);
        const grads = e.grads.map((g) => ({ dtype: 'float32' as const, shape: [g.length], data: g }));
        return done({ ...s, working: null }, [
          send(s.coordinator, { type: 'gradients', runId: s.config.runId, step: e.step, count: e.count, lossSum: e.lossSum, grads }),
        ]);
      }
      case 'layer-stats-ready': {
        if (s.config === null || e.layer !== s.working) return done(s, [log('warn', `statistics of layer ${e.layer} dropped`)]);
        const { stats } = e;
        return done({ ...s, working: null }, [send(s.coordinator, {
          type: 'layer-stats', runId: s.config.runId, layer: e.layer, count: stats.count,
          a: { dtype: 'float64', shape: [stats.aUpper.length], data: stats.aUpper },
          b: { dtype: 'float64', shape: [stats.dIn, stats.dOut], data: stats.b },
        })]);
      }
      case 'job-failed':
        return fail(s, `compute failed: ${e.detail}`, [send(s.coordinator, { type: 'error', code: 'compute-failed', detail: e.detail })]);
      default:
        return assertNever(e);
    }
  };
}
