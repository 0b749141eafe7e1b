/**
 * Sufficient statistics of one least-squares layer: A = XᵀX (the Gram matrix, packed upper triangle) and
 * B = XᵀT, accumulated in float64 from float32 (or float64) batches, plus the row count n.
 *
 * Batch independence (the "adaptive batch" property of FedACnnL): rows are added one at a time, in order,
 * each as a rank-1 update. Every entry of A and B is therefore the same float64 sum in the same order
 * whatever the batch sizes were, so any split of the same row sequence gives bit-identical A and B. (A
 * product of two float32 values is exact in float64; only the running sums round.) Zero inputs are
 * skipped, which changes nothing (adding ±0 leaves a float64 sum unchanged) and makes sparse inputs such
 * as MNIST pixels several times faster.
 *
 * Bias: with `bias: true` a constant 1 is appended to every row, so dIn = features + 1 and the bias
 * diagonal entry A[dIn−1][dIn−1] equals the row count exactly.
 *
 * Coordinator side: `addStats` validates a client's contribution (`validateGramStats`) before touching
 * the running sum, so a malformed or hostile contribution is an error value and the sum is unchanged.
 *
 * @example
 * const acc = createGramAccumulator({ features: 2, targets: 1, bias: true });
 * acc.addRows(Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, 0]), 2);
 * acc.stats().aUpper; // [1+9, 2+12, 1+3, 4+16, 2+4, 2] = A of [[1,2,1],[3,4,1]]
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import type { NumericArray } from './dense.ts';
import { validateGramStats } from './gram-check.ts';
import type { GramError, GramShape, GramStats } from './gram-stats.ts';
import { addRowsDense, addRowsSparse, DENSE_KERNEL_DENSITY, density } from './gram-kernels.ts';
import type { GramTarget } from './gram-kernels.ts';
import { packedLength } from './packed-symmetric.ts';

/** Shape of the statistics an accumulator builds. */
export interface GramInit {
  /** Input columns before the optional bias column. */
  readonly features: number;
  /** Target columns. */
  readonly targets: number;
  /** Append a constant-1 column (default false). */
  readonly bias?: boolean;
}

/** A running sum of Gram statistics. `stats()` returns a copy; the accumulator keeps its own arrays. */
export interface GramAccumulator {
  readonly shape: GramShape;
  /**
   * Adds rows×features inputs and rows×targets targets, in row order (module comment). The kernel is
   * picked from the batch's density unless given; both kernels give bit-identical sums.
   */
  addRows(x: NumericArray, t: NumericArray, rows: number, kernel?: GramKernel): void;
  /** Adds a client's validated contribution; on error nothing is added. */
  addStats(contribution: GramStats): Result<undefined, GramError>;
  /** A copy of the current sums. */
  stats(): GramStats;
}

/** Thrown by `addRows` on a batch whose lengths do not match the accumulator (a programmer error). */
export class GramShapeError extends RangeError {
  static readonly NAME = 'GramShapeError';
  constructor(message: string) {
    super(message);
    this.name = GramShapeError.NAME;
  }
}

interface MutableStats extends GramTarget {
  count: number;
}

function checkInit(init: GramInit): void {
  const good = (n: number, min: number): boolean => Number.isInteger(n) && n >= min;
  if (!good(init.features, 0) || !good(init.targets, 1) || init.features + (init.bias === true ? 1 : 0) < 1) {
    throw new GramShapeError(`bad Gram shape: ${init.features} features, ${init.targets} targets`);
  }
}

/** Which kernel `addRows` uses; both give the same bits (`gram-kernels.ts`). */
export type GramKernel = 'sparse' | 'dense';

function addRowsWith(kernel: GramKernel, s: MutableStats, x: NumericArray, t: NumericArray, rows: number, idx: Int32Array, val: Float64Array): void {
  if (kernel === 'dense') addRowsDense(s, x, t, 0, rows);
  else addRowsSparse(s, x, t, 0, rows, idx, val);
  s.count += rows;
}

/**
 * Creates an empty accumulator for inputs of `features` columns (plus a bias column if asked) and
 * `targets` target columns.
 * @throws GramShapeError on a non-integer or empty shape.
 */
export function createGramAccumulator(init: GramInit): GramAccumulator {
  checkInit(init);
  const bias = init.bias ?? false;
  const dIn = init.features + (bias ? 1 : 0);
  const dOut = init.targets;
  const s: MutableStats = {
    dIn,
    dOut,
    features: init.features,
    bias,
    a: new Float64Array(packedLength(dIn)),
    b: new Float64Array(dIn * dOut),
    count: 0,
  };
  const idx = new Int32Array(dIn);
  const val = new Float64Array(dIn);
  const shape: GramShape = { dIn, dOut, bias };
  return {
    shape,
    addRows(x, t, rows, kernel) {
      if (!Number.isInteger(rows) || rows < 0 || x.length !== rows * s.features || t.length !== rows * dOut) {
        throw new GramShapeError(`batch of ${rows} rows needs x: ${rows}×${s.features}, t: ${rows}×${dOut}`);
      }
      const chosen = kernel ?? (density(x, s.features, 0, rows) >= DENSE_KERNEL_DENSITY ? 'dense' : 'sparse');
      addRowsWith(chosen, s, x, t, rows, idx, val);
    },
    addStats(c) {
      const valid = validateGramStats(c, shape);
      if (!valid.ok) return valid;
      for (let i = 0; i < s.a.length; i++) s.a[i] = (s.a[i] ?? 0) + (c.aUpper[i] ?? 0);
      for (let i = 0; i < s.b.length; i++) s.b[i] = (s.b[i] ?? 0) + (c.b[i] ?? 0);
      s.count += c.count;
      return ok(undefined);
    },
    stats: () => ({ dIn, dOut, bias, count: s.count, aUpper: Float64Array.from(s.a), b: Float64Array.from(s.b) }),
  };
}

/**
 * Sums contributions in the given order into a fresh accumulator of `shape`; the first bad one stops the
 * sum and is reported with its position.
 */
export function sumGramStats(
  shape: GramShape,
  contributions: readonly GramStats[],
): Result<GramStats, GramError & { readonly index: number }> {
  const acc = createGramAccumulator({ features: shape.dIn - (shape.bias ? 1 : 0), targets: shape.dOut, bias: shape.bias });
  for (let k = 0; k < contributions.length; k++) {
    const c = contributions[k];
    if (c === undefined) continue;
    const added = acc.addStats(c);
    if (!added.ok) return err({ ...added.error, index: k });
  }
  return ok(acc.stats());
}

/** Length of `gramToVector`'s output for a shape: 1 (count) + packed A + B. */
export const gramVectorLength = (shape: GramShape): number => 1 + packedLength(shape.dIn) + shape.dIn * shape.dOut;

/** Flattens statistics into one vector [count, aUpper…, b…] (for masking or a single wire tensor). */
export function gramToVector(stats: GramStats): Float64Array {
  const out = new Float64Array(gramVectorLength(stats));
  out[0] = stats.count;
  out.set(stats.aUpper, 1);
  out.set(stats.b, 1 + stats.aUpper.length);
  return out;
}

/** Inverse of `gramToVector` for a known shape; the count is rounded to an integer (a masked sum may carry dust). */
export function gramFromVector(v: Float64Array, shape: GramShape): Result<GramStats, string> {
  if (v.length !== gramVectorLength(shape)) return err(`vector has ${v.length} entries, expected ${gramVectorLength(shape)}`);
  const aEnd = 1 + packedLength(shape.dIn);
  return ok({ ...shape, count: Math.round(v[0] ?? 0), aUpper: v.slice(1, aEnd), b: v.slice(aEnd) });
}
