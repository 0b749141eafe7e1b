/**
 * Message types of protocol version PROTOCOL_VERSION. Every message is a plain object with a string `type`
 * discriminant (kebab-case) plus optional tensor sections. The binary encoding is in frame.ts; the
 * frozen `type` → wire-code table is in type-codes.ts; validation of untrusted input is in validate.ts.
 *
 * Rule: a field added to a message is a protocol change (bump PROTOCOL_VERSION, docs/PROTOCOL.md).
 */
import type { WireTensor } from './wire-tensor.ts';
import type { AggregationRule } from '../core/math/robust-aggregate.ts';
import type { DasoEpochMsg, DasoGlobalMsg, DasoGradsMsg, DasoParamsMsg, DasoPingMsg, DasoPlanMsg, DasoProbeMsg, DasoRttMsg, DasoScheduleMsg } from './messages-daso.ts';
import type { AdmmCurvatureMsg, AdmmRoundMsg, AdmmUpdateMsg, CurvatureReplyMsg, CurvatureRequestMsg, ShardOpMsg, ShardPlanMsg, ShardReplyMsg } from './messages-second-order.ts';

export type Role = 'coordinator' | 'worker';
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type DatasetName = 'mnist' | 'fashion-mnist';
export type ModelName = 'mlp' | 'cnn';
/** 'sgd' is plain SGD (FedAvg's local optimizer); 'sgd-momentum' uses momentum 0.9. */
export type OptimizerName = 'adam' | 'sgd-momentum' | 'sgd';
export type PartitionScheme = 'iid' | 'dirichlet' | 'labels';
/**
 * 'dp': synchronous data-parallel SGD; 'fedacnnl': layer-wise closed-form least squares; 'pfedacnnl': the same
 * plus analytic personalisation per client (docs/math/analytic.md); 'fedavg': federated averaging, the
 * gradient-based baseline of the analytic methods (local epochs of SGD per client, weighted average per round);
 * 'daso': hierarchical data-parallel training in device groups with selective asynchronous global syncs
 * (ALGORITHMS.md section 3, docs/decisions/0005-daso-runtime-plan.md); 'dho2': data-parallel gradients with a
 * FOSI update whose curvature state is sharded over the tabs (ALGORITHMS.md section 2,
 * docs/decisions/0006-dho2-runtime.md); 'kfac': distributed K-FAC, each layer's factor inverses on one tab.
 */
export type Algo = 'dp' | 'fedacnnl' | 'pfedacnnl' | 'fedavg' | 'daso' | 'dho2' | 'kfac';

/** What a tab measured about itself; sent in `hello` and shown on the dashboard. */
export interface DeviceInfo {
  readonly backend: BackendName;
  /** GPU adapter description (vendor/architecture), or '' for wasm/cpu. */
  readonly adapter: string;
  /** Human-readable reason this backend was chosen (e.g. "fastest of 3 measured"). */
  readonly reason: string;
  /** Measured training throughput of the benchmark MLP, samples per second. */
  readonly samplesPerSec: number;
  /** Device memory estimate in bytes (navigator.deviceMemory or the JS heap limit), 0 if unknown. */
  readonly memoryBytes: number;
  /** True if the numeric self-test (known matmul and gradient) passed. */
  readonly selfTestPassed: boolean;
  readonly userAgent: string;
  /**
   * DASO grouping hints (protocol 4): a random id shared by the tabs of one browser profile (localStorage),
   * and the explicit `?group=` label. Absent or '' = unknown / none.
   */
  readonly machineId?: string;
  readonly groupLabel?: string;
}

/** Everything that defines a run; chosen by the coordinator, sent to every worker. */
export interface RunConfig {
  readonly runId: string;
  readonly algo: Algo;
  readonly dataset: DatasetName;
  readonly model: ModelName;
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  readonly epochs: number;
  /** Global batch per step, split among workers in proportion to their measured speed. */
  readonly globalBatch: number;
  readonly seed: number;
  readonly partition: PartitionScheme;
  /** Dirichlet concentration (partition = 'dirichlet'). */
  readonly alpha: number;
  /** Labels per client (partition = 'labels'). */
  readonly labelsPerClient: number;
  /**
   * Federated clients in the run (algos 'fedacnnl', 'pfedacnnl', 'fedavg'): the training split is partitioned
   * into this many clients and each tab hosts several; 0 = one client per tab.
   */
  readonly clients: number;
  /** Training rows used (the first ones of the training split); 0 = all. Benchmarks use it to bound run time. */
  readonly trainLimit: number;
  /** pFedACnnL: the most client groups (meta-models) the coordinator forms from label histograms. */
  readonly groups: number;
  /** FedAvg: local epochs per round (communication rounds are `epochs`). */
  readonly localEpochs: number;
  /** FedAvg: a client's minibatch size. */
  readonly localBatch: number;
  /** Analytic algos: pairwise additive masking, so the coordinator learns only the sum of the statistics. */
  readonly masking: boolean;
  /** How the coordinator combines the workers' gradients (dp): plain mean or a rule robust to poisoned updates. */
  readonly aggregation: AggregationRule;
}

export interface HelloMsg {
  readonly type: 'hello';
  readonly protocolVersion: number;
  readonly role: Role;
  readonly room: string;
  readonly device: DeviceInfo;
}

export interface WelcomeMsg {
  readonly type: 'welcome';
  readonly protocolVersion: number;
  readonly coordinator: string;
  /** Ids of the other members, so workers can open mesh links to each other. */
  readonly members: readonly string[];
}

export type IncompatibilityReason = 'peer-too-old' | 'peer-too-new' | 'wrong-room' | 'not-coordinator';

export interface IncompatibleMsg {
  readonly type: 'incompatible';
  readonly reason: IncompatibilityReason;
  readonly protocolVersion: number;
}

export interface HeartbeatMsg {
  readonly type: 'heartbeat';
  /** Sender's clock in ms; only echoed, never compared across machines. */
  readonly sentAt: number;
}

/**
 * Coordinator → worker: your data partition (sample indices into the training split), as the partitions of
 * the federated clients this tab hosts: client c owns indices[offsets[c] .. offsets[c+1]). A 'dp' run hosts one.
 */
export interface AssignMsg {
  readonly type: 'assign';
  readonly config: RunConfig;
  /** int32 [n] indices into the training split. */
  readonly indices: WireTensor;
  /** int32 [k] the run-wide numbers of the hosted clients (seeds, display). */
  readonly clientIds: WireTensor;
  /** int32 [k + 1] client c's rows are indices[offsets[c] .. offsets[c+1]); offsets[0] = 0, offsets[k] = n. */
  readonly offsets: WireTensor;
  /** int32 [k] pFedACnnL group of each hosted client (all 0 otherwise). */
  readonly clientGroups: WireTensor;
}

/**
 * Coordinator → worker: the full replica state to train from (initial, late join or resync): parameters
 * then optimizer slots, in model order. `optimizerStep` is the number of updates already applied.
 */
export interface StartMsg {
  readonly type: 'start';
  readonly runId: string;
  readonly step: number;
  readonly epoch: number;
  readonly optimizerStep: number;
  /** Samples this worker contributes to step `step`. */
  readonly batchSize: number;
  readonly params: readonly WireTensor[];
  readonly slots: readonly WireTensor[];
}

/** Worker → coordinator: gradient of the mean loss over `count` samples at step `step`. */
export interface GradientsMsg {
  readonly type: 'gradients';
  readonly runId: string;
  readonly step: number;
  readonly count: number;
  /** Sum of per-sample losses over the batch (so the coordinator can form the global mean). */
  readonly lossSum: number;
  readonly grads: readonly WireTensor[];
}

/**
 * Coordinator → every replica: the sample-weighted mean gradient for `step`; each replica applies the
 * same optimizer update, then computes its gradient for step+1 on `nextBatchSize` samples (0 = sit out).
 */
export interface UpdateMsg {
  readonly type: 'update';
  readonly runId: string;
  readonly step: number;
  readonly epoch: number;
  readonly nextBatchSize: number;
  readonly grads: readonly WireTensor[];
}

/**
 * Coordinator → worker (algo 'fedacnnl'): accumulate the Gram statistics of layer `layer`. `weights` are the
 * already solved layers 0..layer−1, each float64 [dIn + 1, dOut] (bias as the last row), so the worker can
 * compute its layer inputs; their count must equal `layer`.
 */
export interface LayerRequestMsg {
  readonly type: 'layer-request';
  readonly runId: string;
  readonly layer: number;
  readonly weights: readonly WireTensor[];
  /** Statistics per client group (pFedACnnL's head layer); 1 = one sum over all hosted clients. */
  readonly groups: number;
  /**
   * Masked runs: the round's roster (peer ids in mask order) and their ECDH public keys, uint8 [n, 65];
   * unmasked runs: [] and a [0, 65] tensor. A worker masks with every other roster member's key.
   */
  readonly roster: readonly string[];
  readonly rosterKeys: WireTensor;
}

/**
 * Worker → coordinator (algo 'fedacnnl'): the worker's statistics of layer `layer` over its `count` rows:
 * `a` = packed upper triangle of A = XᵀX (float64 [dIn(dIn+1)/2], bias column included) and `b` = XᵀY
 * against the one-hot labels (float64 [dIn, classes]). Sums, not means, so the coordinator just adds them.
 */
export interface LayerStatsMsg {
  readonly type: 'layer-stats';
  readonly runId: string;
  readonly layer: number;
  /** int32 [G] rows summed per group (G = the request's `groups`). */
  readonly counts: WireTensor;
  /** float64 [G, dIn(dIn+1)/2] packed upper triangles. */
  readonly a: WireTensor;
  /** float64 [G, dIn, classes]. */
  readonly b: WireTensor;
}

/** Worker → coordinator (masked analytic runs): its ECDH P-256 public key, uint8 [65] (uncompressed point). */
export interface MaskKeyMsg {
  readonly type: 'mask-key';
  readonly runId: string;
  readonly publicKey: WireTensor;
}

/**
 * Worker → coordinator (masked runs): the layer statistics as one masked vector in the ring Z_2^52 (integers
 * held in float64): per group g, [count_g, packed A_g, B_g] in fixed point plus the pairwise masks
 * (core/analytic/keyed-masking.ts). Only the sum over the roster is meaningful.
 */
export interface MaskedStatsMsg {
  readonly type: 'masked-stats';
  readonly runId: string;
  readonly layer: number;
  readonly ring: WireTensor;
}

/** Coordinator → survivors (masked runs): these roster members never sent layer `layer`; reveal your keys with them. */
export interface UnmaskRequestMsg {
  readonly type: 'unmask-request';
  readonly runId: string;
  readonly layer: number;
  readonly dropped: readonly string[];
}

/** Survivor → coordinator: the 32-byte pair key it shares with each dropped member, uint8 [d, 32], in `dropped` order. */
export interface MaskRevealMsg {
  readonly type: 'mask-reveal';
  readonly runId: string;
  readonly layer: number;
  readonly dropped: readonly string[];
  readonly keys: WireTensor;
}

/**
 * Coordinator → workers (pFedACnnL, after the last layer): every solved layer (global model, float64
 * [dIn + 1, dOut] each) and the group heads float64 [G, dIn + 1, classes]; each hosted client then solves its
 * personal head in closed form on its own rows and reports with `client-report`. Also sent in 'fedacnnl' runs
 * with G = 0 so clients can report their local accuracy under the global model.
 */
export interface PersonalizeMsg {
  readonly type: 'personalize';
  readonly runId: string;
  readonly weights: readonly WireTensor[];
  readonly groupHeads: WireTensor;
}

/**
 * Worker → coordinator: per hosted client, float64 [k, CLIENT_REPORT_COLUMNS]: client id, training rows,
 * local test accuracy under the global model, under its personal model (NaN when none), the chosen λ as a
 * multiple of tr(A_k)/d (Infinity = the anchor itself, NaN when none), and the client's group.
 */
export interface ClientReportMsg {
  readonly type: 'client-report';
  readonly runId: string;
  readonly clients: WireTensor;
}

/** Coordinator → workers (FedAvg): round `round` starts from these global parameters (float32, model order). */
export interface FedAvgRoundMsg {
  readonly type: 'fedavg-round';
  readonly runId: string;
  readonly round: number;
  readonly params: readonly WireTensor[];
}

/**
 * Worker → coordinator (FedAvg): the sample-weighted mean of its clients' locally trained parameters after
 * round `round`, over `count` training rows, and the sum of per-sample training losses of the last local epoch.
 */
export interface FedAvgUpdateMsg {
  readonly type: 'fedavg-update';
  readonly runId: string;
  readonly round: number;
  readonly count: number;
  readonly lossSum: number;
  readonly params: readonly WireTensor[];
}

/** Coordinator → all: progress for dashboards (loss is the global mean over the step's samples). */
export interface ProgressMsg {
  readonly type: 'progress';
  readonly runId: string;
  readonly phase: string;
  readonly epoch: number;
  readonly step: number;
  /** null until measured (no step / no evaluation yet). */
  readonly loss: number | null;
  readonly testAccuracy: number | null;
}

/**
 * Coordinator → each remote worker, whenever the order changes: who takes over if the coordinator goes away
 * (failover.ts in app/). `order` ranks the remote workers by join time; rank 0 claims the room's coordinator
 * id first, each later rank a few seconds after. Only runs whose whole state a worker replica holds send it.
 */
export interface SuccessionMsg {
  readonly type: 'succession';
  readonly runId: string;
  readonly order: readonly string[];
}

/** Coordinator → all: the run ended. */
export interface DoneMsg {
  readonly type: 'done';
  readonly runId: string;
  readonly ok: boolean;
  readonly reason: string;
}

/** Either side: why the sender is dropping the link (best effort, before disconnecting). */
export interface ErrorMsg {
  readonly type: 'error';
  readonly code: string;
  readonly detail: string;
}

export type Message =
  | HelloMsg
  | WelcomeMsg
  | IncompatibleMsg
  | HeartbeatMsg
  | AssignMsg
  | StartMsg
  | GradientsMsg
  | UpdateMsg
  | ProgressMsg
  | SuccessionMsg
  | DoneMsg
  | ErrorMsg
  | LayerRequestMsg
  | LayerStatsMsg
  | MaskKeyMsg
  | MaskedStatsMsg
  | UnmaskRequestMsg
  | MaskRevealMsg
  | PersonalizeMsg
  | ClientReportMsg
  | FedAvgRoundMsg
  | FedAvgUpdateMsg
  | DasoPlanMsg
  | DasoScheduleMsg
  | DasoGradsMsg
  | DasoGlobalMsg
  | DasoParamsMsg
  | DasoEpochMsg
  | DasoProbeMsg
  | DasoPingMsg
  | DasoRttMsg
  | ShardPlanMsg
  | ShardOpMsg
  | ShardReplyMsg
  | CurvatureRequestMsg
  | CurvatureReplyMsg
  | AdmmRoundMsg
  | AdmmUpdateMsg
  | AdmmCurvatureMsg;

export type {
  DasoEpochMsg, DasoGlobalMsg, DasoGradsMsg, DasoParamsMsg, DasoPhaseName, DasoPingMsg, DasoPlanMsg, DasoProbeMsg, DasoRttMsg, DasoScheduleMsg, DasoWire,
} from './messages-daso.ts';
export type {
  AdmmCurvatureMsg, AdmmRoundMsg, AdmmUpdateMsg, BaseKind, CurvatureKind, CurvatureReplyMsg, CurvatureRequestMsg, ShardOpMsg, ShardOpName, ShardPlanMsg, ShardReplyMsg,
} from './messages-second-order.ts';

/** Columns of `client-report.clients` (see ClientReportMsg). */
export const CLIENT_REPORT_COLUMNS = 6;

export type MessageType = Message['type'];
export type MessageOf<K extends MessageType> = Extract<Message, { type: K }>;
/** An exhaustive handler table: the compiler flags a missing message type. */
export type MessageHandlers<R> = { readonly [K in MessageType]: (m: MessageOf<K>) => R };
