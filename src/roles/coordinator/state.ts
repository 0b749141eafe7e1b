/** Coordinator state: plain data, rendered by the UI and advanced only by the reducer. */
import type { AnalyticLayer } from '../../core/analytic/fedacnnl.ts';
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import type { PeerId } from '../../core/ids.ts';
import type { DeviceInfo, RunConfig } from '../../protocol/messages.ts';

export type CoordinatorPhase = 'recruiting' | 'training' | 'evaluating-final' | 'done' | 'failed';

export interface Member {
  readonly id: PeerId;
  readonly device: DeviceInfo;
  readonly lastSeen: number;
  /** Index of the data partition this member trains on, or null until assigned. */
  readonly slot: number | null;
  /** True once the member holds a replica and takes part in steps. */
  readonly active: boolean;
  /** True when the member failed the numeric self-test and must not be given work. */
  readonly excluded: boolean;
}

export interface StepContribution {
  readonly count: number;
  readonly lossSum: number;
  readonly grads: readonly Float32Array[];
}

export interface PendingStep {
  readonly step: number;
  readonly expected: readonly PeerId[];
  readonly received: Readonly<Record<string, StepContribution>>;
}

/** The FedACnnL layer being collected (algo 'fedacnnl'): who must answer, who has, and the running sum. */
export interface AnalyticRound {
  /** Layer being collected; equals `solved.length` (all layers solved: the run is evaluating or done). */
  readonly layer: number;
  readonly solved: readonly AnalyticLayer[];
  readonly expected: readonly PeerId[];
  readonly received: readonly PeerId[];
  /** Validated float64 sum of the received workers' statistics. */
  readonly sum: GramStats;
}

export interface CoordinatorState {
  readonly phase: CoordinatorPhase;
  readonly config: RunConfig;
  /** Remote workers to wait for before an automatic start. */
  readonly minPeers: number;
  readonly autostart: boolean;
  readonly members: Readonly<Record<string, Member>>;
  /** Per-slot sample indices into the training split (fixed at start). */
  readonly slots: readonly Int32Array[];
  readonly stepsPerEpoch: number;
  /** Next step to complete (0-based); equals the number of updates applied. */
  readonly step: number;
  readonly epoch: number;
  readonly pending: PendingStep | null;
  /** FedACnnL progress; null for 'dp' runs and before a 'fedacnnl' run starts. */
  readonly analytic: AnalyticRound | null;
  readonly loss: number;
  readonly testAccuracy: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly failure: string | null;
}
