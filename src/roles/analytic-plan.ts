/**
 * The FedACnnL network a run trains (algo 'fedacnnl'), shared by the coordinator (which solves each layer)
 * and the workers (which accumulate each layer's statistics). Pure: float64 maths from core/analytic only.
 *
 * v0 choices (docs/math/analytic.md): one hidden layer of ANALYTIC_HIDDEN_WIDTH leaky-ReLU units with the
 * label-encoding targets (option A), then a linear ridge head on one-hot labels; γ = γ₀·tr(ΣA)/d. Every
 * layer's B is accumulated against the one-hot labels (the label-statistics shortcut of `targets.ts`), so
 * a worker's upload is A (packed) and B = XᵀY whatever the layer.
 *
 * @example
 * const plan = analyticPlan(config, 784, 10);
 * const stats = layerStats(plan, 0, x, rows, labels, []);      // on a worker (layer 0: no weights yet)
 * const layer = solveAnalyticLayer(plan, 0, summed);            // on the coordinator
 */
import { activate } from '../core/analytic/activation.ts';
import { affineRows } from '../core/analytic/dense.ts';
import type { NumericArray } from '../core/analytic/dense.ts';
import type { AnalyticLayer, AnalyticModel, FedAcnnlInit } from '../core/analytic/fedacnnl.ts';
import { createGramAccumulator } from '../core/analytic/gram.ts';
import type { GramShape, GramStats } from '../core/analytic/gram-stats.ts';
import { scaledGamma, solveRidge } from '../core/analytic/ridge.ts';
import { hiddenTargets, oneHotTargets } from '../core/analytic/targets.ts';
import { err, ok } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import type { RunConfig } from '../protocol/messages.ts';

/**
 * Hidden units of the v0 network. Option A's hidden layer is a fixed projection of the C linear scores
 * (rank C), so width past a few hundred buys little (0.889 at 1000 on MNIST) while the second layer's Gram
 * matrix grows as width²: 256 keeps it at 257·258/2 float64 = 265 KB per worker.
 */
export const ANALYTIC_HIDDEN_WIDTH = 256;
/** γ₀ of γ = γ₀·tr(ΣA)/d: the core's tested default, inside the spec's [1e-4, 1e-1]. */
export const ANALYTIC_GAMMA0 = 1e-3;
/**
 * Rows forwarded and accumulated at a time on a worker, with a yield to the event loop between chunks: sums
 * do not depend on it, but a chunk is ~rows·d²/2 multiply-adds of blocking work, so 256 rows of a 785-wide
 * Gram (~80 M) stay far below a heartbeat interval even on a loaded 2-core machine (1024 did not).
 */
export const ANALYTIC_CHUNK_ROWS = 256;

/** The network of a run: the core's FedACnnL options (so tests can compare with `trainFedAcnnl`). */
export type AnalyticPlan = FedAcnnlInit;

/** The network for `config` on inputs of `features` columns and `numClasses` labels. */
export function analyticPlan(config: RunConfig, features: number, numClasses: number): AnalyticPlan {
  return { features, numClasses, hidden: [ANALYTIC_HIDDEN_WIDTH], seed: config.seed, gamma0: ANALYTIC_GAMMA0, scheme: 'label-encoding', activation: 'leaky-relu' };
}

/** Layers to solve: the hidden ones, then the head. */
export const layerCount = (plan: AnalyticPlan): number => plan.hidden.length + 1;

/** Input columns of layer `layer` (without the bias column). */
export const layerFeatures = (plan: AnalyticPlan, layer: number): number => (layer === 0 ? plan.features : (plan.hidden[layer - 1] ?? 0));

/** Output units of layer `layer`. */
export const layerOutputs = (plan: AnalyticPlan, layer: number): number => plan.hidden[layer] ?? plan.numClasses;

/** The statistics shape of layer `layer`: bias column included, B against the one-hot labels. */
export const layerShape = (plan: AnalyticPlan, layer: number): GramShape => ({ dIn: layerFeatures(plan, layer) + 1, dOut: plan.numClasses, bias: true });

const activationOf = (plan: AnalyticPlan, layer: number): AnalyticLayer['activation'] =>
  layer < plan.hidden.length ? (plan.activation ?? 'leaky-relu') : 'identity';

/** A worker's running statistics of one layer: feed it its rows in any chunks, in order. */
export interface LayerAccumulator {
  /** Runs rows×features inputs through the solved layers and adds them (and their labels) to the sums. */
  add(x: NumericArray, rows: number, labels: ArrayLike<number>): void;
  stats(): GramStats;
}

/**
 * The accumulator of layer `layer` given the solved `weights` (layers 0..layer−1, each (dIn+1)×dOut):
 * inputs are forwarded in float64, A and B = XᵀY summed in float64 (sums do not depend on the chunking).
 * @throws RangeError when `weights` do not fit the plan (check with `weightsFit` first).
 */
export function layerAccumulator(plan: AnalyticPlan, layer: number, weights: readonly Float64Array[]): LayerAccumulator {
  if (!weightsFit(plan, layer, weights)) throw new RangeError(`layer ${layer} needs ${layer} solved layers of the plan's shapes`);
  const acc = createGramAccumulator({ features: layerFeatures(plan, layer), targets: plan.numClasses, bias: true });
  return {
    add(x, rows, labels) {
      let h: NumericArray = x;
      for (let l = 0; l < layer; l++) {
        h = activate(activationOf(plan, l), affineRows(h, rows, layerFeatures(plan, l), weights[l] ?? new Float64Array(0), layerOutputs(plan, l), true));
      }
      acc.addRows(h, oneHotTargets(labels, plan.numClasses), rows);
    },
    stats: () => acc.stats(),
  };
}

/** All of a worker's rows at once, in chunks of ANALYTIC_CHUNK_ROWS (the runtime yields between chunks instead). */
export function layerStats(plan: AnalyticPlan, layer: number, x: NumericArray, rows: number, labels: Uint8Array, weights: readonly Float64Array[]): GramStats {
  const acc = layerAccumulator(plan, layer, weights);
  for (let start = 0; start < rows; start += ANALYTIC_CHUNK_ROWS) {
    const end = Math.min(rows, start + ANALYTIC_CHUNK_ROWS);
    acc.add(x.subarray(start * plan.features, end * plan.features), end - start, labels.subarray(start, end));
  }
  return acc.stats();
}

/** Whether `weights` are exactly the solved layers a request for `layer` must carry (shapes included). */
export function weightsFit(plan: AnalyticPlan, layer: number, weights: readonly Float64Array[]): boolean {
  if (layer < 0 || layer >= layerCount(plan) || weights.length !== layer) return false;
  return weights.every((w, l) => w.length === (layerFeatures(plan, l) + 1) * layerOutputs(plan, l) && w.every(Number.isFinite));
}

/** Solves layer `layer` from the summed statistics (the core's `trainFedAcnnl` step 2, identical maths). */
export function solveAnalyticLayer(plan: AnalyticPlan, layer: number, sum: GramStats): Result<AnalyticLayer, string> {
  const gamma = scaledGamma(sum, plan.gamma0);
  const features = layerFeatures(plan, layer);
  const dOut = layerOutputs(plan, layer);
  const activation = activationOf(plan, layer);
  const width = plan.hidden[layer];
  let w: Result<Float64Array, { readonly message: string }>;
  if (width === undefined) {
    const solved = solveRidge(sum, { gamma });
    w = solved.ok ? ok(solved.value.w) : solved;
  } else {
    const rule = hiddenTargets({ scheme: plan.scheme ?? 'label-encoding', numClasses: plan.numClasses, width, seed: plan.seed, layer, activation });
    w = rule.weights({ dIn: features + 1, sum, gamma });
  }
  if (!w.ok) return err(`layer ${layer}: ${w.error.message}`);
  return ok({ features, dOut, w: w.value, activation, gamma, count: sum.count });
}

/** The solved layers as a model (activations from the plan), for forwarding rows through them. */
export function modelFromWeights(plan: AnalyticPlan, weights: readonly Float64Array[]): AnalyticModel {
  return {
    layers: weights.map((w, l) => ({
      features: layerFeatures(plan, l), dOut: layerOutputs(plan, l), w, activation: activationOf(plan, l), gamma: 0, count: 0,
    })),
  };
}
