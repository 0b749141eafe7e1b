/** Coordinator state: plain data, rendered by the UI and advanced only by the reducer. */
import type { AnalyticLayer } from '../../core/analytic/fedacnnl.ts';
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import type { DeviceGroup } from '../../core/daso/groups.ts';
import type { DasoSchedule, DasoScheduleState } from '../../core/daso/schedule.ts';
import type { PeerId } from '../../core/ids.ts';
import type { DeviceInfo, RunConfig } from '../../protocol/messages.ts';
import type { ClientPlan } from '../federated-plan.ts';

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
  /** Validated float64 sums of the received workers' statistics, one per client group (1 unless pFedACnnL's head). */
  readonly sums: readonly GramStats[];
}

/** A FedAvg round being collected (algo 'fedavg'). */
export interface FedAvgRound {
  /** 0-based round; equals the number of rounds completed. */
  readonly round: number;
  /** The global parameters the round started from (float32, model order). */
  readonly global: readonly Float32Array[];
  readonly expected: readonly PeerId[];
  /** Per tab: its clients' sample-weighted mean parameters, rows and training-loss sum. */
  readonly received: Readonly<Record<string, StepContribution>>;
}

/**
 * DHO2 consensus ADMM (variant 'admm'): the round being collected and the consensus state, all flat float32
 * over the model's parameters in model order. The coordinator holds every member's scaled dual u_i, so a
 * worker keeps only its own x_i and a member that leaves takes nothing with it.
 */
export interface AdmmRun {
  /** 0-based round; equals the number of rounds closed. */
  readonly round: number;
  /** Local steps of this round (K, or fewer to end at an epoch boundary). */
  readonly steps: number;
  /** z after the last closed round; null before the first. */
  readonly z: Float32Array | null;
  readonly duals: Readonly<Record<string, Float32Array>>;
  readonly rho: number;
  readonly expected: readonly PeerId[];
  /** Per member: x_i, rows used and their loss sum. */
  readonly received: Readonly<Record<string, { readonly count: number; readonly lossSum: number; readonly x: Float32Array }>>;
  /** Swarm step at or after which the next curvature job runs (at a round boundary). */
  readonly nextRefresh: number;
  /** Residuals of the last closed round (null before the first). */
  readonly residuals: { readonly round: number; readonly primal: number; readonly dual: number; readonly rho: number } | null;
}

/** One client's results, from its host's `client-report`. */
export interface ClientReport {
  readonly trainRows: number;
  /** Local test accuracy under the global model. */
  readonly globalAccuracy: number;
  /** Under its personal model (pFedACnnL); NaN when none. */
  readonly personalAccuracy: number;
  /** Chosen λ as a multiple of tr(A_k)/d; Infinity = the anchor; NaN when none. */
  readonly lambda: number;
  readonly group: number;
}

/** Masking state of a masked analytic run: the members' public keys and the current round's masked sum. */
export interface MaskingState {
  /** Peer id → ECDH public key (65 bytes). */
  readonly keys: Readonly<Record<string, Uint8Array>>;
  /** The current layer's roster, in mask order. */
  readonly roster: readonly PeerId[];
  /** Ring sum of the masked vectors received so far (null before the first). */
  readonly ringSum: Float64Array | null;
  /** Roster members that never sent; survivors are asked to reveal their pair keys with them. */
  readonly dropped: readonly PeerId[];
  /** Survivors whose reveal is still awaited. */
  readonly awaitingReveal: readonly PeerId[];
}

/** One worker's `daso-epoch` report. */
export interface DasoReport {
  readonly count: number;
  readonly lossSum: number;
}

/** A DASO run (algo 'daso'): the groups, the schedule machine and the epoch-end reports being collected. */
export interface DasoRun {
  /** The plan's number: 0, then one more each time the groups are re-formed without a lost member. */
  readonly generation: number;
  readonly groups: readonly DeviceGroup[];
  readonly schedule: DasoScheduleState;
  /** Schedule of every epoch so far (index = epoch), for the dashboard and the benchmark's trace. */
  readonly trace: readonly DasoSchedule[];
  /** The epoch whose reports are being collected. */
  readonly epoch: number;
  readonly expected: readonly PeerId[];
  readonly reports: Readonly<Record<string, DasoReport>>;
  /** The member whose report carries its parameters for the test evaluation (first member of the first group). */
  readonly reporter: PeerId;
  /** The reporter's flat parameters for `epoch`, once reported. */
  readonly params: Float32Array | null;
  /** Round-trip times measured before the first plan (daso-rtt.ts), reused when the groups are re-formed; {} without. */
  readonly rtt: RttTable;
}

/** rtt[a][b]: the smallest round-trip time a measured to b, in ms. */
export type RttTable = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** DASO with RTT grouping, before the first plan: the probes sent and the times reported so far. */
export interface DasoProbe {
  /** Workers asked to probe (each the lower id of the pairs it measures) and whom each was asked to probe. */
  readonly asked: Readonly<Record<string, readonly PeerId[]>>;
  readonly reported: readonly PeerId[];
  readonly rtt: RttTable;
  /** When the coordinator stops waiting and groups with what it has. */
  readonly deadline: number;
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
  /** Federated runs: the clients and their hosts (fixed at start); [] for 'dp'. */
  readonly clients: readonly ClientPlan[];
  /** Client id → its report (after the run's last layer or round). */
  readonly clientReports: Readonly<Record<number, ClientReport>>;
  /** FedAvg progress; null otherwise. */
  readonly fedavg: FedAvgRound | null;
  /** DHO2 variant 'admm' only. */
  readonly admm: AdmmRun | null;
  /** Masked analytic runs; null otherwise. */
  readonly masking: MaskingState | null;
  /** DASO runs; null otherwise. */
  readonly daso: DasoRun | null;
  /** DASO runs with RTT grouping, while the round-trip times are measured; null otherwise. */
  readonly dasoProbe: DasoProbe | null;
  /** Second-order runs: members busy with a curvature job, left out of gradient work meanwhile. */
  readonly sittingOut: readonly PeerId[];
  /** Federated runs in 'evaluating-final': hosts whose client-report is still awaited. */
  readonly awaitingReports: readonly PeerId[];
  /** The final test evaluation is in (federated runs end when it and the reports are). */
  readonly finalEvaluated: boolean;
  readonly loss: number;
  readonly testAccuracy: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly failure: string | null;
  /** The failover order last sent to the workers (`succession`); [] before any. */
  readonly succession: readonly PeerId[];
}
