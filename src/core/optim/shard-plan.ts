/**
 * Shard planner for DHO2's shard owners: splits the flat parameter vector (the model's tensors
 * concatenated in order, n floats) into P contiguous shards, one per owner, sized by weight (for example
 * each device's free memory or speed).
 *
 * Allowed cut points are the tensor boundaries and, inside a tensor, the multiples of its row length
 * (the product of all dims after the first; any element for a rank-1 tensor, none inside a scalar). Cut p
 * aims at c_p = n·(w_0 + … + w_p)/Σw and takes the allowed cut point nearest to it; a tie goes to the
 * tensor boundary (then to the lower point). Cuts are kept strictly increasing and leave room for the
 * cuts after them, so every shard holds ≥ 1 element.
 *
 * @example
 * const sizes = planShards([[784, 128], [128], [128, 10], [10]], [1, 1]); // ok([50944, 50826])
 * if (sizes.ok) shardOffsets(sizes.value); // [0, 50944, 101770]
 */
import { err, ok, type Result } from '../result.ts';

/** One non-empty tensor as a run of cut points: `rows` cuts spaced `rowLength` apart after `offset`. */
interface TensorCuts {
  readonly offset: number;
  readonly rowLength: number;
  readonly rows: number;
  /** Cut points (index > 0) in the tensors before this one; cut index `before + j` sits at offset + j·rowLength. */
  readonly before: number;
}

/** The allowed cut points, indexed 0 … count (index 0 is position 0, index count is position n). */
interface CutLayout {
  readonly tensors: readonly TensorCuts[];
  readonly n: number;
  readonly count: number;
}

/** Shard sizes (sum n, one per weight, in order); see the module comment. Errors are returned, not thrown. */
export function planShards(
  shapes: readonly (readonly number[])[],
  weights: readonly number[],
): Result<number[], string> {
  if (weights.length === 0) return err('no weights: need at least one shard');
  if (!weights.every((w) => Number.isFinite(w) && w > 0)) return err('every weight must be positive and finite');
  const total = weights.reduce((a, b) => a + b, 0);
  if (!Number.isFinite(total)) return err('the weights sum to infinity');
  const layout = cutLayout(shapes);
  if (!layout.ok) return layout;
  const { n, count } = layout.value;
  const shards = weights.length;
  if (shards > count) return err(`${shards} shards need ${shards - 1} cuts; the model allows only ${count - 1}`);
  const cuts = [0];
  let cumulative = 0;
  for (let p = 0; p + 1 < shards; p++) {
    cumulative += weights[p] ?? 0;
    const nearest = nearestCut(layout.value, (n * cumulative) / total);
    // Strictly after the previous cut, and leave one cut point for each of the shards.length − 2 − p cuts to come.
    const lowest = (cuts[p] ?? 0) + 1;
    const highest = count - (shards - 1 - p);
    cuts.push(Math.min(Math.max(nearest, lowest), highest));
  }
  cuts.push(count);
  const positions = cuts.map((k) => position(layout.value, k));
  return ok(positions.slice(1).map((end, p) => end - (positions[p] ?? 0)));
}

/** Prefix sums of shard sizes: P + 1 offsets, from 0 to n. Shard p is [offsets[p], offsets[p + 1]). */
export function shardOffsets(sizes: readonly number[]): number[] {
  const offsets = [0];
  for (const size of sizes) offsets.push((offsets[offsets.length - 1] ?? 0) + size);
  return offsets;
}

/** Builds the cut-point index over the non-empty tensors; errs on malformed shapes or an empty model. */
function cutLayout(shapes: readonly (readonly number[])[]): Result<CutLayout, string> {
  const tensors: TensorCuts[] = [];
  let [offset, before] = [0, 0];
  for (const [t, shape] of shapes.entries()) {
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return err(`tensor ${t}: dims must be integers ≥ 0`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size === 0) continue; // an empty tensor adds no coordinates and no cut points
    // Rank 0 (a scalar): one row of one element; rank 1: every element is a row.
    const rows = shape.length === 0 ? 1 : (shape[0] ?? 1);
    const rowLength = size / rows;
    tensors.push({ offset, rowLength, rows, before });
    offset += size;
    before += rows;
  }
  if (offset === 0) return err('the model has no parameters');
  return ok({ tensors, n: offset, count: before });
}

/** Index of the last tensor whose key (offset or before) is < or ≤ x, by binary search. */
function tensorAt(
  tensors: readonly TensorCuts[],
  key: (t: TensorCuts) => number,
  x: number,
  strict: boolean,
): TensorCuts {
  let [lo, hi] = [0, tensors.length - 1];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const k = key(tensors[mid] ?? { offset: 0, rowLength: 1, rows: 1, before: 0 });
    if (strict ? k < x : k <= x) lo = mid;
    else hi = mid - 1;
  }
  const t = tensors[lo];
  if (t === undefined) throw new RangeError('no tensors');
  return t;
}

/** Position (in elements) of cut index k. */
function position(layout: CutLayout, k: number): number {
  if (k === 0) return 0;
  const t = tensorAt(layout.tensors, (x) => x.before, k, true);
  return t.offset + (k - t.before) * t.rowLength;
}

/** Whether cut index k is a tensor boundary (0 and n included). */
function isBoundary(layout: CutLayout, k: number): boolean {
  if (k === 0) return true;
  const t = tensorAt(layout.tensors, (x) => x.before, k, true);
  return k - t.before === t.rows;
}

/** Index of the allowed cut point nearest to position `target` (ties: the tensor boundary, then the lower). */
function nearestCut(layout: CutLayout, target: number): number {
  if (target >= layout.n) return layout.count;
  const t = tensorAt(layout.tensors, (x) => x.offset, Math.max(target, 0), false);
  const below = t.before + Math.floor(Math.max(target - t.offset, 0) / t.rowLength);
  const [lowGap, highGap] = [target - position(layout, below), position(layout, below + 1) - target];
  if (lowGap < highGap || lowGap === 0) return below;
  if (highGap < lowGap) return below + 1;
  return isBoundary(layout, below + 1) && !isBoundary(layout, below) ? below + 1 : below;
}
