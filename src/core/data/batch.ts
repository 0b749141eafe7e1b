/**
 * Turns stored uint8 images into the float32 batches a model trains on.
 */
import type { Split } from './dataset.ts';

/** A batch ready for `tf.tensor`: `x` is count·pixels floats in [0, 1], `y` the count class labels. */
export interface FloatBatch {
  readonly x: Float32Array;
  readonly y: Uint8Array;
  /** Samples in the batch (may be less than asked for at the end of `indices`). */
  readonly count: number;
}

/** Thrown when an index points outside the split (a programmer error: indices from another split). */
export class BatchIndexError extends RangeError {
  static readonly NAME = 'BatchIndexError';
  constructor(message: string) {
    super(message);
    this.name = BatchIndexError.NAME;
  }
}

/** v / 255 for every byte value: a table lookup instead of a division per pixel. */
const UNIT_SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Gathers samples `indices[start]`, …, `indices[start + count - 1]` of `split` into a float batch.
 * The count is clamped to what is left of `indices` after `start`, so the last batch of an epoch may be
 * shorter; `start` past the end gives an empty batch.
 * @param into optional reusable buffers; used when they have exactly the needed lengths, else fresh ones.
 * @throws BatchIndexError if a selected index is not an integer in [0, split.count).
 * @example
 * const { x, y } = toFloatBatch(ds.train, myIndices, 0, 128);
 * const xs = tf.tensor2d(x, [y.length, 784]);
 */
export function toFloatBatch(
  split: Split,
  indices: Int32Array | readonly number[],
  start: number,
  count: number,
  into?: { readonly x: Float32Array; readonly y: Uint8Array },
): FloatBatch {
  const first = Math.max(0, Math.floor(start));
  const n = Math.max(0, Math.min(Math.floor(count), indices.length - first));
  const pixels = split.count > 0 ? split.images.length / split.count : 0;
  const x = into?.x.length === n * pixels ? into.x : new Float32Array(n * pixels);
  const y = into?.y.length === n ? into.y : new Uint8Array(n);
  for (let b = 0; b < n; b++) {
    const i = indices[first + b] ?? -1;
    if (!Number.isInteger(i) || i < 0 || i >= split.count) {
      throw new BatchIndexError(`index ${i} (position ${first + b}) is outside the split of ${split.count}`);
    }
    const src = i * pixels;
    const dst = b * pixels;
    for (let p = 0; p < pixels; p++) x[dst + p] = UNIT_SCALE[split.images[src + p] ?? 0] ?? 0;
    y[b] = split.labels[i] ?? 0;
  }
  return { x, y, count: n };
}
