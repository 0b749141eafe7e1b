/** Composes the public SwarmStatus snapshot from the runtimes' states (pure mapping, no I/O). */
import type { CoordinatorState } from '../roles/coordinator/state.ts';
import type { WorkerState } from '../roles/worker/state.ts';
import type { LogEntry } from '../roles/role-host.ts';
import type { DeviceRow, SwarmStatus } from '../ui/snapshot.ts';
import { batchShares } from '../core/plan/batch-shares.ts';
import { analyticPlan, layerCount, layerFeatures } from '../roles/analytic-plan.ts';
import { meanLocalAccuracy } from '../roles/coordinator/client-reports.ts';
import type { ClientRow, DasoSnapshot, DasoWorkerSnapshot, SecondOrderSnapshot } from '../ui/snapshot.ts';
import type { CoordinatorRuntime } from '../roles/coordinator/runtime.ts';

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

type CoordinatorView = Pick<SwarmStatus, 'phase' | 'epoch' | 'epochs' | 'step' | 'stepsPerEpoch' | 'loss' | 'testAccuracy' | 'devices' | 'startedAt' | 'endedAt' | 'clients' | 'analytic' | 'meanLocalAccuracy' | 'meanPersonalAccuracy'>;

function histogram(indices: Int32Array, labels: Uint8Array): number[] {
  const hist = new Array<number>(10).fill(0);
  for (const i of indices) { const l = labels[i] ?? 0; hist[l] = (hist[l] ?? 0) + 1; }
  return hist;
}

function clientRows(s: CoordinatorState, labels: Uint8Array): ClientRow[] {
  return s.clients.map((c) => {
    const r = s.clientReports[c.id];
    return {
      id: c.id, host: c.host, rows: c.indices.length, labelHistogram: histogram(c.indices, labels), group: c.group,
      globalAccuracy: r ? finite(r.globalAccuracy) : null, personalAccuracy: r ? finite(r.personalAccuracy) : null, lambda: r ? finite(r.lambda) : null,
    };
  });
}

export function coordinatorView(s: CoordinatorState, labels: Uint8Array, now: number): CoordinatorView {
  const activeIds = Object.values(s.members).filter((m) => m.active && !m.excluded);
  const speeds = Object.fromEntries(activeIds.map((m) => [m.id, m.device.samplesPerSec]));
  const shares = s.phase === 'training' ? batchShares(s.config.globalBatch, speeds) : {};
  const devices: DeviceRow[] = Object.values(s.members).map((m) => {
    const idx = m.slot === null ? null : s.slots[m.slot];
    const hist = idx ? histogram(idx, labels) : new Array<number>(10).fill(0);
    const hosted = s.clients.filter((c) => c.host === m.id);
    return {
      id: m.id, backend: m.device.backend, adapter: m.device.adapter, reason: m.device.reason,
      samplesPerSec: m.device.samplesPerSec, memoryBytes: m.device.memoryBytes, selfTestPassed: m.device.selfTestPassed,
      partitionSize: idx?.length ?? hosted.reduce((n, c) => n + c.indices.length, 0),
      labelHistogram: idx ? hist : hosted.reduce((h, c) => h.map((v, k) => v + (histogram(c.indices, labels)[k] ?? 0)), hist), batchShare: shares[m.id] ?? 0, active: m.active,
      lastSeenMs: Math.max(0, now - m.lastSeen),
    };
  });
  const federated = {
    clients: clientRows(s, labels), analytic: null,
    meanLocalAccuracy: finite(meanLocalAccuracy(s, 'globalAccuracy')), meanPersonalAccuracy: finite(meanLocalAccuracy(s, 'personalAccuracy')),
  };
  if (s.config.algo === 'fedacnnl' || s.config.algo === 'pfedacnnl') {
    // One pass: a "step" is a solved layer, and the whole run is one epoch.
    const plan = analyticPlan(s.config, 784, 10);
    const layers = layerCount(plan);
    const a = s.analytic;
    const solved = a?.solved.length ?? 0;
    const analytic = {
      solved, layers, received: a?.received.length ?? 0, expected: a?.expected.length ?? 0, groups: a?.sums.length ?? 1,
      masked: s.masking !== null, layerInputs: Array.from({ length: layers }, (_, l) => layerFeatures(plan, l) + 1),
    };
    return {
      ...federated, analytic, phase: s.phase, epoch: s.phase === 'done' ? 1 : 0, epochs: 1, step: solved, stepsPerEpoch: layers,
      loss: null, testAccuracy: finite(s.testAccuracy), devices, startedAt: s.startedAt, endedAt: s.endedAt,
    };
  }
  if (s.config.algo === 'fedavg') {
    // A "step" and an "epoch" are both a communication round.
    const rounds = s.fedavg?.round ?? 0;
    return {
      ...federated, phase: s.phase, epoch: rounds, epochs: s.config.epochs, step: rounds, stepsPerEpoch: 1,
      loss: finite(s.loss), testAccuracy: finite(s.testAccuracy), devices, startedAt: s.startedAt, endedAt: s.endedAt,
    };
  }
  return {
    ...federated, phase: s.phase, epoch: s.epoch, epochs: s.config.epochs, step: s.step, stepsPerEpoch: s.stepsPerEpoch,
    loss: finite(s.loss), testAccuracy: finite(s.testAccuracy), devices, startedAt: s.startedAt, endedAt: s.endedAt,
  };
}

export function workerView(s: WorkerState): Pick<SwarmStatus, 'phase' | 'epoch' | 'epochs' | 'step' | 'stepsPerEpoch' | 'loss' | 'testAccuracy' | 'error'> {
  return {
    phase: s.phase === 'connecting' ? 'connecting' : s.phase,
    epoch: s.epoch, epochs: s.config?.epochs ?? 0, step: s.step, stepsPerEpoch: 0,
    loss: finite(s.loss), testAccuracy: finite(s.testAccuracy), error: s.failure,
  };
}

export function logLines(logs: readonly LogEntry[]): SwarmStatus['log'] {
  return logs.slice(-100).map((l) => ({ at: l.at, level: l.level, text: l.text }));
}

/** DASO runs: the coordinator's groups and schedule trace (when `s` is given) and this tab's worker; null otherwise. */
export function dasoView(s: CoordinatorState | null, worker: DasoWorkerSnapshot | null): DasoSnapshot | null {
  const run = s?.daso ?? null;
  if (run === null && worker === null) return null;
  return {
    groups: run?.groups.map((g) => ({ key: g.key, source: g.source, members: [...g.members] })) ?? [],
    trace: run?.trace.map((t) => ({ epoch: t.epoch, globalSkip: t.globalSkip, localSkip: t.localSkip, batchesToWait: t.batchesToWait, phase: t.phase })) ?? [],
    worker,
  };
}

/** The second-order snapshot: the conductor's view (coordinator) plus this tab's own shard size. */
export function secondOrderView(conductor: ReturnType<CoordinatorRuntime['secondOrderStatus']>, algo: string, ownFloats: number): SecondOrderSnapshot | null {
  if (conductor === null) {
    if (algo !== 'dho2' && algo !== 'kfac') return null;
    return { algo, variant: '', extrapolate: false, shards: [], job: null, eigvals: [], eigenStep: -1, installs: 0, dropped: 0, lastJobSeconds: 0, ownFloats, admm: null };
  }
  if (conductor.algo === 'dho2') {
    const a = conductor.status.admm;
    // Copied field by field: the snapshot is plain data, never the conductor's own object.
    const admm = a === null ? null : { round: a.round, primal: a.primal, dual: a.dual, rho: a.rho };
    return { algo: 'dho2', ...conductor.status, ownFloats, admm };
  }
  const k = conductor.status;
  return {
    algo: 'kfac', variant: '', extrapolate: false, shards: k.shards, job: null, eigvals: [], eigenStep: -1,
    installs: k.refreshes, dropped: k.failures, lastJobSeconds: k.lastRefreshSeconds, ownFloats, admm: null,
  };
}
