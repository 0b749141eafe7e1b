/**
 * Run options of the second-order methods that only the coordinator needs (it sends owners what they need in
 * `shard-plan`). Defaults follow ALGORITHMS.md §2.8-2.9's small-scale reproduction, adjusted where measured
 * (docs/BENCHMARKS.md, suite dho2).
 */
import type { BaseKind, OptimizerName, RunConfig } from '../protocol/messages.ts';
import type { OptimizerSpec } from '../compute/optimizer.ts';

/**
 * 'sync': every device pauses at a refresh step while the swarm runs the sharded Lanczos (FOSI's schedule);
 * 'parallel': `curvatureTabs` devices run it on a parameter snapshot while the others keep training, and the
 * result is switched in at a step boundary if it is at most `refreshEvery` steps stale (§2.5).
 */
export type Dho2Variant = 'sync' | 'parallel';

export interface Dho2Options {
  readonly variant: Dho2Variant;
  /** The released code's "ADMM-like" extrapolation at each curvature refresh (§2.4). */
  readonly extrapolate: boolean;
  /** σ of the extrapolation (the released script: 5e-9). */
  readonly extrapolationSigma: number;
  /** k: top eigenpairs; m = 4k Lanczos iterations unless `order` > 0. */
  readonly k: number;
  readonly order: number;
  /** T_ese: steps between refreshes; W: first refresh (FOSI's warmup). */
  readonly refreshEvery: number;
  readonly warmup: number;
  /** α: the Newton rate. */
  readonly newtonRate: number;
  /** c: the base-step scale clip; 0 = FOSI's default (1 for Adam, 3 otherwise). */
  readonly clip: number;
  /** Rows of the fixed curvature batch, split among the curvature devices by speed. */
  readonly curvatureBatch: number;
  /** 'parallel': how many devices compute curvature (at least one device keeps training). */
  readonly curvatureTabs: number;
}

export interface KfacOptions {
  /** Steps between factor refreshes (statistics and inverses). */
  readonly every: number;
  /** λ: Tikhonov damping. */
  readonly damping: number;
  /** Rows of each refresh's statistics batch, split among the devices by speed. */
  readonly statsBatch: number;
}

export const DHO2_DEFAULTS: Dho2Options = {
  variant: 'sync', extrapolate: false, extrapolationSigma: 5e-9, k: 10, order: 0, refreshEvery: 100, warmup: 50,
  newtonRate: 0.01, clip: 0, curvatureBatch: 512, curvatureTabs: 1,
};

export const KFAC_DEFAULTS: KfacOptions = { every: 20, damping: 1e-3, statsBatch: 512 };

/** FOSI's base optimizer for the run's optimizer name. */
export function baseKindOf(optimizer: OptimizerName): BaseKind {
  return optimizer === 'adam' ? 'adam' : optimizer === 'sgd' ? 'sgd' : 'heavy-ball';
}

/** K-FAC's dense layers of the 'mlp' model: inputs + bias, outputs (compute/models.ts, 784-128-10). */
export const MLP_LAYERS: readonly { readonly dIn: number; readonly dOut: number }[] = [{ dIn: 785, dOut: 128 }, { dIn: 129, dOut: 10 }];

/**
 * The optimizer every replica applies the broadcast update with. DHO2 broadcasts −Δ (the owners already ran
 * FOSI), so replicas take plain SGD steps at rate 1: θ − 1·(−Δ) = θ + Δ. Other algos apply the run's optimizer.
 */
export function replicaOptimizer(config: RunConfig): OptimizerSpec {
  return config.algo === 'dho2' ? { name: 'sgd', learningRate: 1 } : { name: config.optimizer, learningRate: config.learningRate };
}
