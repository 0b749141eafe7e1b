/**
 * The layers of a FedACnnL network, one at a time: what each layer is (`layerSpecs`), how rows go through
 * a solved layer (`forwardLayer`) and how a layer is solved from the summed statistics (`solveLayerFromSum`).
 * `trainFedAcnnl` is built from these, and a distributed runtime can call the same three so that its
 * maths cannot drift from the in-process reference.
 *
 * Layer order: the optional seeded conv front-end (`init.conv`, `conv-features.ts`; no statistics), then
 * one dense hidden layer per entry of `init.hidden` (scheme of `targets.ts`), then the ridge head on
 * one-hot labels. Layer indices count every layer, the front-end included; a layer's seeds are forked
 * from (init.seed, its index).
 *
 * @example
 * const specs = layerSpecs(init);
 * for (const [l, spec] of specs.entries()) {
 *   // clients: if (spec.stats) accumulate A, B of [h, 1] against spec.targets(labels); then sum them
 *   const layer = solveLayerFromSum(init, l, sum);          // sum undefined when spec.stats is undefined
 *   // clients: h = forwardLayer(layer, h, rows)
 * }
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { activate } from './activation.ts';
import type { ActivationName } from './activation.ts';
import { convFeatures, convFeatureWidth, convInputWidth, randomConvFilters } from './conv-features.ts';
import type { ConvFeatureInit } from './conv-features.ts';
import { affineRows } from './dense.ts';
import type { NumericArray } from './dense.ts';
import type { GramShape, GramStats } from './gram-stats.ts';
import { convGeometry } from './im2col.ts';
import { scaledGamma, solveRidge } from './ridge.ts';
import { hiddenTargets, oneHotTargets } from './targets.ts';
import type { CodeKind, HiddenLayerRule, TargetScheme } from './targets.ts';

/** Options of a FedACnnL network (`trainFedAcnnl`, `layerSpecs`). */
export interface FedAcnnlInit {
  /** Input columns (784 for MNIST); with `conv`, must equal its height·width·channels. */
  readonly features: number;
  readonly numClasses: number;
  /** Dense hidden widths; [] is a single linear LS layer (AFL on raw inputs, or on the conv features). */
  readonly hidden: readonly number[];
  /** Seed shared by all clients (label codes, random features, conv filters). */
  readonly seed: number;
  /** γ₀ of γ = γ₀·tr(ΣA)/d, in [1e-4, 1e-1] per the spec. */
  readonly gamma0: number;
  /** Dense hidden layers' scheme; default 'label-encoding' (option A). */
  readonly scheme?: TargetScheme;
  /** Dense hidden activation; default 'leaky-relu'. */
  readonly activation?: ActivationName;
  readonly code?: CodeKind;
  /** Head targets ±1 instead of one-hot 0/1. */
  readonly signTargets?: boolean;
  /** Rows per accumulation batch, one number for all clients or one per client; default all rows at once. */
  readonly batchSize?: number | readonly number[];
  /** A seeded random conv front-end as layer 0 (`conv-features.ts`): ReLU, average-pooled. */
  readonly conv?: ConvFeatureInit;
}

/** A solved layer: W is dIn×dOut with the bias as its last row (for a conv layer: the filter matrix). */
export interface AnalyticLayer {
  /** Inputs without the bias column. */
  readonly features: number;
  readonly dOut: number;
  readonly w: Float64Array;
  /** φ after the layer ('identity' for the head; for a conv layer, before the pooling). */
  readonly activation: ActivationName;
  /** γ used (0 for layers solved without statistics). */
  readonly gamma: number;
  /** Rows summed over all clients (0 for layers solved without statistics). */
  readonly count: number;
  /** Set for the conv front-end: `w` is then (k·k·C + 1)×filters and the outputs are pooled (`convFeatures`). */
  readonly conv?: ConvFeatureInit;
}

/** φ of the conv front-end (measured with ReLU; the pooled features of a linear φ would be a linear map). */
export const CONV_ACTIVATION: ActivationName = 'relu';

/** What one layer is before it is solved. */
export interface LayerSpec {
  /** Inputs per row, without the bias column. */
  readonly features: number;
  /** Outputs per row. */
  readonly dOut: number;
  readonly activation: ActivationName;
  /** Length of the layer's `w`. */
  readonly weightLength: number;
  /** Set for the conv front-end. */
  readonly conv: ConvFeatureInit | undefined;
  /** Set for a dense hidden layer. */
  readonly rule: HiddenLayerRule | undefined;
  /** Statistics clients accumulate (bias column included); undefined: none, the layer needs no round. */
  readonly stats: GramShape | undefined;
  /** rows×stats.dOut targets that clients accumulate B against (empty when `stats` is undefined). */
  targets(labels: ArrayLike<number>): Float32Array;
}

/**
 * Every layer of the network `init` describes, in order (module comment).
 * @throws RangeError (Im2colError) on a conv geometry that does not fit or does not match `features`.
 */
export function layerSpecs(init: FedAcnnlInit): LayerSpec[] {
  const specs: LayerSpec[] = [];
  let features = init.features;
  const none = (): Float32Array => new Float32Array(0);
  if (init.conv !== undefined) {
    const conv = init.conv;
    if (convInputWidth(conv) !== features) throw new RangeError(`conv front-end reads ${convInputWidth(conv)} inputs, the network has ${features}`);
    const dOut = convFeatureWidth(conv);
    const weightLength = (convGeometry({ ...conv, padding: conv.padding ?? 'valid' }).patchSize + 1) * conv.filters;
    specs.push({ features, dOut, activation: CONV_ACTIVATION, weightLength, conv, rule: undefined, stats: undefined, targets: none });
    features = dOut;
  }
  const activation = init.activation ?? 'leaky-relu';
  for (const width of init.hidden) {
    const layer = specs.length;
    const rule = hiddenTargets({ scheme: init.scheme ?? 'label-encoding', numClasses: init.numClasses, width, seed: init.seed, layer, activation, ...(init.code ? { code: init.code } : {}) });
    const stats = rule.needsStats ? { dIn: features + 1, dOut: rule.statsWidth, bias: true } : undefined;
    specs.push({ features, dOut: width, activation, weightLength: (features + 1) * width, conv: undefined, rule, stats, targets: rule.needsStats ? (labels) => rule.statsTargets(labels) : none });
    features = width;
  }
  const c = init.numClasses;
  specs.push({
    features, dOut: c, activation: 'identity', weightLength: (features + 1) * c, conv: undefined, rule: undefined,
    stats: { dIn: features + 1, dOut: c, bias: true },
    targets: (labels) => oneHotTargets(labels, c, init.signTargets),
  });
  return specs;
}

/** The parts of a layer that forwarding needs (an `AnalyticLayer`, or a spec with its weights). */
export type ForwardableLayer = Pick<AnalyticLayer, 'features' | 'dOut' | 'w' | 'activation' | 'conv'>;

/** A layer's outputs (rows×dOut, float64) for rows×features inputs. @throws RangeError on mismatched lengths. */
export function forwardLayer(layer: ForwardableLayer, x: NumericArray, rows: number): Float64Array {
  if (layer.conv !== undefined) return convFeatures(layer.conv, layer.w, layer.activation, x, rows);
  return activate(layer.activation, affineRows(x, rows, layer.features, layer.w, layer.dOut, true));
}

/**
 * Solves layer `index` of `init` from the clients' summed statistics (`sum` is ignored, and may be
 * undefined, for a layer whose spec has no `stats`). γ = γ₀·tr(ΣA)/d. Never throws on bad numbers.
 * @throws RangeError for an index outside the network or a bad conv geometry (programmer errors).
 */
export function solveLayerFromSum(init: FedAcnnlInit, index: number, sum: GramStats | undefined): Result<AnalyticLayer, string> {
  const spec = layerSpecs(init)[index];
  if (spec === undefined) throw new RangeError(`layer ${index} is outside the network`);
  const { features, dOut, activation } = spec;
  if (spec.conv !== undefined) {
    return ok({ features, dOut, w: randomConvFilters(spec.conv, init.seed, index), activation, gamma: 0, count: 0, conv: spec.conv });
  }
  if (spec.stats === undefined) {
    // A dense layer without statistics (random features): its rule draws the weights from the seed alone.
    const w = spec.rule?.weights({ dIn: features + 1, gamma: 0 });
    return w?.ok === true ? ok({ features, dOut, w: w.value, activation, gamma: 0, count: 0 }) : err(`layer ${index}: ${w?.error.message ?? 'no rule'}`);
  }
  if (sum === undefined) return err(`layer ${index}: needs the summed statistics`);
  if (sum.dIn !== spec.stats.dIn || sum.dOut !== spec.stats.dOut) return err(`layer ${index}: statistics are ${sum.dIn}×${sum.dOut}, expected ${spec.stats.dIn}×${spec.stats.dOut}`);
  const gamma = scaledGamma(sum, init.gamma0);
  const w = spec.rule ? spec.rule.weights({ dIn: features + 1, sum, gamma }) : solveRidge(sum, { gamma });
  if (!w.ok) return err(`layer ${index}: ${w.error.message}`);
  const weights = w.value instanceof Float64Array ? w.value : w.value.w;
  return ok({ features, dOut, w: weights, activation, gamma, count: sum.count });
}
