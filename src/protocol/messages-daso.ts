/**
 * DASO's messages (algo 'daso', protocol 4; ALGORITHMS.md section 3, docs/decisions/0005-daso-runtime-plan.md).
 * Split from messages.ts to keep it small; messages.ts re-exports them and includes them in `Message`.
 *
 * Who talks to whom: the coordinator plans (groups, schedule) and collects per-epoch reports; the workers
 * exchange gradients inside their group every batch (`daso-grads`, all-to-all: groups are a few tabs on a
 * cheap link), parameters between the members of one global sync set (`daso-global`, 16-bit on the wire by
 * default) and the merged parameters from a group's global member to the rest of its group (`daso-params`).
 *
 * `generation` (protocol 7): a plan's number, 0 at the start and one more each time the coordinator re-forms
 * the groups after a member left. Every peer message and epoch report carries the generation of the plan it
 * was made under; one of another generation is stale (sent before its sender got the new plan) and ignored.
 *
 * RTT grouping (protocol 9): `daso-probe`, `daso-ping` and `daso-rtt` measure the round-trip times the
 * coordinator clusters devices by, before the first plan.
 */
import type { WireTensor } from './wire-tensor.ts';

/** How `daso-global` parameters travel: bf16 (default) or fp16 bit patterns in uint16, or plain float32. */
export type DasoWire = 'bf16' | 'fp16' | 'fp32';
/** core/daso/schedule.ts `DasoPhase`, repeated here because protocol/ may import only protocol/ and core/ids. */
export type DasoPhaseName = 'warmup' | 'cycling' | 'cooldown';

/**
 * Coordinator → every worker, after `assign` and before `start`: the device groups (members listed group
 * after group; `groupSizes` int32 [g] says how many each has, in order), the epoch length in batches and the
 * wire format of global syncs. Group j's k-th member joins global sync set k (core/daso/groups.ts).
 */
export interface DasoPlanMsg {
  readonly type: 'daso-plan';
  readonly runId: string;
  readonly generation: number;
  readonly members: readonly string[];
  readonly groupSizes: WireTensor;
  readonly stepsPerEpoch: number;
  readonly wire: DasoWire;
}

/** Coordinator → every worker: the (gs, ls, B) schedule of epoch `epoch` (core/daso/schedule.ts). */
export interface DasoScheduleMsg {
  readonly type: 'daso-schedule';
  readonly runId: string;
  readonly epoch: number;
  readonly globalSkip: number;
  readonly localSkip: number;
  readonly batchesToWait: number;
  readonly phase: DasoPhaseName;
}

/** Worker → each other member of its group: its gradient of the mean loss over `count` samples at global step `step`. */
export interface DasoGradsMsg {
  readonly type: 'daso-grads';
  readonly runId: string;
  readonly generation: number;
  readonly step: number;
  readonly count: number;
  readonly lossSum: number;
  readonly grads: readonly WireTensor[];
}

/**
 * Global sync set member → the set's other members: its flat parameter vector at the start of sync `syncId`
 * (the global step it started at), as `wire` says: uint16 for bf16/fp16, float32 for fp32.
 */
export interface DasoGlobalMsg {
  readonly type: 'daso-global';
  readonly runId: string;
  readonly generation: number;
  readonly syncId: number;
  readonly wire: DasoWire;
  readonly params: WireTensor;
}

/**
 * A group's global member → the rest of its group: the merged flat parameters of global sync `step` (the
 * step that sync started at), to install at the sync's merge step (full float32: this is the cheap link).
 */
export interface DasoParamsMsg {
  readonly type: 'daso-params';
  readonly runId: string;
  readonly generation: number;
  readonly step: number;
  readonly params: WireTensor;
}

/**
 * Worker → coordinator at the end of epoch `epoch`: its training samples and loss sum over the epoch (for the
 * schedule's plateau detector) and, from the run's first member only, its flat parameters after the epoch-end
 * blocking sync (float32 [n]) for the test evaluation; the others send float32 [0].
 */
export interface DasoEpochMsg {
  readonly type: 'daso-epoch';
  readonly runId: string;
  readonly generation: number;
  readonly epoch: number;
  readonly count: number;
  readonly lossSum: number;
  readonly params: WireTensor;
}

/**
 * Coordinator → a worker, before the plan of a run with RTT grouping (`?dasoRttMs`, protocol 9): measure the
 * round-trip time to each of `peers` with `pings` pings each, one at a time, and answer with `daso-rtt`. Each
 * pair is probed once, by its lower id (core/daso/groups.ts clusters on the measured times).
 */
export interface DasoProbeMsg {
  readonly type: 'daso-probe';
  readonly runId: string;
  readonly peers: readonly string[];
  readonly pings: number;
}

/** Worker ↔ worker: a round-trip probe (`pong: false`), answered with the same nonce and `pong: true`. */
export interface DasoPingMsg {
  readonly type: 'daso-ping';
  readonly runId: string;
  readonly nonce: number;
  readonly pong: boolean;
}

/**
 * Worker → coordinator, the answer to `daso-probe`: per probed peer, in `peers` order, the smallest round-trip
 * time in ms (float64 [n]), or -1 where none was measured (no link, no answer).
 */
export interface DasoRttMsg {
  readonly type: 'daso-rtt';
  readonly runId: string;
  readonly peers: readonly string[];
  readonly rttMs: WireTensor;
}
