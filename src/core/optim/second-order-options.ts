/**
 * Run options of the second-order methods (algos 'dho2' and 'kfac') that only the coordinator needs (it sends
 * owners what they need in `shard-plan`). Plain data, shared by the URL parser (platform/) and the roles.
 * Defaults follow ALGORITHMS.md §2.8-2.9's small-scale reproduction.
 */

/**
 * 'sync': every device pauses at a refresh step while the swarm runs the sharded Lanczos (FOSI's schedule);
 * 'parallel': `curvatureTabs` devices run it on a parameter snapshot while the others keep training, and the
 * result is switched in at a step boundary if it is at most `refreshEvery` steps stale (§2.5);
 * 'admm': consensus ADMM (our labelled variant of §2.4): each device takes `admmLocalSteps` local FOSI steps on
 * its own data with the augmented term ρ(x − z + u), the coordinator forms z = mean(x_i + u_i) and updates the
 * duals, with residual balancing of ρ; curvature is computed at round boundaries, at the devices' own x_i.
 */
export type Dho2Variant = 'sync' | 'parallel' | 'admm';

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
  /** 'admm': K, the local steps per consensus round. */
  readonly admmLocalSteps: number;
  /** 'admm': ρ₀, the starting penalty (residual balancing adapts it: μ = 10, τ = 2). */
  readonly admmRho: number;
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
  // K = 8: a round then moves 2n floats per device where synchronous steps move 16n. ρ₀ = 0.1: FedProx's
  // usual proximal range for small networks (0.01-1); residual balancing corrects it either way.
  admmLocalSteps: 8, admmRho: 0.1,
};

export const KFAC_DEFAULTS: KfacOptions = { every: 20, damping: 1e-3, statsBatch: 512 };

