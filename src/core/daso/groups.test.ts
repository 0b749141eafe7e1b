import { describe, expect, it } from 'vitest';
import type { PeerId } from '../ids.ts';
import { peerIdFrom } from '../ids.ts';
import { createRng } from '../rng.ts';
import type { DeviceGroup } from './groups.ts';
import { formGroups, globalMemberOf, globalSyncSet, rttFromMatrix, slotCount, syncSlot } from './groups.ts';

const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(peerIdFrom) as [PeerId, PeerId, PeerId, PeerId, PeerId];
const members = (groups: readonly DeviceGroup[]): string[][] => groups.map((g) => [...g.members]);

/** RTT lookup from a symmetric table of named pairs; everything else unknown. */
function rttTable(pairs: Record<string, number>): (x: PeerId, y: PeerId) => number | undefined {
  return (x, y) => pairs[`${x}${y}`] ?? pairs[`${y}${x}`];
}

describe('formGroups', () => {
  it('groups tabs that share a machine id, sorted and stable', () => {
    const g = formGroups([
      { id: d, machineId: 'm2' },
      { id: a, machineId: 'm1' },
      { id: c, machineId: 'm2' },
      { id: b, machineId: 'm1' },
    ]);
    expect(g).toEqual([
      { key: 'machine:m1', source: 'machine', members: [a, b] },
      { key: 'machine:m2', source: 'machine', members: [c, d] },
    ]);
  });

  it('gives explicit labels precedence over machine ids and never merges labelled groups by RTT', () => {
    const g = formGroups(
      [
        { id: a, machineId: 'm1', label: 'x' },
        { id: b, machineId: 'm1' },
        { id: c, label: 'x' },
        { id: d, label: '' },
      ],
      { rttMs: () => 0.1 },
    );
    expect(members(g)).toEqual([[a, c], [b, d]]);
    expect(g[0]!.source).toBe('label');
    expect(g[1]!.source).toBe('rtt'); // b (machine m1 alone) and d (no label, no machine) are close
  });

  it('clusters by RTT below the threshold', () => {
    const ids = [a, b, c, d, e];
    // {a, b} on one machine (1 ms), {c, d, e} on another (2 ms), 40 ms between them.
    const near = (i: number, j: number): boolean => (i < 2 && j < 2) || (i >= 2 && j >= 2);
    const ms = ids.map((_, i) => ids.map((_, j) => (i === j ? 0 : near(i, j) ? (i < 2 ? 1 : 2) : 40)));
    const g = formGroups(ids.map((id) => ({ id })), { rttMs: rttFromMatrix(ids, ms) });
    expect(members(g)).toEqual([[a, b], [c, d, e]]);
    expect(g.every((x) => x.source === 'rtt')).toBe(true);
  });

  it('uses complete linkage, so a chain of short hops does not join far-apart devices', () => {
    const g = formGroups([{ id: a }, { id: b }, { id: c }], { rttMs: rttTable({ ab: 3, bc: 3, ac: 8 }) });
    expect(members(g)).toEqual([[a, b], [c]]);
    expect(g[1]!.source).toBe('single');
  });

  it('treats unknown, NaN and negative RTTs as infinite, and takes the slower direction', () => {
    expect(members(formGroups([{ id: a }, { id: b }], { rttMs: () => undefined }))).toEqual([[a], [b]]);
    expect(members(formGroups([{ id: a }, { id: b }], { rttMs: () => NaN }))).toEqual([[a], [b]]);
    expect(members(formGroups([{ id: a }, { id: b }], { rttMs: () => -1 }))).toEqual([[a], [b]]);
    const oneWaySlow = (x: PeerId): number => (x === a ? 1 : 9);
    expect(members(formGroups([{ id: a }, { id: b }], { rttMs: oneWaySlow }))).toEqual([[a], [b]]);
    const oneKnown = (x: PeerId): number | undefined => (x === a ? 1 : undefined);
    expect(members(formGroups([{ id: a }, { id: b }], { rttMs: oneKnown }))).toEqual([[a, b]]);
  });

  it('merges machine groups that are close, and needs every cross pair to be close', () => {
    const devices = [
      { id: a, machineId: 'm1' },
      { id: b, machineId: 'm1' },
      { id: c, machineId: 'm2' },
    ];
    expect(members(formGroups(devices, { rttMs: () => 1 }))).toEqual([[a, b, c]]);
    // a–c close but b–c unknown: no merge.
    expect(members(formGroups(devices, { rttMs: rttTable({ ac: 1 }) }))).toEqual([[a, b], [c]]);
  });

  it('uses a strict threshold, 5 ms by default', () => {
    const two = [{ id: a }, { id: b }];
    expect(members(formGroups(two, { rttMs: () => 5 }))).toEqual([[a], [b]]);
    expect(members(formGroups(two, { rttMs: () => 4.9 }))).toEqual([[a, b]]);
    expect(members(formGroups(two, { rttMs: () => 5, rttThresholdMs: 10 }))).toEqual([[a, b]]);
  });

  it('does not depend on the order devices are listed in', () => {
    const rng = createRng(4);
    const devices = [
      { id: a, machineId: 'm1' },
      { id: b, label: 'lab' },
      { id: c, machineId: 'm1' },
      { id: d },
      { id: e, label: 'lab' },
    ];
    const rtt = rttTable({ ad: 2, cd: 2, be: 50 });
    const want = formGroups(devices, { rttMs: rtt });
    for (let k = 0; k < 10; k++) expect(formGroups(rng.shuffle([...devices]), { rttMs: rtt })).toEqual(want);
    expect(members(want)).toEqual([[a, c, d], [b, e]]);
  });

  it('keeps the first entry of a duplicated id', () => {
    const g = formGroups([
      { id: a, machineId: 'm1' },
      { id: a, machineId: 'm2' },
      { id: b, machineId: 'm1' },
    ]);
    expect(members(g)).toEqual([[a, b]]);
  });
});

describe('global sync sets and rotation', () => {
  // Uneven: group A has three tabs, group B one.
  const groups = formGroups([
    { id: a, machineId: 'A' },
    { id: b, machineId: 'A' },
    { id: c, machineId: 'A' },
    { id: d, machineId: 'B' },
  ]);

  it('rotates the slot once per global sync over the largest group size', () => {
    expect(slotCount(groups)).toBe(3);
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => syncSlot(groups, i))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('follows the spec for uneven sizes: set j holds only groups with a j-th member, P_j = |set j|', () => {
    expect(globalSyncSet(groups, 0)).toEqual({ slot: 0, members: [a, d], copies: 2 });
    expect(globalSyncSet(groups, 1)).toEqual({ slot: 1, members: [b], copies: 1 });
    expect(globalSyncSet(groups, 2)).toEqual({ slot: 2, members: [c], copies: 1 });
    expect(globalMemberOf(groups[1]!, 1)).toBeUndefined();
  });

  it('gives every device exactly one turn per full rotation', () => {
    const turns = [0, 1, 2].flatMap((s) => globalSyncSet(groups, syncSlot(groups, s)).members);
    expect([...turns].sort()).toEqual([a, b, c, d]);
  });

  it('can wrap short groups around instead, so every group joins every sync', () => {
    expect(globalSyncSet(groups, 1, 'wrap')).toEqual({ slot: 1, members: [b, d], copies: 2 });
    expect(globalSyncSet(groups, 2, 'wrap')).toEqual({ slot: 2, members: [c, d], copies: 2 });
  });

  it('handles no groups at all', () => {
    expect(slotCount([])).toBe(0);
    expect(syncSlot([], 5)).toBe(0);
    expect(globalSyncSet([], 0)).toEqual({ slot: 0, members: [], copies: 0 });
  });
});
