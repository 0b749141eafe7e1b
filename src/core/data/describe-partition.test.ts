import { describe, expect, it } from 'vitest';
import { describePartition } from './describe-partition.ts';

describe('describePartition', () => {
  it('counts each client’s labels', () => {
    const labels = Uint8Array.of(0, 1, 1, 2, 2, 2);
    const summary = describePartition([Int32Array.of(0, 1, 2), Int32Array.of(3, 4, 5), Int32Array.of()], labels);
    expect(summary.numClasses).toBe(3);
    expect(summary.clients).toEqual([
      { count: 3, histogram: [1, 2, 0], distinctLabels: 2 },
      { count: 3, histogram: [0, 0, 3], distinctLabels: 1 },
      { count: 0, histogram: [0, 0, 0], distinctLabels: 0 },
    ]);
  });

  it('uses the given class count and rejects indices outside the labels', () => {
    expect(describePartition([Int32Array.of(0)], Uint8Array.of(1), 4).clients[0]?.histogram).toEqual([0, 1, 0, 0]);
    expect(() => describePartition([Int32Array.of(5)], Uint8Array.of(1))).toThrow(RangeError);
  });
});
