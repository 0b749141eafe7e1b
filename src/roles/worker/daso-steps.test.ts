import { describe, expect, it } from 'vitest';
import { peerIdFrom } from '../../core/ids.ts';
import { dasoPeers, decodeGlobal, encodeGlobal, groupsOfPlan, isGlobalBatch, localSyncOn, ownContribution } from './daso-steps.ts';

const batches = (n: number, f: (b: number) => boolean): number[] => Array.from({ length: n }, (_, b) => b).filter(f);

describe('DASO per-batch decisions', () => {
  it('starts global syncs every gs batches from 0, always on the last batch, every batch when gs = 0', () => {
    expect(batches(10, (b) => isGlobalBatch(b, 4, 9))).toEqual([0, 4, 8, 9]);
    expect(batches(10, (b) => isGlobalBatch(b, 8, 9))).toEqual([0, 8, 9]);
    expect(batches(5, (b) => isGlobalBatch(b, 0, 4))).toEqual([0, 1, 2, 3, 4]);
  });

  it('syncs gradients locally every ls batches and always on the last one; ls ≤ 1 means every batch', () => {
    expect(batches(8, (b) => localSyncOn(b, 2, 6))).toEqual([1, 3, 5, 6, 7]);
    expect(batches(4, (b) => localSyncOn(b, 1, 3))).toEqual([0, 1, 2, 3]);
    expect(batches(4, (b) => localSyncOn(b, 0, 3))).toEqual([0, 1, 2, 3]);
  });

  it('reads the plan\'s groups and lists exactly the peers a worker exchanges messages with (uneven groups)', () => {
    const plan = { type: 'daso-plan', runId: 'r', generation: 0, members: ['a', 'b', 'c', 'x', 'y', 'z'], groupSizes: { dtype: 'int32', shape: [3], data: Int32Array.of(3, 2, 1) }, stepsPerEpoch: 4, wire: 'bf16' } as const;
    const groups = groupsOfPlan(plan);
    expect(groups.map((g) => g.members)).toEqual([['a', 'b', 'c'], ['x', 'y'], ['z']]);
    // Sets: slot 0 = {a, x, z}, slot 1 = {b, y}, slot 2 = {c}.
    expect(dasoPeers(groups, peerIdFrom('a'))).toEqual(['b', 'c', 'x', 'z']);
    expect(dasoPeers(groups, peerIdFrom('y'))).toEqual(['b', 'x']);
    expect(dasoPeers(groups, peerIdFrom('c'))).toEqual(['a', 'b']);
  });

  it('sends global parameters as 16-bit patterns and contributes locally exactly what peers decode', () => {
    const p = Float32Array.of(1, Math.PI, -2.5e-3);
    const wire = encodeGlobal(p, 'bf16');
    expect(wire.dtype).toBe('uint16');
    expect(wire.data.byteLength).toBe(p.byteLength / 2);
    expect(Array.from(ownContribution(p, 'bf16'))).toEqual(Array.from(decodeGlobal(wire, 'bf16')!));
    expect(Array.from(ownContribution(p, 'fp32'))).toEqual(Array.from(p));
    expect(decodeGlobal(wire, 'fp32')).toBeNull();
  });
});
