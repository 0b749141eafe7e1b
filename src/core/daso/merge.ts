/**
 * DASO's stale-weighting merge (ALGORITHMS.md 3.3, heat `DASO._gs_rcv_update_params`). A global sync started
 * B batches ago returns S = Σ_{i=1..P} θ_i^(t−B), the sum of the P group members' parameters at that time
 * (this member's own old copy included). The member's current parameters θ^(t) are fresher, so they get
 * weight 2B against weight 1 for each stale copy:
 *
 *   θ ← (2B·θ^(t) + S) / (2B + P)
 *
 * B = 0 is the blocking case: nothing is stale, θ^(t) is already one of the P copies in S, and the result is
 * the plain mean S / P (local weight 0). heat's "replace 2B by 1 when B = 0" branch would count this member
 * twice; heat never reaches it (B = 0 takes the blocking path), so we do not reproduce it.
 *
 * Arithmetic is float64 per element, rounded once to float32.
 *
 * @example
 * mergeStale(new Float32Array([4]), new Float64Array([1 + 3]), { copies: 2, batchesToWait: 1 });
 * // (2·4 + 4) / (2 + 2) = 3  → Float32Array [3]
 */

/** A merge argument out of range (caller bug: these values are local, not from peers). */
export class MergeArgumentError extends RangeError {
  static readonly NAME = 'MergeArgumentError';
  constructor(message: string) {
    super(message);
    this.name = MergeArgumentError.NAME;
  }
}

/** How the stale sum was formed. */
export interface MergeShape {
  /** P: how many parameter copies were summed (the sync group's size, P_j for uneven groups). */
  readonly copies: number;
  /** B: batches between starting the sync and this merge (0 = blocking). */
  readonly batchesToWait: number;
}

/** Weights of the merge: `local + copies · perCopy = 1`. */
export interface MergeWeights {
  /** Weight of this member's current parameters: 2B / (2B + P), or 0 when B = 0. */
  readonly local: number;
  /** Weight of each stale copy: 1 / (2B + P), or 1 / P when B = 0. */
  readonly perCopy: number;
}

function checkShape({ copies, batchesToWait }: MergeShape): void {
  if (!Number.isSafeInteger(copies) || copies < 1) throw new MergeArgumentError(`copies must be an integer ≥ 1, got ${copies}`);
  if (!Number.isSafeInteger(batchesToWait) || batchesToWait < 0) {
    throw new MergeArgumentError(`batchesToWait must be an integer ≥ 0, got ${batchesToWait}`);
  }
}

/** The weights `mergeStale` applies (see the module comment). */
export function mergeWeights(shape: MergeShape): MergeWeights {
  checkShape(shape);
  const localNumerator = 2 * shape.batchesToWait; // heat's `batches_between * 2.0`
  const denominator = localNumerator + shape.copies;
  return { local: localNumerator / denominator, perCopy: 1 / denominator };
}

/**
 * Merges the current local parameters with the sum of P stale copies. Returns a new array; inputs are not
 * modified. Throws `MergeArgumentError` on mismatched lengths or a bad shape.
 */
export function mergeStale(local: Float32Array, staleSum: Float32Array | Float64Array, shape: MergeShape): Float32Array {
  if (local.length !== staleSum.length) {
    throw new MergeArgumentError(`length mismatch: local ${local.length}, stale sum ${staleSum.length}`);
  }
  const { local: wl, perCopy: ws } = mergeWeights(shape);
  const out = new Float32Array(local.length);
  for (let i = 0; i < out.length; i++) out[i] = wl * (local[i] ?? 0) + ws * (staleSum[i] ?? 0);
  return out;
}

/** Σ of parameter copies in float64, the S that `mergeStale` expects. Throws on an empty list or mismatch. */
export function sumCopies(copies: readonly (Float32Array | Float64Array)[]): Float64Array {
  const first = copies[0];
  if (first === undefined) throw new MergeArgumentError('sumCopies needs at least one copy');
  const sum = new Float64Array(first.length);
  for (const c of copies) {
    if (c.length !== sum.length) throw new MergeArgumentError(`length mismatch: ${c.length} vs ${sum.length}`);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] ?? 0) + (c[i] ?? 0);
  }
  return sum;
}
