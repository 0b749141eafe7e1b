import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import {
  DATASET_HEADER_BYTES,
  DatasetEncodeError,
  encodeDatasetAsset,
  isDatasetName,
  parseDatasetAsset,
} from './dataset.ts';
import type { Dataset } from './dataset.ts';

/** A tiny 3×2 data set with 4 classes, 3 train and 2 test samples. */
function tiny(): Dataset {
  const pixels = 6;
  const split = (count: number, base: number) => ({
    images: Uint8Array.from({ length: count * pixels }, (_, i) => (base + i * 37) % 256),
    labels: Uint8Array.from({ length: count }, (_, i) => (base + i) % 4),
    count,
  });
  return { name: 'mnist', width: 3, height: 2, numClasses: 4, train: split(3, 1), test: split(2, 7) };
}

const mustParse = (bytes: ArrayBuffer | Uint8Array): Dataset => {
  const r = parseDatasetAsset(bytes);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

const parseError = (bytes: Uint8Array): string => {
  const r = parseDatasetAsset(bytes);
  return r.ok ? 'parsed' : r.error;
};

describe('dataset asset format', () => {
  it('round-trips a data set', () => {
    const ds = tiny();
    const bytes = encodeDatasetAsset(ds);
    expect(bytes.length).toBe(DATASET_HEADER_BYTES + 5 * (6 + 1));
    const back = mustParse(bytes);
    expect(back.name).toBe('mnist');
    expect([back.width, back.height, back.numClasses]).toEqual([3, 2, 4]);
    expect(Array.from(back.train.images)).toEqual(Array.from(ds.train.images));
    expect(Array.from(back.train.labels)).toEqual(Array.from(ds.train.labels));
    expect(Array.from(back.test.images)).toEqual(Array.from(ds.test.images));
    expect(Array.from(back.test.labels)).toEqual(Array.from(ds.test.labels));
    expect([back.train.count, back.test.count]).toEqual([3, 2]);
  });

  it('writes the documented header bytes', () => {
    const header = Array.from(encodeDatasetAsset(tiny()).subarray(0, DATASET_HEADER_BYTES), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join(' ');
    expect(header).toBe(
      '53 57 44 53 01 00 30 00 03 00 02 00 04 00 00 00 03 00 00 00 02 00 00 00 ' +
        '6d 6e 69 73 74 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
    );
  });

  it('accepts an ArrayBuffer and a Uint8Array view at an offset', () => {
    const bytes = encodeDatasetAsset(tiny());
    expect(mustParse(bytes.slice().buffer).test.count).toBe(2);
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 3);
    expect(Array.from(mustParse(padded.subarray(3, 3 + bytes.length)).test.labels)).toEqual(Array.from(tiny().test.labels));
  });

  it('rejects bad headers and lengths with a reason', () => {
    const good = encodeDatasetAsset(tiny());
    const patched = (at: number, value: number) => {
      const b = good.slice();
      b[at] = value;
      return b;
    };
    expect(parseError(good.subarray(0, 10))).toMatch(/too short/);
    expect(parseError(patched(0, 0x3c))).toMatch(/bad magic/);
    expect(parseError(patched(4, 2))).toMatch(/version 2/);
    expect(parseError(patched(8, 0))).toMatch(/image size/);
    expect(parseError(patched(12, 0))).toMatch(/class count/);
    expect(parseError(patched(24, 0x78))).toMatch(/unknown data set name/);
    expect(parseError(good.subarray(0, good.length - 1))).toMatch(/header promises/);
    expect(parseError(Uint8Array.from([...good, 0]))).toMatch(/header promises/);
    expect(parseError(patched(16, 200))).toMatch(/header promises/);
  });

  it('rejects a label outside the class range', () => {
    const bytes = encodeDatasetAsset(tiny());
    bytes[bytes.length - 1] = 4; // last test label; there are 4 classes
    expect(parseError(bytes)).toMatch(/test label #1 is 4/);
  });

  it('never throws on random or mutated bytes', () => {
    const rng = createRng(99);
    const good = encodeDatasetAsset(tiny());
    for (let t = 0; t < 2000; t++) {
      const bytes = t % 2 === 0 ? good.slice() : Uint8Array.from({ length: rng.int(120) }, () => rng.int(256));
      for (let k = 0; k < 3; k++) if (bytes.length > 0) bytes[rng.int(bytes.length)] = rng.int(256);
      const r = parseDatasetAsset(bytes);
      expect(typeof r.ok).toBe('boolean');
    }
  });

  it('encode refuses inconsistent data sets', () => {
    const ds = tiny();
    expect(() => encodeDatasetAsset({ ...ds, train: { ...ds.train, count: 4 } })).toThrow(DatasetEncodeError);
    expect(() => encodeDatasetAsset({ ...ds, numClasses: 2 })).toThrow(/label/);
    expect(() => encodeDatasetAsset({ ...ds, width: 0 })).toThrow(DatasetEncodeError);
  });

  it('isDatasetName accepts exactly the shipped names', () => {
    expect(isDatasetName('mnist')).toBe(true);
    expect(isDatasetName('fashion-mnist')).toBe(true);
    expect(isDatasetName('cifar10')).toBe(false);
    expect(isDatasetName(3)).toBe(false);
  });
});
