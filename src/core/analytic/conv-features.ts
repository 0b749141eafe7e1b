/**
 * A fixed convolutional front-end for FedACnnL: K seeded random filters (k×k, stride 1, 'valid' by default),
 * φ (ReLU in FedACnnL) on every output position, then average pooling into a g×g grid of cells per filter.
 * Each image becomes K·g·g features that the least-squares layers after it are solved on.
 *
 * Why: a dense hidden layer of 1000 random ReLU units on pixels reaches ~0.945 test accuracy on 8,000
 * MNIST rows and option A ~0.89; 16–32 random 5×5 filters pooled to 800–1,024 features (a head Gram no
 * larger) reach ~0.97–0.975 (Fashion-MNIST: 0.885 against 0.82), because pooled local filters are nearly
 * invariant to the small shifts that a dense random layer is not (measured with
 * `scripts/experiments/fedacnnl-accuracy.ts`).
 *
 * The filters come from the shared seed only, so the front-end needs no statistics and no round, and every
 * client computes the same features for the same row: the layers after it stay exactly partition-invariant.
 *
 * Filter matrix layout: (k·k·C + 1)×K row-major, rows in im2col's (ky, kx, c) order and the bias last,
 * so `im2col(x)·W` is the convolution (the test's oracle) and W reshapes into a tfjs [k, k, C, K] filter.
 *
 * @example
 * const conv = { height: 28, width: 28, channels: 1, kernel: 5, filters: 16, grid: 8 };
 * const w = randomConvFilters(conv, seed, 0);
 * const h = convFeatures(conv, w, 'relu', x, rows); // rows × 1024
 */
import { createRng } from '../rng.ts';
import { activateValue } from './activation.ts';
import type { ActivationName } from './activation.ts';
import type { NumericArray } from './dense.ts';
import { convGeometry, Im2colError } from './im2col.ts';
import type { ConvGeometry, Padding } from './im2col.ts';

/** Geometry of the front-end. Images are NHWC, count×height×width×channels row-major. */
export interface ConvFeatureInit {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Square kernel side k. */
  readonly kernel: number;
  /** Filters K. */
  readonly filters: number;
  /** Pooling grid g: each filter's output map is averaged over g×g cells (g ≤ the map's sides). */
  readonly grid: number;
  /** Default 'valid'. */
  readonly padding?: Padding;
  /** Default 1. */
  readonly stride?: number;
}

/** Output geometry plus the pooling cell of every output row and column. */
interface PoolPlan {
  readonly geometry: ConvGeometry;
  readonly cellY: Int32Array;
  readonly cellX: Int32Array;
  /** 1 / (positions in cell), per cell (g·g, row-major). */
  readonly invSize: Float64Array;
}

function poolPlan(init: ConvFeatureInit): PoolPlan {
  const geometry = convGeometry({ ...init, padding: init.padding ?? 'valid' });
  const { grid, filters } = init;
  const good = Number.isInteger(grid) && grid >= 1 && grid <= geometry.outHeight && grid <= geometry.outWidth;
  if (!good || !Number.isInteger(filters) || filters < 1) {
    throw new Im2colError(`grid ${grid} and filters ${filters} do not fit a ${geometry.outHeight}×${geometry.outWidth} map`);
  }
  // Cell of output index i of n: ⌊i·g/n⌋, so cells differ in size by at most one when g does not divide n.
  const cells = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => Math.floor((i * grid) / n));
  const cellY = cells(geometry.outHeight);
  const cellX = cells(geometry.outWidth);
  const count = new Float64Array(grid * grid);
  for (const cy of cellY) for (const cx of cellX) count[cy * grid + cx] = (count[cy * grid + cx] ?? 0) + 1;
  return { geometry, cellY, cellX, invSize: count.map((c) => 1 / c) };
}

/** Features per image: filters·grid². @throws Im2colError on impossible geometry. */
export function convFeatureWidth(init: ConvFeatureInit): number {
  poolPlan(init);
  return init.filters * init.grid * init.grid;
}

/** Inputs per image: height·width·channels. */
export const convInputWidth = (init: ConvFeatureInit): number => init.height * init.width * init.channels;

/**
 * The seeded filters of layer `layer`: each filter is k·k·C standard normal draws, shifted to zero mean
 * (so a filter ignores a patch's mean brightness and responds to edges and strokes) and scaled to unit L2
 * norm (so every filter's response has the same scale); biases 0. Same (init, seed, layer) → same bits.
 * @throws Im2colError on impossible geometry.
 */
export function randomConvFilters(init: ConvFeatureInit, seed: number, layer: number): Float64Array {
  const { patchSize } = poolPlan(init).geometry;
  const k = init.filters;
  const rng = createRng(seed).fork(`conv-features/${layer}`);
  const w = new Float64Array((patchSize + 1) * k);
  const filter = new Float64Array(patchSize);
  for (let f = 0; f < k; f++) {
    let mean = 0;
    for (let i = 0; i < patchSize; i++) mean += (filter[i] = rng.normal());
    mean /= patchSize;
    let sq = 0;
    for (let i = 0; i < patchSize; i++) sq += ((filter[i] = (filter[i] ?? 0) - mean)) ** 2;
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let i = 0; i < patchSize; i++) w[i * k + f] = (filter[i] ?? 0) * inv;
  }
  return w;
}

/** Copies the patch at (oy, ox) into `out` (zeros outside the image); returns whether any entry is non-zero. */
function gatherPatch(img: NumericArray, init: ConvFeatureInit, g: ConvGeometry, oy: number, ox: number, out: Float64Array): boolean {
  const { channels, width, height } = init;
  let col = 0;
  let any = false;
  for (let ky = 0; ky < g.kernel; ky++) {
    const y = oy * g.stride + ky - g.padTop;
    for (let kx = 0; kx < g.kernel; kx++) {
      const x = ox * g.stride + kx - g.padLeft;
      const inside = y >= 0 && y < height && x >= 0 && x < width;
      for (let c = 0; c < channels; c++) {
        const v = inside ? (img[(y * width + x) * channels + c] ?? 0) : 0;
        out[col++] = v;
        if (v !== 0) any = true;
      }
    }
  }
  return any;
}

/**
 * rows × (K·g·g) features of NHWC images x (rows × H·W·C): per filter f and cell (cy, cx), the mean over
 * the cell's output positions of φ(patch·w_f + b_f). Feature order: filter, cell row, cell column.
 * Float64, fixed summation order: the same row always gives the same bits, whatever batch it is in.
 * @throws Im2colError on impossible geometry or a wrongly sized x or w (programmer errors).
 */
export function convFeatures(init: ConvFeatureInit, w: Float64Array, activation: ActivationName, x: NumericArray, rows: number): Float64Array {
  const plan = poolPlan(init);
  const { geometry: g, cellY, cellX, invSize } = plan;
  const k = init.filters;
  const p = g.patchSize;
  const imageSize = convInputWidth(init);
  if (w.length !== (p + 1) * k) throw new Im2colError(`filters have ${w.length} values, expected ${p + 1}×${k}`);
  if (!Number.isInteger(rows) || rows < 0 || x.length !== rows * imageSize) throw new Im2colError(`expected ${rows} images of ${imageSize} values, got ${x.length}`);
  const cells = init.grid * init.grid;
  const width = k * cells;
  const bias = w.subarray(p * k);
  // An all-zero patch (background) gives φ(b_f) whatever the filter: computed once, added without a dot product.
  const atZero = Float64Array.from(bias, (b) => activateValue(activation, b));
  const patch = new Float64Array(p);
  const z = new Float64Array(k);
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const img = x.subarray(r * imageSize, (r + 1) * imageSize);
    const base = r * width;
    for (let oy = 0; oy < g.outHeight; oy++) {
      const rowCell = (cellY[oy] ?? 0) * init.grid;
      for (let ox = 0; ox < g.outWidth; ox++) {
        const cell = base + rowCell + (cellX[ox] ?? 0);
        const any = gatherPatch(img, init, g, oy, ox, patch);
        if (any) {
          // All K responses at once, patch entry by entry (row i of W is contiguous over filters); zero
          // entries are skipped, which leaves every sum unchanged (MNIST patches are mostly background).
          z.set(bias);
          for (let i = 0; i < p; i++) {
            const v = patch[i] ?? 0;
            if (v === 0) continue;
            for (let f = 0, o = i * k; f < k; f++) z[f] = (z[f] ?? 0) + v * (w[o + f] ?? 0);
          }
        }
        for (let f = 0; f < k; f++) {
          const v = any ? activateValue(activation, z[f] ?? 0) : (atZero[f] ?? 0);
          if (v !== 0) out[cell + f * cells] = (out[cell + f * cells] ?? 0) + v;
        }
      }
    }
    for (let f = 0; f < k; f++) for (let c = 0; c < cells; c++) out[base + f * cells + c] = (out[base + f * cells + c] ?? 0) * (invSize[c] ?? 0);
  }
  return out;
}
