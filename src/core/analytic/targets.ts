/**
 * Targets and weights of the hidden layers of a layer-wise least-squares network (spec §4.3), behind one
 * function, `hiddenTargets({scheme, …})`:
 *
 * - `label-encoding` (option A, the default): a label code E ∈ R^{C×width} drawn from a seed shared by all
 *   clients; the layer's target is T = φ⁻¹(clip(Y·E)) = Y·E′ with E′ = φ⁻¹(clip(E)) (one-hot Y selects a
 *   row of E, so the element-wise inverse commutes with it). The layer is the ridge solve on the sums.
 * - `correlation-projection` (option B, CPNet-style): W_cp = normalize_columns(ΣXᵀ·Y·E), each column
 *   scaled to unit L2 norm; no solve.
 * - `random-features` (option C, the control): seeded N(0, 1/dIn) weights, no statistics at all.
 *
 * Label statistics instead of code statistics: because T = Y·E′ is linear in the one-hot Y,
 * XᵀT = (XᵀY)·E′ and (A + γI)⁻¹XᵀT = ((A + γI)⁻¹XᵀY)·E′. So clients accumulate B against the one-hot labels
 * (`statsTargets`, C columns) and the coordinator multiplies by the code (`weights`). The result is the
 * same as accumulating against the width-column targets (`targets`, tested) but every client uploads
 * dIn·C numbers for B instead of dIn·width, and the solve has C right-hand sides instead of width.
 *
 * The output layer's target is the one-hot label (`oneHotTargets`), optionally as ±1.
 *
 * @example
 * const rule = hiddenTargets({ scheme: 'label-encoding', numClasses: 10, width: 1000, seed: 7, layer: 0, activation: 'leaky-relu' });
 * acc.addRows(x, rule.statsTargets(labels), rows);        // on every client: A and B = XᵀY
 * const w = rule.weights({ dIn, sum, gamma });             // on the coordinator: dIn×1000
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { createRng } from '../rng.ts';
import { inverseActivation } from './activation.ts';
import { matmul } from './dense.ts';
import type { ActivationName } from './activation.ts';
import type { GramStats } from './gram-stats.ts';
import { solveRidge } from './ridge.ts';
import type { RidgeError } from './ridge.ts';

/** The three hidden-layer schemes of the spec (§4.3 A, B, C). */
export type TargetScheme = 'label-encoding' | 'correlation-projection' | 'random-features';
/** Entries of the label code E: ±1, N(0, 1/C), or {0, 1} (non-negative, for plain ReLU). */
export type CodeKind = 'sign' | 'gaussian' | 'binary';

/** Arguments of `hiddenTargets`. Every client must pass the same values to get the same code. */
export interface HiddenTargetInit {
  readonly scheme: TargetScheme;
  readonly numClasses: number;
  /** Units of the layer. */
  readonly width: number;
  /** Seed shared by all clients (safe integer). */
  readonly seed: number;
  /** Layer index: each layer draws its own code from the same seed. */
  readonly layer: number;
  readonly activation: ActivationName;
  /** Default 'sign'. */
  readonly code?: CodeKind;
}

/** What the coordinator needs to produce the layer's weights. */
export interface HiddenWeightsInput {
  /** Input columns of the layer, the bias column included. */
  readonly dIn: number;
  /** Summed statistics (required unless the scheme is `random-features`). */
  readonly sum?: GramStats;
  /** Ridge γ (absolute) for `label-encoding`. */
  readonly gamma: number;
}

/** A hidden layer's recipe: per-row targets on clients, weights on the coordinator. */
export interface HiddenLayerRule {
  readonly scheme: TargetScheme;
  /** False for `random-features`: clients need not accumulate anything. */
  readonly needsStats: boolean;
  /** The label code E (numClasses×width), or undefined for `random-features`. */
  readonly code: Float64Array | undefined;
  /** Columns of `statsTargets`: numClasses (0 for `random-features`). */
  readonly statsWidth: number;
  /** rows×numClasses one-hot targets that clients accumulate B against (module comment). */
  statsTargets(labels: ArrayLike<number>): Float32Array;
  /** rows×width float32: the layer's explicit target (φ⁻¹(clip(Y·E)) for A, Y·E for B, zeros for C). */
  targets(labels: ArrayLike<number>): Float32Array;
  /** dIn×width weights (row-major) from statistics accumulated against `statsTargets`. */
  weights(input: HiddenWeightsInput): Result<Float64Array, RidgeError>;
}

/** The seeded label code E (numClasses×width, row-major) of a layer. */
export function labelCode(numClasses: number, width: number, seed: number, layer: number, kind: CodeKind): Float64Array {
  const rng = createRng(seed).fork(`label-code/${layer}`);
  const scale = 1 / Math.sqrt(numClasses); // N(0, 1/C), the spec's variance
  return Float64Array.from({ length: numClasses * width }, () => {
    switch (kind) {
      case 'sign':
        return rng.next() < 0.5 ? -1 : 1;
      case 'binary':
        return rng.next() < 0.5 ? 0 : 1;
      case 'gaussian':
        return rng.normal() * scale;
    }
  });
}

/** Rows of `table` (C×width) picked by label: rows×width float32. Labels outside [0, C) give zero rows. */
function pickRows(table: Float64Array, width: number, labels: ArrayLike<number>): Float32Array {
  const out = new Float32Array(labels.length * width);
  for (let r = 0; r < labels.length; r++) {
    const y = labels[r] ?? -1;
    if (!Number.isInteger(y) || y < 0 || (y + 1) * width > table.length) continue;
    out.set(table.subarray(y * width, (y + 1) * width), r * width);
  }
  return out;
}

/** One-hot targets (rows×numClasses); with `sign: true` the off entries are −1 instead of 0. */
export function oneHotTargets(labels: ArrayLike<number>, numClasses: number, sign = false): Float32Array {
  const table = new Float64Array(numClasses * numClasses).fill(sign ? -1 : 0);
  for (let c = 0; c < numClasses; c++) table[c * numClasses + c] = 1;
  return pickRows(table, numClasses, labels);
}

function normalizedColumns(b: Float64Array, rows: number, cols: number): Float64Array {
  const w = Float64Array.from(b);
  for (let c = 0; c < cols; c++) {
    let sq = 0;
    for (let r = 0; r < rows; r++) sq += (w[r * cols + c] ?? 0) ** 2;
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let r = 0; r < rows; r++) w[r * cols + c] = (w[r * cols + c] ?? 0) * inv;
  }
  return w;
}

const needSum = (input: HiddenWeightsInput, numClasses: number): Result<GramStats, RidgeError> => {
  if (input.sum === undefined) return err({ kind: 'bad-argument', message: 'this scheme needs the summed statistics' });
  if (input.sum.dOut !== numClasses) return err({ kind: 'bad-argument', message: `statistics have ${input.sum.dOut} target columns, expected ${numClasses} (one-hot labels)` });
  return ok(input.sum);
};

function randomFeatures(init: HiddenTargetInit): HiddenLayerRule {
  const { width, seed, layer } = init;
  return {
    scheme: 'random-features',
    needsStats: false,
    code: undefined,
    statsWidth: 0,
    statsTargets: () => new Float32Array(0),
    targets: (labels) => new Float32Array(labels.length * width),
    weights: ({ dIn }) => {
      const rng = createRng(seed).fork(`random-features/${layer}`);
      const scale = 1 / Math.sqrt(dIn); // N(0, 1/dIn): unit-variance pre-activations for unit-variance inputs
      return ok(Float64Array.from({ length: dIn * width }, () => rng.normal() * scale));
    },
  };
}

/** The recipe for one hidden layer under `init.scheme` (module comment). */
export function hiddenTargets(init: HiddenTargetInit): HiddenLayerRule {
  const { scheme, numClasses, width } = init;
  if (scheme === 'random-features') return randomFeatures(init);
  const code = labelCode(numClasses, width, init.seed, init.layer, init.code ?? 'sign');
  const fitted = scheme === 'label-encoding' ? code.map((t) => inverseActivation(init.activation, t)) : code;
  const common = {
    scheme,
    needsStats: true,
    code,
    statsWidth: numClasses,
    statsTargets: (labels: ArrayLike<number>) => oneHotTargets(labels, numClasses),
    targets: (labels: ArrayLike<number>) => pickRows(fitted, width, labels),
  };
  if (scheme === 'correlation-projection') {
    return {
      ...common,
      weights: (input) => {
        const sum = needSum(input, numClasses);
        return sum.ok ? ok(normalizedColumns(matmul(sum.value.b, sum.value.dIn, numClasses, code, width), sum.value.dIn, width)) : sum;
      },
    };
  }
  return {
    ...common,
    weights: (input) => {
      const sum = needSum(input, numClasses);
      if (!sum.ok) return sum;
      const solved = solveRidge(sum.value, { gamma: input.gamma });
      return solved.ok ? ok(matmul(solved.value.w, sum.value.dIn, numClasses, fitted, width)) : solved;
    },
  };
}
