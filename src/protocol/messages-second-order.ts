/**
 * Messages of the second-order methods (algos 'dho2' and 'kfac', protocol 5; ALGORITHMS.md section 2,
 * docs/decisions/0006-dho2-runtime.md). Split from messages.ts like messages-daso.ts.
 *
 * Who talks to whom: everything goes through the coordinator, which drives two kinds of remote procedure
 * calls and sums the partial results (the "small all-reduces"):
 *  - `shard-op` → `shard-reply`: one operation on the curvature state a shard owner holds for its slice of
 *    the flat parameter vector (Lanczos basis rows, eigenvector slices, base-optimizer moments) or, for
 *    K-FAC, for the layers it owns (factor inverses);
 *  - `curvature-request` → `curvature-reply`: data-parallel work on a worker's own data (a Hessian-vector
 *    product on its fixed curvature batch, K-FAC factor statistics).
 * `shard-plan` tells every worker the shard layout and the optimizer settings before any op.
 */
import type { WireTensor } from './wire-tensor.ts';

/** The operations a shard owner carries out (core/optim/shard-owner.ts), plus K-FAC's per-layer ones. */
export type ShardOpName =
  | 'draw-start' | 'append-row' | 'set-hvp' | 'project' | 'subtract' | 'form-ritz' | 'scale-ritz' | 'install' | 'clear-basis'
  | 'step-project' | 'step-base' | 'step-finish' | 'extrapolate' | 'anchor' | 'eigvecs'
  | 'kfac-install' | 'kfac-precondition';

/** FOSI's base optimizer on the wire (core/optim/fosi.ts BaseOptimizer kinds). */
export type BaseKind = 'sgd' | 'heavy-ball' | 'adam';

/**
 * Coordinator → every worker: the shard layout (owner i holds the `sizes[i]` coordinates after the previous
 * owners' ones; K-FAC: owner i holds the layers l with l mod owners = i) and the optimizer settings owners need.
 * `epoch` counts re-plans (a departed owner forces one); ops carry it so a stale op cannot hit a new layout.
 */
export interface ShardPlanMsg {
  readonly type: 'shard-plan';
  readonly runId: string;
  readonly epoch: number;
  readonly owners: readonly string[];
  /** int32 [P]: shard sizes (DHO2) or [L] layer widths dOut (K-FAC, informative). */
  readonly sizes: WireTensor;
  readonly base: BaseKind;
  readonly learningRate: number;
  /** FOSI: α (Newton rate), c (scale clip), β (velocity decay), σ (eigenvalue shift). */
  readonly newtonRate: number;
  readonly clip: number;
  readonly decay: number;
  readonly eigenvalueShift: number;
  /** The released DHO2 code's extrapolation σ; 0 = off. */
  readonly extrapolationSigma: number;
  /** K-FAC's Tikhonov damping λ. */
  readonly damping: number;
}

/**
 * Coordinator → shard owner: one operation. `arg` is its scalar (seed, scale, row, k, layer), `values` its
 * float64 vector (projection coefficients c, Ritz coefficients [r, m], scales, eigenvalues, summed partials a or
 * e, packed K-FAC factors), `vector` its float32 vector (an HVP slice, a gradient slice, a layer gradient).
 */
export interface ShardOpMsg {
  readonly type: 'shard-op';
  readonly runId: string;
  readonly planEpoch: number;
  readonly seq: number;
  readonly op: ShardOpName;
  readonly arg: number;
  readonly values: WireTensor;
  readonly vector: WireTensor;
}

/**
 * Shard owner → coordinator: the result of op `seq` (`values` float64 partials, `vector` float32 slice), the
 * floats of curvature state it holds now, and '' or why it refused the op.
 */
export interface ShardReplyMsg {
  readonly type: 'shard-reply';
  readonly runId: string;
  readonly seq: number;
  readonly values: WireTensor;
  readonly vector: WireTensor;
  readonly heldFloats: number;
  readonly error: string;
}

/** What a worker computes on its own data for the curvature: see CurvatureRequestMsg. */
export type CurvatureKind = 'hvp-begin' | 'hvp' | 'hvp-end' | 'kfac-factors';

/**
 * Coordinator → worker. 'hvp-begin': snapshot the replica's parameters now and fix a curvature batch of
 * `rows` rows drawn with `seed`; 'hvp': H·vector on that batch at that snapshot (float32 [n]); 'hvp-end': free
 * them; 'kfac-factors': K-FAC factor sums on `rows` rows drawn with `seed` at the current parameters.
 */
export interface CurvatureRequestMsg {
  readonly type: 'curvature-request';
  readonly runId: string;
  readonly seq: number;
  readonly kind: CurvatureKind;
  readonly seed: number;
  readonly rows: number;
  readonly vector: WireTensor;
}

/**
 * Worker → coordinator: the result of request `seq`: rows used, H·v (float32 [n]) or float32 [0], K-FAC
 * factor sums (per layer: packed A then packed G, float64) or [], and '' or why it failed.
 */
export interface CurvatureReplyMsg {
  readonly type: 'curvature-reply';
  readonly runId: string;
  readonly seq: number;
  readonly count: number;
  readonly vector: WireTensor;
  readonly factors: readonly WireTensor[];
  readonly error: string;
}

/**
 * DHO2 with consensus ADMM (variant 'admm', protocol 8; ALGORITHMS.md §2.4, "textbook consensus ADMM", our
 * labelled variant). Coordinator → worker: round `round` of K = `steps` local FOSI steps on the augmented
 * gradient ∇f_i(x) + ρ(x − v), with v = `anchor` = z − u_i (the coordinator holds every scaled dual u_i).
 * `step`: swarm steps before this round (FOSI's step counter). `batchSize`: this tab's rows per local step.
 * FOSI's settings travel here (not in `shard-plan`, which only shard owners get): the base optimizer is the run's
 * (config.optimizer at config.learningRate), `newtonRate` α and `clip` c as the coordinator's options.
 */
export interface AdmmRoundMsg {
  readonly type: 'admm-round';
  readonly runId: string;
  readonly round: number;
  readonly step: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly rho: number;
  readonly newtonRate: number;
  readonly clip: number;
  /**
   * true: this tab is new to the consensus (u_i = 0): it starts from the parameters of its `start`, which are z,
   * and `anchor` is empty. false: it goes on from its own x_i with `anchor` = z − u_i.
   */
  readonly restart: boolean;
  /** float32, one tensor per model parameter, in model order; [] when `restart`. */
  readonly anchor: readonly WireTensor[];
}

/** Worker → coordinator: x_i after round `round` (float32 per parameter), the rows used and their loss sum. */
export interface AdmmUpdateMsg {
  readonly type: 'admm-update';
  readonly runId: string;
  readonly round: number;
  readonly count: number;
  readonly lossSum: number;
  readonly params: readonly WireTensor[];
}

/**
 * Coordinator → worker: the eigen-information of the curvature job at swarm step `snapshotStep`, gathered
 * from the shard owners for the local FOSI steps: `eigvals` float64 [k] (ascending) and `eigvecs` float32
 * [k, n] (the Ritz vectors' rows). A worker installs it at its next local step.
 */
export interface AdmmCurvatureMsg {
  readonly type: 'admm-curvature';
  readonly runId: string;
  readonly snapshotStep: number;
  readonly eigvals: WireTensor;
  readonly eigvecs: WireTensor;
}
