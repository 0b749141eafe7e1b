import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDatasetAsset } from '../src/core/data/dataset.ts';
import { classPixelsFromJson, SourceFormatError } from './build-data.ts';

const PIXELS = 784;

describe('classPixelsFromJson', () => {
  it('converts the flat [0, 1] layout (mnist) with round(v·255)', () => {
    const data = new Array<number>(2 * PIXELS).fill(0);
    data[0] = 1;
    data[1] = 0.2; // 51/255
    data[PIXELS] = 0.624; // 159.12 → 159
    const out = classPixelsFromJson({ data }, 'flat-unit', 'x');
    expect(out.count).toBe(2);
    expect([out.pixels[0], out.pixels[1], out.pixels[PIXELS]]).toEqual([255, 51, 159]);
  });

  it('converts the nested 0..255 layout (fashion-mnist) and skips empty entries', () => {
    const row = Array.from({ length: PIXELS }, (_, i) => i % 256);
    const out = classPixelsFromJson({ data: [row, [], row] }, 'nested-byte', 'x');
    expect([out.count, out.skipped]).toEqual([2, 1]);
    expect(out.pixels[PIXELS + 255]).toBe(255);
  });

  it('rejects anything else with SourceFormatError', () => {
    const row = new Array<number>(PIXELS).fill(0);
    const bad: [unknown, 'flat-unit' | 'nested-byte'][] = [
      [{}, 'flat-unit'],
      [{ data: [1, 2] }, 'flat-unit'],
      [{ data: [...row.slice(1), 2] }, 'flat-unit'], // 2 is outside [0, 1]: a byte-scaled source
      [{ data: [row.slice(1)] }, 'nested-byte'],
      [{ data: [[...row.slice(1), 0.5]] }, 'nested-byte'],
      [{ data: [[...row.slice(1), 256]] }, 'nested-byte'],
      [{ data: [[...row.slice(1), '1']] }, 'nested-byte'],
    ];
    for (const [json, layout] of bad) expect(() => classPixelsFromJson(json, layout, 'x')).toThrow(SourceFormatError);
  });
});

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'public', 'data');

/** Facts about the built assets; skipped until `npm run data` has run. */
describe.each([
  { name: 'mnist', train: 8000, test: 2000, meanPixel: [0.1, 0.16] },
  { name: 'fashion-mnist', train: 60000, test: 10000, meanPixel: [0.25, 0.33] },
])('built asset $name', ({ name, train, test, meanPixel }) => {
  const file = path.join(dataDir, `${name}.bin`);
  it.skipIf(!existsSync(file))('has the documented split, balanced test classes and [0, 1]-scaled pixels', () => {
    const parsed = parseDatasetAsset(readFileSync(file));
    if (!parsed.ok) throw new Error(parsed.error);
    const ds = parsed.value;
    expect([ds.name, ds.width, ds.height, ds.numClasses]).toEqual([name, 28, 28, 10]);
    expect([ds.train.count, ds.test.count]).toEqual([train, test]);
    const perClass = new Array<number>(10).fill(0);
    for (const label of ds.test.labels) perClass[label]! += 1;
    expect(perClass).toEqual(new Array<number>(10).fill(test / 10));
    expect(new Set(ds.train.labels.subarray(0, 64)).size).toBeGreaterThanOrEqual(8); // shuffled, not sorted
    let sum = 0;
    for (const v of ds.train.images) sum += v;
    const mean = sum / ds.train.images.length / 255; // published means: MNIST 0.13, Fashion-MNIST 0.286
    expect(mean).toBeGreaterThan(meanPixel[0]!);
    expect(mean).toBeLessThan(meanPixel[1]!);
  });
});
