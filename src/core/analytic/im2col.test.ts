import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { maxRelDiff, matmul } from './dense.ts';
import { broadcastRows, convGeometry, im2col } from './im2col.ts';
import type { Padding } from './im2col.ts';

/** Direct NHWC convolution with a [k, k, cIn, cOut] filter, TensorFlow padding. */
function naiveConv(img: Float64Array, count: number, h: number, w: number, cIn: number, filter: Float64Array, k: number, cOut: number, stride: number, padding: Padding): Float64Array {
  const g = convGeometry({ height: h, width: w, channels: cIn, kernel: k, stride, padding });
  const out = new Float64Array(count * g.outHeight * g.outWidth * cOut);
  for (let n = 0; n < count; n++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        for (let co = 0; co < cOut; co++) {
          let s = 0;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const y = oy * stride + ky - g.padTop;
              const x = ox * stride + kx - g.padLeft;
              if (y < 0 || y >= h || x < 0 || x >= w) continue;
              for (let c = 0; c < cIn; c++) s += img[((n * h + y) * w + x) * cIn + c]! * filter[((ky * k + kx) * cIn + c) * cOut + co]!;
            }
          }
          out[((n * g.outHeight + oy) * g.outWidth + ox) * cOut + co] = s;
        }
      }
    }
  }
  return out;
}

describe('im2col', () => {
  const rng = createRng(3);
  const [count, h, w, cIn, cOut] = [2, 6, 5, 2, 3];
  const img = Float64Array.from({ length: count * h * w * cIn }, () => rng.normal());

  for (const [padding, stride, k] of [['same', 1, 3], ['valid', 1, 3], ['same', 2, 3], ['valid', 2, 2]] as const) {
    it(`patches · W equals a direct convolution (${padding}, stride ${stride}, kernel ${k})`, () => {
      const filter = Float64Array.from({ length: k * k * cIn * cOut }, () => rng.normal());
      const p = im2col(img, count, { height: h, width: w, channels: cIn, kernel: k, stride, padding });
      expect(p.cols).toBe(k * k * cIn);
      expect(p.rows).toBe(count * p.geometry.outHeight * p.geometry.outWidth);
      const viaPatches = matmul(p.patches, p.rows, p.cols, filter, cOut);
      expect(maxRelDiff(viaPatches, naiveConv(img, count, h, w, cIn, filter, k, cOut, stride, padding))).toBeLessThan(1e-14);
    });
  }

  it("uses TensorFlow's output sizes", () => {
    expect(convGeometry({ height: 28, width: 28, channels: 1, padding: 'same' })).toMatchObject({ outHeight: 28, outWidth: 28, padTop: 1 });
    expect(convGeometry({ height: 28, width: 28, channels: 1, padding: 'valid' })).toMatchObject({ outHeight: 26, outWidth: 26, padTop: 0 });
    expect(convGeometry({ height: 5, width: 5, channels: 1, stride: 2, padding: 'same' })).toMatchObject({ outHeight: 3, padTop: 1 });
  });

  it('keeps float32 input as float32 and rejects bad buffers', () => {
    const p = im2col(new Float32Array(9), 1, { height: 3, width: 3, channels: 1, padding: 'valid' });
    expect(p.patches).toBeInstanceOf(Float32Array);
    expect(p.rows).toBe(1);
    expect(() => im2col(new Float32Array(8), 1, { height: 3, width: 3, channels: 1, padding: 'valid' })).toThrow(/expected 1 images/);
    expect(() => convGeometry({ height: 2, width: 2, channels: 1, padding: 'valid' })).toThrow(/does not fit/);
  });
});

describe('broadcastRows', () => {
  it('repeats each image’s target for each of its positions', () => {
    expect(Array.from(broadcastRows(Float32Array.from([1, 2, 3, 4]), 2, 2, 2))).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    expect(() => broadcastRows(new Float32Array(3), 2, 2, 1)).toThrow();
  });
});
