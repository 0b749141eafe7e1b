import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { activateValue } from './activation.ts';
import type { ActivationName } from './activation.ts';
import { convFeatures, convFeatureWidth, randomConvFilters } from './conv-features.ts';
import type { ConvFeatureInit } from './conv-features.ts';
import { affineRows, maxRelDiff } from './dense.ts';
import { convGeometry, im2col } from './im2col.ts';

/** Images with a zero border and zero blocks (so the all-zero-patch shortcut is exercised) and random values elsewhere. */
function images(init: ConvFeatureInit, count: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const { height, width, channels } = init;
  const x = new Float64Array(count * height * width * channels);
  for (let n = 0; n < count; n++) {
    for (let y = 1; y < height - 1; y++) {
      for (let c = 0; c < width - 1; c++) {
        if (y > height / 2 && c < width / 2) continue; // a zero quadrant
        for (let ch = 0; ch < channels; ch++) x[((n * height + y) * width + c) * channels + ch] = rng.normal();
      }
    }
  }
  return x;
}

/** Oracle: im2col · W, φ, then the mean over each cell's positions, written out directly. */
function oracle(init: ConvFeatureInit, w: Float64Array, phi: ActivationName, x: Float64Array, rows: number): Float64Array {
  const padding = init.padding ?? 'valid';
  const g = convGeometry({ ...init, padding });
  const { patches } = im2col(x, rows, { ...init, padding });
  const z = affineRows(patches, rows * g.outHeight * g.outWidth, g.patchSize, w, init.filters, true);
  const { grid, filters } = init;
  const out = new Float64Array(rows * filters * grid * grid);
  for (let n = 0; n < rows; n++) {
    for (let f = 0; f < filters; f++) {
      for (let cy = 0; cy < grid; cy++) {
        for (let cx = 0; cx < grid; cx++) {
          let sum = 0;
          let count = 0;
          for (let oy = 0; oy < g.outHeight; oy++) {
            for (let ox = 0; ox < g.outWidth; ox++) {
              if (Math.floor((oy * grid) / g.outHeight) !== cy || Math.floor((ox * grid) / g.outWidth) !== cx) continue;
              sum += activateValue(phi, z[((n * g.outHeight + oy) * g.outWidth + ox) * filters + f] ?? NaN);
              count++;
            }
          }
          out[((n * filters + f) * grid + cy) * grid + cx] = sum / count;
        }
      }
    }
  }
  return out;
}

const cases: { name: string; init: ConvFeatureInit; phi: ActivationName; bias: number }[] = [
  { name: 'valid, 1 channel, relu', init: { height: 12, width: 12, channels: 1, kernel: 5, filters: 6, grid: 3 }, phi: 'relu', bias: 0 },
  { name: 'same, stride 2, 2 channels, biases, tanh', init: { height: 10, width: 9, channels: 2, kernel: 3, filters: 4, grid: 2, padding: 'same', stride: 2 }, phi: 'tanh', bias: 0.3 },
  { name: 'grid that does not divide the map, leaky-relu', init: { height: 11, width: 13, channels: 1, kernel: 3, filters: 3, grid: 4 }, phi: 'leaky-relu', bias: -0.2 },
];

describe('convFeatures', () => {
  for (const { name, init, phi, bias } of cases) {
    it(`equals im2col · W, φ, then cell means (${name})`, () => {
      const w = randomConvFilters(init, 5, 0);
      const patch = w.length / init.filters - 1;
      const rng = createRng(9);
      for (let f = 0; f < init.filters; f++) w[patch * init.filters + f] = bias * rng.normal(); // non-zero biases
      const rows = 3;
      const x = images(init, rows, 2);
      const got = convFeatures(init, w, phi, x, rows);
      expect(got).toHaveLength(rows * convFeatureWidth(init));
      expect(maxRelDiff(got, oracle(init, w, phi, x, rows))).toBeLessThan(1e-12);
    });
  }

  it('gives every row the same bits whatever batch it is in', () => {
    const { init } = cases[0]!;
    const w = randomConvFilters(init, 1, 0);
    const x = images(init, 4, 3);
    const all = convFeatures(init, w, 'relu', x, 4);
    const size = 144;
    const width = convFeatureWidth(init);
    for (let r = 0; r < 4; r++) {
      expect(convFeatures(init, w, 'relu', x.subarray(r * size, (r + 1) * size), 1)).toEqual(all.subarray(r * width, (r + 1) * width));
    }
  });

  it('refuses a grid larger than the map and wrongly sized inputs', () => {
    const init: ConvFeatureInit = { height: 6, width: 6, channels: 1, kernel: 3, filters: 2, grid: 5 };
    expect(() => convFeatureWidth(init)).toThrow(RangeError); // a 4×4 map cannot be pooled 5×5
    const ok = { ...init, grid: 2 };
    expect(convFeatureWidth(ok)).toBe(8);
    const w = randomConvFilters(ok, 1, 0);
    expect(() => convFeatures(ok, w, 'relu', new Float64Array(35), 1)).toThrow(RangeError);
    expect(() => convFeatures(ok, w.subarray(1), 'relu', new Float64Array(36), 1)).toThrow(RangeError);
  });
});

describe('randomConvFilters', () => {
  const init: ConvFeatureInit = { height: 28, width: 28, channels: 1, kernel: 5, filters: 16, grid: 8 };

  it('is determined by (seed, layer) and differs between seeds and layers', () => {
    expect(randomConvFilters(init, 3, 0)).toEqual(randomConvFilters(init, 3, 0));
    expect(randomConvFilters(init, 3, 1)).not.toEqual(randomConvFilters(init, 3, 0));
    expect(randomConvFilters(init, 4, 0)).not.toEqual(randomConvFilters(init, 3, 0));
  });

  it('draws zero-mean, unit-norm filters with zero biases', () => {
    const w = randomConvFilters(init, 7, 0);
    const k = init.filters;
    expect(w).toHaveLength(26 * k);
    for (let f = 0; f < k; f++) {
      let mean = 0;
      let sq = 0;
      for (let i = 0; i < 25; i++) [mean, sq] = [mean + (w[i * k + f] ?? NaN), sq + (w[i * k + f] ?? NaN) ** 2];
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(sq).toBeCloseTo(1, 12);
      expect(w[25 * k + f]).toBe(0);
    }
    // Not degenerate: distinct filters are far from parallel.
    let dot = 0;
    for (let i = 0; i < 25; i++) dot += (w[i * k] ?? 0) * (w[i * k + 1] ?? 0);
    expect(Math.abs(dot)).toBeLessThan(0.9);
  });
});
