import { describe, expect, it } from 'vitest';
import { splitClientRows } from './client-split.ts';

describe('splitClientRows', () => {
  const trainLabels = Uint8Array.from({ length: 1000 }, (_, i) => i % 4);
  const testLabels = Uint8Array.from({ length: 400 }, (_, i) => i % 4);
  const indices = Int32Array.from({ length: 400 }, (_, i) => i * 2); // labels 0 and 2 only
  const base = { indices, trainLabels, testLabels, seed: 5, clientId: 3, validation: true };

  it('puts every partition row in train or validation, 10 % validation per class', () => {
    const r = splitClientRows(base);
    expect([...r.train, ...r.validation].sort((a, b) => a - b)).toEqual([...indices]);
    expect(r.validation.length).toBe(40);
    expect([...r.validation].filter((i) => trainLabels[i] === 0).length).toBe(20);
  });

  it('draws the local test rows from the test split with the client\'s label proportions', () => {
    const r = splitClientRows(base);
    expect(r.test.length).toBe(100); // 0.25 × 200 per class, two classes
    expect(new Set(r.test).size).toBe(100);
    expect([...r.test].filter((i) => testLabels[i] === 0).length).toBe(50);
    expect([...r.test].every((i) => testLabels[i] === 0 || testLabels[i] === 2)).toBe(true);
  });

  it('trains on the whole partition without validation, and is a function of (seed, client) only', () => {
    const plain = splitClientRows({ ...base, validation: false });
    expect(plain.validation.length).toBe(0);
    expect(plain.train.length).toBe(400);
    expect(splitClientRows(base)).toEqual(splitClientRows(base));
    expect(splitClientRows({ ...base, clientId: 4 }).test).not.toEqual(splitClientRows(base).test);
  });

  it('caps the local test set at the test rows of a class', () => {
    const r = splitClientRows({ ...base, testLabels: Uint8Array.of(0, 2, 2) });
    expect([...r.test].sort()).toEqual([0, 1, 2]);
  });
});
