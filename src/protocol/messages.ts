/**
 * Message types of protocol version PROTOCOL_VERSION. Every message is a plain object with a string `type`
 * discriminant (kebab-case) plus optional tensor sections. The binary encoding is in frame.ts; the
 * frozen `type` → wire-code table is in type-codes.ts; validation of untrusted input is in validate.ts.
 *
 * Rule: a field added to a message is a protocol change (bump PROTOCOL_VERSION, docs/PROTOCOL.md).
 */
import type { WireTensor } from './wire-tensor.ts';

export type Role = 'coordinator' | 'worker';
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type DatasetName = 'mnist' | 'fashion-mnist';
export type ModelName = 'mlp' | 'cnn';
export type OptimizerName = 'adam' | 'sgd-momentum';
export type PartitionScheme = 'iid' | 'dirichlet' | 'labels';
/** 'dp': synchronous data-parallel SGD; 'fedacnnl': layer-wise closed-form least squares (docs/math/analytic.md). */
export type Algo = 'dp' | 'fedacnnl';

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

/** Coordinator → worker: your data partition (sample indices into the training split). */
export interface AssignMsg {
  readonly type: 'assign';
  readonly config: RunConfig;
  /** int32 [n] indices into the training split. */
  readonly indices: WireTensor;
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
  readonly count: number;
  readonly a: WireTensor;
  readonly b: WireTensor;
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
  | DoneMsg
  | ErrorMsg
  | LayerRequestMsg
  | LayerStatsMsg;

export type MessageType = Message['type'];
export type MessageOf<K extends MessageType> = Extract<Message, { type: K }>;
/** An exhaustive handler table: the compiler flags a missing message type. */
export type MessageHandlers<R> = { readonly [K in MessageType]: (m: MessageOf<K>) => R };
