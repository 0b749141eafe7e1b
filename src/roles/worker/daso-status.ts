/**
 * What a DASO worker shows on the dashboard and to the benchmark (`window.swarm.status().daso`): its groups,
 * where it is, the schedule, whether it is in the current global sync set, and the bytes it sent on local
 * (in-group) vs global (cross-group) links. Payload bytes: framing adds well under 1 % at these sizes.
 */
import type { DeviceGroup } from '../../core/daso/groups.ts';
import type { DasoScheduleMsg } from '../../protocol/messages.ts';

export interface DasoWorkerStatus {
  /** Member ids of every group, in the plan's order. */
  readonly groups: readonly (readonly string[])[];
  /** Index of this worker's group, -1 when it is in none. */
  readonly group: number;
  readonly schedule: Omit<DasoScheduleMsg, 'type' | 'runId'> | null;
  readonly epoch: number;
  readonly batch: number;
  /** Slot of the latest global sync, -1 before the first; and whether this worker was in its set. */
  readonly slot: number;
  readonly inGlobalSet: boolean;
  readonly bytesLocal: number;
  readonly bytesGlobal: number;
  /** Global syncs this worker took part in, merges it made, peer messages ignored (late, duplicate). */
  readonly globalSyncs: number;
  readonly merges: number;
  readonly ignored: number;
  readonly failure: string | null;
}

export interface DasoStatusSource {
  readonly groups: readonly DeviceGroup[];
  readonly self: string;
  readonly schedule: DasoScheduleMsg | null;
  readonly counters: { readonly bytesLocal: number; readonly bytesGlobal: number; readonly globalSyncs: number; readonly merges: number; readonly ignored: number; readonly epoch: number; readonly batch: number; readonly slot: number; readonly inSet: boolean };
  readonly failure: string | null;
}

export function dasoStatusOf(s: DasoStatusSource): DasoWorkerStatus {
  const c = s.counters;
  const sc = s.schedule;
  return {
    groups: s.groups.map((g) => [...g.members]),
    group: s.groups.findIndex((g) => g.members.some((m) => m === s.self)),
    schedule: sc === null ? null : { epoch: sc.epoch, globalSkip: sc.globalSkip, localSkip: sc.localSkip, batchesToWait: sc.batchesToWait, phase: sc.phase },
    epoch: c.epoch, batch: c.batch, slot: c.slot, inGlobalSet: c.inSet,
    bytesLocal: c.bytesLocal, bytesGlobal: c.bytesGlobal, globalSyncs: c.globalSyncs, merges: c.merges, ignored: c.ignored,
    failure: s.failure,
  };
}
