import { describe, expect, it } from 'vitest';
import { describePartition } from './describe-partition.ts';
import { partition, PartitionError, proportionalSizes, validatePartitionInit } from './partition.ts';
import type { PartitionInit } from './partition.ts';

/** A balanced-ish pool like MNIST's training split: 10 classes, 8,000 samples, in a scrambled order. */
const labels = Uint8Array.from({ length: 8000 }, (_, i) => (i * 7 + (i >> 4)) % 10);
const base = { labels, numClients: 20, seed: 12 } as const;

const sortedAll = (parts: readonly Int32Array[]): number[] => parts.flatMap((p) => Array.from(p)).sort((a, b) => a - b);
const everyIndexOnce = Array.from({ length: labels.length }, (_, i) => i);
const asArrays = (parts: readonly Int32Array[]): number[][] => parts.map((p) => Array.from(p));

/**
 * Mean over clients of the total-variation distance between the client's label distribution and the
 * global one: 0 for a perfectly IID split, approaching 0.9 when each client holds a single class of 10.
 */
function meanLabelSkew(parts: readonly Int32Array[]): number {
  const { clients } = describePartition(parts, labels, 10);
  const global = describePartition([Int32Array.from(everyIndexOnce)], labels, 10).clients[0]!;
  const tv = clients.map((c) =>
    c.histogram.reduce((s, n, k) => s + Math.abs(n / c.count - global.histogram[k]! / global.count), 0) / 2,
  );
  return tv.reduce((a, b) => a + b, 0) / tv.length;
}

describe.each<PartitionInit>([
  { ...base, scheme: 'iid' },
  { ...base, scheme: 'dirichlet', alpha: 0.5 },
  { ...base, scheme: 'labels', labelsPerClient: 2 },
])('partition $scheme', (init) => {
  it('assigns every index to exactly one client', () => {
    const parts = partition(init);
    expect(parts).toHaveLength(20);
    expect(sortedAll(parts)).toEqual(everyIndexOnce);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    expect(asArrays(partition(init))).toEqual(asArrays(partition(init)));
    expect(asArrays(partition({ ...init, seed: 13 }))).not.toEqual(asArrays(partition(init)));
  });

  it('returns each client its indices in a shuffled (not ascending) order', () => {
    const first = partition(init)[0]!;
    const ascending = Array.from(first).sort((a, b) => a - b);
    expect(Array.from(first)).not.toEqual(ascending);
  });
});

describe('partition iid', () => {
  it('gives equal sizes by default and proportional sizes with weights', () => {
    expect(partition({ ...base, scheme: 'iid' }).map((p) => p.length)).toEqual(new Array<number>(20).fill(400));
    const weights = [1, 3, 0, 4];
    const sizes = partition({ ...base, numClients: 4, scheme: 'iid', weights }).map((p) => p.length);
    expect(sizes).toEqual([1000, 3000, 0, 4000]);
  });

  it('is nearly unskewed', () => {
    expect(meanLabelSkew(partition({ ...base, scheme: 'iid' }))).toBeLessThan(0.1);
  });
});

describe('partition dirichlet', () => {
  it('alpha = 0.1 is strongly skewed and alpha = 100 nearly uniform', () => {
    const skewed = meanLabelSkew(partition({ ...base, scheme: 'dirichlet', alpha: 0.1 }));
    const flat = meanLabelSkew(partition({ ...base, scheme: 'dirichlet', alpha: 100 }));
    expect(skewed).toBeGreaterThan(0.5);
    expect(flat).toBeLessThan(0.1);
  });

  it('gives every client at least the minimum, even when no draw qualifies (top-up path)', () => {
    for (const alpha of [0.01, 0.1]) {
      const parts = partition({ ...base, numClients: 100, scheme: 'dirichlet', alpha, minPerClient: 40 });
      expect(Math.min(...parts.map((p) => p.length))).toBeGreaterThanOrEqual(40);
      expect(sortedAll(parts)).toEqual(everyIndexOnce);
    }
    const defaults = partition({ ...base, scheme: 'dirichlet', alpha: 0.05 });
    expect(Math.min(...defaults.map((p) => p.length))).toBeGreaterThanOrEqual(10);
  });

  it('respects weights on average (a weight-3 client gets about 3 times a weight-1 client)', () => {
    const weights = [1, 3];
    let ratio = 0;
    for (let seed = 0; seed < 20; seed++) {
      const [a, b] = partition({ ...base, seed, numClients: 2, scheme: 'dirichlet', alpha: 100, weights });
      ratio += b!.length / a!.length / 20;
    }
    expect(ratio).toBeGreaterThan(2.7);
    expect(ratio).toBeLessThan(3.3);
  });
});

describe('partition labels', () => {
  it('gives each client exactly k distinct labels and uses every class', () => {
    for (const [numClients, k] of [[20, 2], [5, 2], [7, 3], [3, 4]] as const) {
      const parts = partition({ ...base, numClients, scheme: 'labels', labelsPerClient: k });
      const { clients } = describePartition(parts, labels, 10);
      expect(clients.map((c) => c.distinctLabels)).toEqual(new Array<number>(numClients).fill(k));
      const used = clients.reduce((u, c) => u.map((n, cls) => n + (c.histogram[cls] ?? 0)), new Array<number>(10).fill(0));
      expect(used.every((n) => n > 0)).toBe(true);
      expect(sortedAll(parts)).toEqual(everyIndexOnce);
    }
  });

  it('leaves unused classes out when numClients·k < numClasses', () => {
    const parts = partition({ ...base, numClients: 2, scheme: 'labels', labelsPerClient: 3 });
    const classes = new Set(parts.flatMap((p) => Array.from(p, (i) => labels[i])));
    expect(classes.size).toBe(6);
    expect(sortedAll(parts).length).toBe(4800); // 6 of 10 classes of 800 samples
  });
});

describe('validatePartitionInit', () => {
  it('explains bad arguments, and partition throws PartitionError for them', () => {
    const bad: PartitionInit[] = [
      { ...base, scheme: 'iid', numClients: 0 },
      { ...base, scheme: 'iid', seed: 0.5 },
      { ...base, scheme: 'iid', weights: [1, 2] },
      { ...base, scheme: 'iid', weights: new Array<number>(20).fill(0) },
      { ...base, scheme: 'dirichlet' },
      { ...base, scheme: 'dirichlet', alpha: -1 },
      { ...base, scheme: 'dirichlet', alpha: 1, minPerClient: 401 },
      { ...base, scheme: 'labels' },
      { ...base, scheme: 'labels', labelsPerClient: 11 },
      { ...base, scheme: 'iid', numClasses: 5 },
    ];
    for (const init of bad) {
      expect(validatePartitionInit(init).ok).toBe(false);
      expect(() => partition(init)).toThrow(PartitionError);
    }
    expect(validatePartitionInit({ ...base, scheme: 'dirichlet', alpha: 1, minPerClient: 400 }).ok).toBe(true);
  });
});

describe('proportionalSizes', () => {
  it('sums exactly and rounds by largest remainder', () => {
    expect(proportionalSizes(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(proportionalSizes(7, [0, 1, 0])).toEqual([0, 7, 0]);
    expect(proportionalSizes(100, [0.2, 0.3, 0.5])).toEqual([20, 30, 50]);
  });
});
