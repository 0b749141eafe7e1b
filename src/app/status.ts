/** Composes the public SwarmStatus snapshot from the runtimes' states (pure mapping, no I/O). */
import type { CoordinatorState } from '../roles/coordinator/state.ts';
import type { WorkerState } from '../roles/worker/state.ts';
import type { LogEntry } from '../roles/role-host.ts';
import type { DeviceRow, SwarmStatus } from '../ui/snapshot.ts';
import { batchShares } from '../core/plan/batch-shares.ts';
import { analyticPlan, layerCount } from '../roles/analytic-plan.ts';

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function coordinatorView(s: CoordinatorState, labels: Uint8Array, now: number): Pick<SwarmStatus, 'phase' | 'epoch' | 'epochs' | 'step' | 'stepsPerEpoch' | 'loss' | 'testAccuracy' | 'devices' | 'startedAt' | 'endedAt'> {
  const activeIds = Object.values(s.members).filter((m) => m.active && !m.excluded);
  const speeds = Object.fromEntries(activeIds.map((m) => [m.id, m.device.samplesPerSec]));
  const shares = s.phase === 'training' ? batchShares(s.config.globalBatch, speeds) : {};
  const devices: DeviceRow[] = Object.values(s.members).map((m) => {
    const idx = m.slot === null ? null : s.slots[m.slot];
    const hist = new Array<number>(10).fill(0);
    if (idx) for (const i of idx) { const l = labels[i] ?? 0; hist[l] = (hist[l] ?? 0) + 1; }
    return {
      id: m.id, backend: m.device.backend, adapter: m.device.adapter, reason: m.device.reason,
      samplesPerSec: m.device.samplesPerSec, memoryBytes: m.device.memoryBytes, selfTestPassed: m.device.selfTestPassed,
      partitionSize: idx?.length ?? 0, labelHistogram: hist, batchShare: shares[m.id] ?? 0, active: m.active,
      lastSeenMs: Math.max(0, now - m.lastSeen),
    };
  });
  if (s.config.algo === 'fedacnnl') {
    // One pass: a "step" is a solved layer, and the whole run is one epoch.
    const layers = layerCount(analyticPlan(s.config, 784, 10));
    const solved = s.analytic?.solved.length ?? 0;
    return {
      phase: s.phase, epoch: s.phase === 'done' ? 1 : 0, epochs: 1, step: solved, stepsPerEpoch: layers,
      loss: null, testAccuracy: finite(s.testAccuracy), devices, startedAt: s.startedAt, endedAt: s.endedAt,
    };
  }
  return {
    phase: s.phase, epoch: s.epoch, epochs: s.config.epochs, step: s.step, stepsPerEpoch: s.stepsPerEpoch,
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
