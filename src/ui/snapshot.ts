/**
 * The snapshot the dashboard renders and `window.swarm.status()` returns. Plain JSON: this is a public
 * interface (e2e tests and the benchmark runner read it), so fields are only ever added, never renamed.
 */
export type SwarmPhase =
  | 'starting' // choosing a backend, loading data
  | 'connecting' // reaching the signalling server / coordinator
  | 'recruiting' // coordinator: waiting for workers
  | 'joined' // worker: admitted, waiting for work
  | 'training'
  | 'evaluating-final'
  | 'done'
  | 'failed';

export interface DeviceRow {
  readonly id: string;
  readonly backend: string;
  readonly adapter: string;
  readonly reason: string;
  readonly samplesPerSec: number;
  readonly memoryBytes: number;
  readonly selfTestPassed: boolean;
  /** Partition size (samples) and the label histogram of that partition, when assigned. */
  readonly partitionSize: number;
  readonly labelHistogram: readonly number[];
  /** Samples per step currently given to this device. */
  readonly batchShare: number;
  readonly active: boolean;
  /** Milliseconds since the coordinator last heard from it. */
  readonly lastSeenMs: number;
}

export interface BackendMeasurement {
  readonly backend: string;
  readonly available: boolean;
  readonly samplesPerSec: number | null;
  readonly note: string;
}

export interface LogLine {
  readonly at: number;
  readonly level: 'info' | 'warn' | 'error';
  readonly text: string;
}

/** A federated client (coordinator only): where it runs, its data, and its results once reported. */
export interface ClientRow {
  readonly id: number;
  /** Peer id of the tab hosting it. */
  readonly host: string;
  /** All its rows (train + validation + local test) and their label histogram. */
  readonly rows: number;
  readonly labelHistogram: readonly number[];
  /** pFedACnnL group (0 otherwise). */
  readonly group: number;
  /** Local test accuracy under the global model / its personal model; null until reported (or none). */
  readonly globalAccuracy: number | null;
  readonly personalAccuracy: number | null;
  /** pFedACnnL's chosen λ as a multiple of tr(A_k)/d; null for ∞ (the anchor itself) or none. */
  readonly lambda: number | null;
}

/** Progress of a layer-wise analytic run (coordinator only). */
export interface AnalyticProgress {
  /** Layers solved so far, of `layers`. */
  readonly solved: number;
  readonly layers: number;
  /** Tabs that sent the current layer's statistics, of `expected`. */
  readonly received: number;
  readonly expected: number;
  /** Client groups of the current round (pFedACnnL's head: > 1). */
  readonly groups: number;
  readonly masked: boolean;
  /** Input width (bias included) of every layer, for the per-layer display. */
  readonly layerInputs: readonly number[];
}

export interface SwarmStatus {
  readonly role: 'coordinator' | 'worker' | null;
  readonly peerId: string | null;
  readonly room: string;
  readonly joinUrl: string;
  readonly algo: string;
  readonly dataset: string;
  readonly model: string;
  readonly backend: string | null;
  readonly backendReason: string;
  readonly adapter: string;
  readonly samplesPerSec: number;
  readonly memoryBytes: number;
  readonly selfTestPassed: boolean;
  readonly backendMeasurements: readonly BackendMeasurement[];
  /** Ids of the peers this tab has open links to. */
  readonly peers: readonly string[];
  readonly phase: SwarmPhase;
  readonly epoch: number;
  readonly epochs: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly loss: number | null;
  readonly testAccuracy: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Coordinator only: every member device. */
  readonly devices: readonly DeviceRow[];
  /** [seconds since training started, test accuracy] pairs (coordinator; workers get the latest only). */
  readonly curve: readonly (readonly [number, number])[];
  /** [seconds since training started, training loss] pairs. */
  readonly lossCurve: readonly (readonly [number, number])[];
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly error: string | null;
  readonly log: readonly LogLine[];
  /** Federated runs (coordinator): every client; [] otherwise. */
  readonly clients: readonly ClientRow[];
  /** Analytic runs (coordinator): layer progress; null otherwise. */
  readonly analytic: AnalyticProgress | null;
  /** Federated runs: mean local test accuracy of the clients under the global / personal models (null until reported). */
  readonly meanLocalAccuracy: number | null;
  readonly meanPersonalAccuracy: number | null;
  /** DASO runs: groups, schedule and sync traffic (absent or null otherwise). */
  readonly daso?: DasoSnapshot | null;
  /** Second-order runs (algos 'dho2', 'kfac'): shards, curvature jobs, spectrum (absent or null otherwise). */
  readonly secondOrder?: SecondOrderSnapshot | null;
  /** Checkpoints and model files (absent in tests that do not care). */
  readonly modelFiles?: ModelFilesSnapshot;
}

/** What the model card shows: this room's checkpoint, whether the model can be downloaded, a loaded file. */
export interface ModelFilesSnapshot {
  /** The newest checkpoint of this room in this browser (coordinator), or null. */
  readonly checkpoint: { readonly epoch: number; readonly savedAt: number } | null;
  /** The run was resumed from the checkpoint of this epoch, or null. */
  readonly resumedFromEpoch: number | null;
  /** The tab holds the swarm's model in a form that can be downloaded (coordinator of a step-based run). */
  readonly canExport: boolean;
  /** A model file may be loaded now to start the run from it (coordinator, recruiting). */
  readonly canContinue: boolean;
  /** The model file the user loaded: its name, its test accuracy here, or why it was refused. */
  readonly loaded: { readonly name: string; readonly accuracy: number | null; readonly error: string | null } | null;
}

/** One device's share of the curvature state (a DHO2 shard of the flat parameters, or a K-FAC layer). */
export interface ShardRow {
  readonly peer: string;
  /** DHO2: coordinates in the shard; K-FAC: weights of the layer. */
  readonly size: number;
  /** Floats of curvature state it reported holding, now and at most (float64 counted twice). */
  readonly heldFloats: number;
  readonly peakFloats: number;
}

/**
 * DHO2 consensus ADMM (variant 'admm') after its last closed round: primal residual ‖(x_i − z)_i‖, dual residual
 * ρ√N‖z − z_prev‖, and ρ for the next round (residual balancing adapts it).
 */
export interface AdmmSnapshot {
  readonly round: number;
  readonly primal: number;
  readonly dual: number;
  readonly rho: number;
}

/** Second-order status (roles/coordinator/dho2-conductor.ts and kfac-conductor.ts). */
export interface SecondOrderSnapshot {
  readonly algo: 'dho2' | 'kfac';
  /** DHO2: 'sync', 'parallel' (plus extrapolation) or 'admm'; K-FAC: ''. */
  readonly variant: string;
  readonly extrapolate: boolean;
  /** Coordinator: every device's shard; [] on workers. */
  readonly shards: readonly ShardRow[];
  /** The running curvature job (DHO2 Lanczos: iteration of order, on which devices, from which step), or null. */
  readonly job: { readonly snapshotStep: number; readonly iteration: number; readonly order: number; readonly workers: readonly string[] } | null;
  /** DHO2: the installed top eigenvalues, ascending; [] before the first. */
  readonly eigvals: readonly number[];
  readonly eigenStep: number;
  /** Curvature refreshes installed, and dropped (failed, stale or garbage). */
  readonly installs: number;
  readonly dropped: number;
  readonly lastJobSeconds: number;
  /** Floats of curvature state this tab holds (its own shard). */
  readonly ownFloats: number;
  /** DHO2 'admm' (coordinator): the last closed consensus round; null before one, on workers and for other variants (or absent). */
  readonly admm?: AdmmSnapshot | null;
}

/** One epoch's DASO schedule (gs, ls, B and phase). */
export interface DasoScheduleRow {
  readonly epoch: number;
  readonly globalSkip: number;
  readonly localSkip: number;
  readonly batchesToWait: number;
  readonly phase: string;
}

/** This tab's DASO worker (roles/worker/daso-status.ts DasoWorkerStatus). */
export interface DasoWorkerSnapshot {
  readonly groups: readonly (readonly string[])[];
  readonly group: number;
  readonly schedule: DasoScheduleRow | null;
  readonly epoch: number;
  readonly batch: number;
  /** Slot of the latest global sync and whether this tab was the member of its group that took part. */
  readonly slot: number;
  readonly inGlobalSet: boolean;
  /** Payload bytes this tab sent inside its group (gradients, merged parameters) and across groups (global syncs). */
  readonly bytesLocal: number;
  readonly bytesGlobal: number;
  readonly globalSyncs: number;
  readonly merges: number;
  readonly ignored: number;
  readonly failure: string | null;
}

/** DASO status: the coordinator's groups and schedule trace, and this tab's worker. */
export interface DasoSnapshot {
  /** Coordinator: the groups (how each was formed) and the schedule of every epoch so far; [] on workers. */
  readonly groups: readonly { readonly key: string; readonly source: string; readonly members: readonly string[] }[];
  readonly trace: readonly DasoScheduleRow[];
  readonly worker: DasoWorkerSnapshot | null;
}
