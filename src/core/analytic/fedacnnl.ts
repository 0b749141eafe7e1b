/**
 * FedACnnL in one process (spec §4.2): the reference of the layer-wise distributed least-squares pipeline
 * for an MLP (e.g. 784 → 1000 → 10). For each layer in turn:
 *
 * 1. every client accumulates A_k = X_kᵀX_k and B_k = X_kᵀT_k of its layer inputs (with a bias column) and
 *    targets, in batches of its own size (sums do not depend on the batching);
 * 2. the statistics are validated and summed in client order, γ = γ₀·tr(ΣA)/d, and the layer is solved:
 *    W = (ΣA + γI)⁻¹ΣB (or by the hidden-layer scheme of `targets.ts`);
 * 3. every client computes its next layer input H = φ([X, 1]·W).
 *
 * Hidden targets follow `hiddenTargets` (option A by default); the head's target is the one-hot label.
 * With `init.conv`, layer 0 is a seeded random conv front-end (`conv-features.ts`) that needs no
 * statistics: the recommended network for images (~0.97 on MNIST against ~0.89 for option A).
 * The layers themselves (specs, forward, solve from a sum) live in `fedacnnl-layers.ts`.
 * Features stay float64 between layers so the only partition dependence is float64 summation order
 * (weights agree across partitions to ~1e-12 relative, far inside the 1e-9 the tests demand).
 * The integration (messages, masking, tabs) replaces step 2's loop with the network; the maths is this.
 *
 * @example
 * const r = trainFedAcnnl(clients, { features: 784, numClasses: 10, hidden: [1000], seed: 1, gamma0: 1e-3 });
 * if (r.ok) argmaxRows(forwardAnalytic(r.value.model, x, rows), rows, 10);
 * // Seeded conv front-end (16 random 5×5 filters, ReLU, 8×8 average pool) then the ridge head:
 * const conv = { height: 28, width: 28, channels: 1, kernel: 5, filters: 16, grid: 8 };
 * trainFedAcnnl(clients, { features: 784, numClasses: 10, hidden: [], seed: 1, gamma0: 1e-3, conv });
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import type { NumericArray } from './dense.ts';
import { forwardLayer, layerSpecs, solveLayerFromSum } from './fedacnnl-layers.ts';
import type { AnalyticLayer, FedAcnnlInit, LayerSpec } from './fedacnnl-layers.ts';
import { createGramAccumulator, sumGramStats } from './gram.ts';
import type { GramStats } from './gram-stats.ts';

export type { AnalyticLayer, FedAcnnlInit } from './fedacnnl-layers.ts';

/** One client's rows: inputs (rows×features) and labels. */
export interface ClientData {
  readonly x: NumericArray;
  readonly rows: number;
  readonly labels: ArrayLike<number>;
}

/** The trained network. */
export interface AnalyticModel {
  readonly layers: readonly AnalyticLayer[];
}

/** A failed layer: which one, and why. */
export interface FedAcnnlError {
  readonly layer: number;
  readonly message: string;
}

/** What the head solve saw: each client's head statistics and inputs, for personalisation. */
export interface FedAcnnlResult {
  readonly model: AnalyticModel;
  /** Per client, the head layer's statistics (inputs = last hidden features). */
  readonly headStats: readonly GramStats[];
}

/**
 * Runs the first `layers` layers of `model` (default all) on rows×features inputs; returns the last one's
 * outputs (rows×dOut): the head's scores, or with `layers = model.layers.length − 1` the head's inputs.
 */
export function forwardAnalytic(model: AnalyticModel, x: NumericArray, rows: number, layers = model.layers.length): Float64Array {
  const run = model.layers.slice(0, layers);
  if (run.length === 0) return x instanceof Float64Array ? x : Float64Array.from(x);
  let h: NumericArray = x;
  let out: Float64Array = new Float64Array(0);
  for (const layer of run) h = out = forwardLayer(layer, h, rows);
  return out;
}

function batchOf(init: FedAcnnlInit, client: number, rows: number): number {
  const b = typeof init.batchSize === 'number' ? init.batchSize : init.batchSize?.[client];
  return b !== undefined && Number.isInteger(b) && b >= 1 ? b : Math.max(rows, 1);
}

/** One client's statistics for a layer, accumulated batch by batch. */
function clientStats(h: NumericArray, rows: number, spec: LayerSpec, labels: ArrayLike<number>, batch: number): GramStats {
  const dOut = spec.stats?.dOut ?? 1;
  const targets = spec.targets(labels);
  const acc = createGramAccumulator({ features: spec.features, targets: dOut, bias: true });
  for (let start = 0; start < rows; start += batch) {
    const end = Math.min(rows, start + batch);
    acc.addRows(h.subarray(start * spec.features, end * spec.features), targets.subarray(start * dOut, end * dOut), end - start);
  }
  return acc.stats();
}

/** Solves one layer from the clients' current inputs; returns the layer and the per-client statistics. */
function solveLayer(clients: readonly ClientData[], inputs: readonly NumericArray[], index: number, spec: LayerSpec, init: FedAcnnlInit): Result<{ layer: AnalyticLayer; stats: GramStats[] }, string> {
  if (spec.stats === undefined) {
    const layer = solveLayerFromSum(init, index, undefined);
    return layer.ok ? ok({ layer: layer.value, stats: [] }) : layer;
  }
  const stats = clients.map((c, k) => clientStats(inputs[k] ?? c.x, c.rows, spec, c.labels, batchOf(init, k, c.rows)));
  const sum = sumGramStats(spec.stats, stats);
  if (!sum.ok) return err(`client ${sum.error.index}: ${sum.error.message}`);
  const layer = solveLayerFromSum(init, index, sum.value);
  return layer.ok ? ok({ layer: layer.value, stats }) : layer;
}

/**
 * Trains the network layer by layer from the clients' data (module comment). Never throws on bad numbers.
 * @throws RangeError on a conv geometry that does not fit `init.features` (a programmer error).
 */
export function trainFedAcnnl(clients: readonly ClientData[], init: FedAcnnlInit): Result<FedAcnnlResult, FedAcnnlError> {
  let inputs: NumericArray[] = clients.map((c) => c.x);
  const layers: AnalyticLayer[] = [];
  let headStats: GramStats[] = [];
  for (const [index, spec] of layerSpecs(init).entries()) {
    const solved = solveLayer(clients, inputs, index, spec, init);
    if (!solved.ok) return err({ layer: index, message: solved.error });
    const { layer } = solved.value;
    layers.push(layer);
    headStats = solved.value.stats;
    inputs = inputs.map((h, k) => forwardLayer(layer, h, clients[k]?.rows ?? 0));
  }
  return ok({ model: { layers }, headStats });
}
