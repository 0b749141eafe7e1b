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
 * Features stay float64 between layers so the only partition dependence is float64 summation order
 * (weights agree across partitions to ~1e-12 relative, far inside the 1e-9 the tests demand).
 * The integration (messages, masking, tabs) replaces step 2's loop with the network; the maths is this.
 *
 * @example
 * const r = trainFedAcnnl(clients, { features: 784, numClasses: 10, hidden: [1000], seed: 1, gamma0: 1e-3 });
 * if (r.ok) argmaxRows(forwardAnalytic(r.value.model, x, rows), rows, 10);
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { activate } from './activation.ts';
import type { ActivationName } from './activation.ts';
import { affineRows } from './dense.ts';
import type { NumericArray } from './dense.ts';
import { createGramAccumulator, sumGramStats } from './gram.ts';
import type { GramStats } from './gram-stats.ts';
import { scaledGamma, solveRidge } from './ridge.ts';
import type { RidgeError } from './ridge.ts';
import { hiddenTargets, oneHotTargets } from './targets.ts';
import type { CodeKind, HiddenLayerRule, TargetScheme } from './targets.ts';

/** One client's rows: inputs (rows×features) and labels. */
export interface ClientData {
  readonly x: NumericArray;
  readonly rows: number;
  readonly labels: ArrayLike<number>;
}

/** Options of `trainFedAcnnl`. */
export interface FedAcnnlInit {
  /** Input columns (784 for MNIST). */
  readonly features: number;
  readonly numClasses: number;
  /** Hidden widths; [] is a single linear LS layer (AFL on raw inputs). */
  readonly hidden: readonly number[];
  /** Seed shared by all clients (label codes, random features). */
  readonly seed: number;
  /** γ₀ of γ = γ₀·tr(ΣA)/d, in [1e-4, 1e-1] per the spec. */
  readonly gamma0: number;
  /** Default 'label-encoding' (option A). */
  readonly scheme?: TargetScheme;
  /** Hidden activation; default 'leaky-relu'. */
  readonly activation?: ActivationName;
  readonly code?: CodeKind;
  /** Head targets ±1 instead of one-hot 0/1. */
  readonly signTargets?: boolean;
  /** Rows per accumulation batch, one number for all clients or one per client; default all rows at once. */
  readonly batchSize?: number | readonly number[];
}

/** A solved layer: W is dIn×dOut with the bias as its last row. */
export interface AnalyticLayer {
  /** Inputs without the bias column. */
  readonly features: number;
  readonly dOut: number;
  readonly w: Float64Array;
  /** φ after the layer ('identity' for the head). */
  readonly activation: ActivationName;
  /** γ used (0 for random features). */
  readonly gamma: number;
  /** Rows summed over all clients. */
  readonly count: number;
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
  let h: NumericArray = x;
  let out: Float64Array = x instanceof Float64Array ? x : Float64Array.from(x);
  for (const layer of model.layers.slice(0, layers)) {
    out = activate(layer.activation, affineRows(h, rows, layer.features, layer.w, layer.dOut, true));
    h = out;
  }
  return out;
}

function batchOf(init: FedAcnnlInit, client: number, rows: number): number {
  const b = typeof init.batchSize === 'number' ? init.batchSize : init.batchSize?.[client];
  return b !== undefined && Number.isInteger(b) && b >= 1 ? b : Math.max(rows, 1);
}

/** One client's statistics for a layer, accumulated batch by batch. */
function clientStats(h: NumericArray, rows: number, features: number, targets: Float32Array, dOut: number, batch: number): GramStats {
  const acc = createGramAccumulator({ features, targets: dOut, bias: true });
  for (let start = 0; start < rows; start += batch) {
    const end = Math.min(rows, start + batch);
    acc.addRows(h.subarray(start * features, end * features), targets.subarray(start * dOut, end * dOut), end - start);
  }
  return acc.stats();
}

interface LayerPlan {
  readonly dOut: number;
  readonly activation: ActivationName;
  readonly rule: HiddenLayerRule | undefined; // undefined: the head
}

function planLayers(init: FedAcnnlInit): LayerPlan[] {
  const activation = init.activation ?? 'leaky-relu';
  const hidden = init.hidden.map((width, layer) => ({
    dOut: width,
    activation,
    rule: hiddenTargets({ scheme: init.scheme ?? 'label-encoding', numClasses: init.numClasses, width, seed: init.seed, layer, activation, ...(init.code ? { code: init.code } : {}) }),
  }));
  return [...hidden, { dOut: init.numClasses, activation: 'identity', rule: undefined }];
}

function headWeights(sum: GramStats, gamma: number): Result<Float64Array, RidgeError> {
  const solved = solveRidge(sum, { gamma });
  return solved.ok ? ok(solved.value.w) : solved;
}

/** Solves one layer from the clients' current inputs; returns the layer and the per-client statistics. */
function solveLayer(clients: readonly ClientData[], inputs: readonly NumericArray[], features: number, plan: LayerPlan, init: FedAcnnlInit): Result<{ layer: AnalyticLayer; stats: GramStats[] }, string> {
  const dIn = features + 1;
  const needsStats = plan.rule?.needsStats ?? true;
  const statsWidth = plan.rule?.statsWidth ?? plan.dOut;
  const targetsOf = (c: ClientData): Float32Array => plan.rule?.statsTargets(c.labels) ?? oneHotTargets(c.labels, init.numClasses, init.signTargets);
  const stats = needsStats ? clients.map((c, k) => clientStats(inputs[k] ?? c.x, c.rows, features, targetsOf(c), statsWidth, batchOf(init, k, c.rows))) : [];
  const sum = sumGramStats({ dIn, dOut: Math.max(statsWidth, 1), bias: true }, stats);
  if (!sum.ok) return err(`client ${sum.error.index}: ${sum.error.message}`);
  const gamma = needsStats ? scaledGamma(sum.value, init.gamma0) : 0;
  const w = plan.rule ? plan.rule.weights({ dIn, sum: sum.value, gamma }) : headWeights(sum.value, gamma);
  if (!w.ok) return err(w.error.message);
  return ok({ layer: { features, dOut: plan.dOut, w: w.value, activation: plan.activation, gamma, count: sum.value.count }, stats });
}

/** Trains the MLP layer by layer from the clients' data (module comment). Never throws on bad numbers. */
export function trainFedAcnnl(clients: readonly ClientData[], init: FedAcnnlInit): Result<FedAcnnlResult, FedAcnnlError> {
  let inputs: NumericArray[] = clients.map((c) => c.x);
  let features = init.features;
  const layers: AnalyticLayer[] = [];
  let headStats: GramStats[] = [];
  for (const [index, plan] of planLayers(init).entries()) {
    const solved = solveLayer(clients, inputs, features, plan, init);
    if (!solved.ok) return err({ layer: index, message: solved.error });
    const { layer } = solved.value;
    layers.push(layer);
    headStats = solved.value.stats;
    inputs = inputs.map((h, k) => activate(layer.activation, affineRows(h, clients[k]?.rows ?? 0, features, layer.w, layer.dOut, true)));
    features = layer.dOut;
  }
  return ok({ model: { layers }, headStats });
}
