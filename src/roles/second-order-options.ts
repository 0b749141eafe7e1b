/**
 * Second-order run helpers for the roles: the options themselves are plain data in
 * core/optim/second-order-options.ts (re-exported here).
 */
import type { BaseKind, OptimizerName, RunConfig } from '../protocol/messages.ts';
import type { OptimizerSpec } from '../compute/optimizer.ts';

export { DHO2_DEFAULTS, KFAC_DEFAULTS, type Dho2Options, type Dho2Variant, type KfacOptions } from '../core/optim/second-order-options.ts';

/** FOSI's base optimizer for the run's optimizer name. */
export function baseKindOf(optimizer: OptimizerName): BaseKind {
  return optimizer === 'adam' ? 'adam' : optimizer === 'sgd' ? 'sgd' : 'heavy-ball';
}

/**
 * The optimizer every replica applies the broadcast update with. DHO2 broadcasts −Δ (the owners already ran
 * FOSI), so replicas take plain SGD steps at rate 1: θ − 1·(−Δ) = θ + Δ. Other algos apply the run's optimizer.
 */
export function replicaOptimizer(config: RunConfig): OptimizerSpec {
  return config.algo === 'dho2' ? { name: 'sgd', learningRate: 1 } : { name: config.optimizer, learningRate: config.learningRate };
}
