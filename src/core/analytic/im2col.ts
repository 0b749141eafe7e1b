/**
 * im2col: the patch matrix that turns a convolution into a matrix product, so a conv layer is solved as
 * least squares on patches (ACnnL). Input images are NHWC (tfjs's default layout), count×H×W×C row-major.
 * Each output row is one (image, output position), in the order image, out-row, out-column; each column is
 * one (ky, kx, c) in that order, which is exactly a tfjs conv2d filter [kh, kw, cIn, cOut] flattened, so the
 * solved W (k·k·cIn × cOut, plus a bias row when the Gram accumulator adds one) reshapes into the filter.
 * Padding follows tfjs/TensorFlow: 'valid' uses no padding; 'same' gives ⌈H/stride⌉ outputs and pads
 * ⌊total/2⌋ before and the rest after, with zeros.
 *
 * @example
 * const p = im2col(images, 2, { height: 28, width: 28, channels: 1, padding: 'same' });
 * // p.rows = 2·28·28, p.cols = 9; p.patches · W (9×cOut) = conv2d(images, W as [3,3,1,cOut], 1, 'same')
 */
import type { NumericArray } from './dense.ts';

/** 'same' (output ⌈H/stride⌉) or 'valid' (no padding). */
export type Padding = 'same' | 'valid';

/** Geometry of the convolution. */
export interface Im2colInit {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Square kernel side; default 3. */
  readonly kernel?: number;
  /** Default 1. */
  readonly stride?: number;
  readonly padding: Padding;
}

/** Output size and padding of a convolution. */
export interface ConvGeometry {
  readonly kernel: number;
  readonly stride: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
  /** Columns of the patch matrix: kernel²·channels. */
  readonly patchSize: number;
}

/** The patch matrix: rows×cols, same element type as the input images. */
export interface Patches {
  readonly patches: NumericArray;
  readonly rows: number;
  readonly cols: number;
  readonly geometry: ConvGeometry;
}

/** Thrown on impossible geometry or a wrongly sized image buffer (programmer errors). */
export class Im2colError extends RangeError {
  static readonly NAME = 'Im2colError';
  constructor(message: string) {
    super(message);
    this.name = Im2colError.NAME;
  }
}

function axis(size: number, kernel: number, stride: number, padding: Padding): { out: number; padBefore: number } {
  if (padding === 'valid') return { out: Math.floor((size - kernel) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/** Output size and padding for `init` (TensorFlow's rules). @throws Im2colError on impossible geometry. */
export function convGeometry(init: Im2colInit): ConvGeometry {
  const kernel = init.kernel ?? 3;
  const stride = init.stride ?? 1;
  const dims = [init.height, init.width, init.channels, kernel, stride];
  if (!dims.every((d) => Number.isInteger(d) && d >= 1)) throw new Im2colError(`bad conv geometry ${dims.join(', ')}`);
  const v = axis(init.height, kernel, stride, init.padding);
  const h = axis(init.width, kernel, stride, init.padding);
  if (v.out < 1 || h.out < 1) throw new Im2colError(`kernel ${kernel} does not fit ${init.height}×${init.width} with 'valid'`);
  return {
    kernel,
    stride,
    outHeight: v.out,
    outWidth: h.out,
    padTop: v.padBefore,
    padLeft: h.padBefore,
    patchSize: kernel * kernel * init.channels,
  };
}

/** Copies one output position's patch into `out` at `at` (zeros outside the image). */
function copyPatch(images: NumericArray, base: number, init: Im2colInit, g: ConvGeometry, oy: number, ox: number, out: NumericArray, at: number): void {
  const { channels, width, height } = init;
  let col = at;
  for (let ky = 0; ky < g.kernel; ky++) {
    const y = oy * g.stride + ky - g.padTop;
    for (let kx = 0; kx < g.kernel; kx++) {
      const x = ox * g.stride + kx - g.padLeft;
      if (y < 0 || y >= height || x < 0 || x >= width) {
        col += channels; // out is zero-initialised: padding needs no writes
        continue;
      }
      const src = base + (y * width + x) * channels;
      for (let c = 0; c < channels; c++) out[col++] = images[src + c] ?? 0;
    }
  }
}

/** The patch matrix of `count` NHWC images (module comment). @throws Im2colError on a wrong buffer size. */
export function im2col(images: NumericArray, count: number, init: Im2colInit): Patches {
  const g = convGeometry(init);
  const imageSize = init.height * init.width * init.channels;
  if (!Number.isInteger(count) || count < 0 || images.length !== count * imageSize) {
    throw new Im2colError(`expected ${count} images of ${imageSize} values, got ${images.length} values`);
  }
  const rows = count * g.outHeight * g.outWidth;
  const cols = g.patchSize;
  const patches = images instanceof Float32Array ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  let row = 0;
  for (let n = 0; n < count; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) copyPatch(images, n * imageSize, init, g, oy, ox, patches, row++ * cols);
    }
  }
  return { patches, rows, cols, geometry: g };
}

/**
 * Repeats each of `count` target rows (width values each) `times` times in a row: a conv layer's target,
 * where every output position of an image gets that image's label code (spec §4.3, ACnnL).
 */
export function broadcastRows(targets: Float32Array, count: number, width: number, times: number): Float32Array {
  if (targets.length !== count * width) throw new Im2colError(`targets have ${targets.length} values, expected ${count}×${width}`);
  const out = new Float32Array(count * times * width);
  for (let n = 0; n < count; n++) {
    const row = targets.subarray(n * width, (n + 1) * width);
    for (let p = 0; p < times; p++) out.set(row, (n * times + p) * width);
  }
  return out;
}
