/**
 * A small synthetic 10-class image data set for Node sims: each class is a random prototype image plus
 * seeded noise, so a model can learn it in a few steps. Test-only (real data sets are used in e2e).
 */
import { createRng } from '../core/rng.ts';
import type { Dataset, Split } from '../core/data/dataset.ts';

const PIXELS = 784;

function split(count: number, protos: Float64Array[], seed: number): Split {
  const rng = createRng(seed);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % 10;
    labels[i] = c;
    const p = protos[c] ?? new Float64Array(PIXELS);
    for (let j = 0; j < PIXELS; j++) images[i * PIXELS + j] = Math.max(0, Math.min(255, Math.round((p[j] ?? 0) * 255 + rng.normal() * 40)));
  }
  return { images, labels, count };
}

export function syntheticDataset(trainCount = 600, testCount = 200, seed = 1): Dataset {
  const rng = createRng(seed);
  const protos = Array.from({ length: 10 }, () => Float64Array.from({ length: PIXELS }, () => (rng.next() < 0.3 ? 1 : 0)));
  return { name: 'mnist', width: 28, height: 28, numClasses: 10, train: split(trainCount, protos, seed + 1), test: split(testCount, protos, seed + 2) };
}
