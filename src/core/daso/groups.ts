/**
 * Device groups for DASO (ALGORITHMS.md 3.1 and 3.8). A *group* is a set of devices with a cheap link between
 * them (heat's "node"): they average gradients every batch. A *global sync set* (heat's "global group" j) is
 * the j-th member of every group; each global sync runs in one set only, and the slot j rotates.
 *
 * Groups are formed, in this order of precedence:
 *  1. explicit `?group=` labels: devices with the same label form one group, and are never merged further;
 *  2. same-machine ids (e.g. a per-browser id shared over BroadcastChannel/localStorage): one group per id;
 *  3. measured round-trip times: complete-linkage agglomerative clustering, starting from the machine groups
 *     and lone devices, merging the two closest clusters while every cross pair has RTT < threshold (5 ms by
 *     default, spec 3.8). An unknown, negative or non-finite RTT counts as +Inf, so it never merges.
 *
 * Everything is sorted (members by id, groups by first member), so every peer computes the same result.
 *
 * Uneven group sizes (spec 3.8): set j holds only the groups that have a j-th member, and its size
 * P_j = |set j| is what the merge divides by. The alternative `'wrap'` rule takes member j mod |group| so that
 * every group takes part in every global sync; it is not in the spec and is off by default.
 *
 * @example
 * const groups = formGroups([{ id: a, machineId: 'm1' }, { id: b, machineId: 'm1' }, { id: c, machineId: 'm2' }]);
 * // → [{key: 'machine:m1', source: 'machine', members: [a, b]}, {key: 'machine:m2', …, members: [c]}]
 * globalSyncSet(groups, syncSlot(groups, 1)); // slot 1 → { slot: 1, members: [b], copies: 1 }
 */
import type { PeerId } from '../ids.ts';

/** What a device tells the coordinator about itself. */
export interface DeviceInfo {
  readonly id: PeerId;
  /** Explicit group label from `?group=`; empty or missing = none. */
  readonly label?: string | undefined;
  /** Same-machine id; empty or missing = unknown. */
  readonly machineId?: string | undefined;
}

/** How a group came to be. `single` = a lone device that nothing joined to another. */
export type GroupSource = 'label' | 'machine' | 'rtt' | 'single';

/** One group of devices with a cheap link between them. */
export interface DeviceGroup {
  /** Stable name: `label:<label>`, `machine:<id>` or `peer:<first member>`. */
  readonly key: string;
  readonly source: GroupSource;
  /** Members sorted by id; index j is the member that joins global sync set j. */
  readonly members: readonly PeerId[];
}

/** Measured RTT between two devices in ms, or undefined when not measured. Must be pure. */
export type RttLookup = (a: PeerId, b: PeerId) => number | undefined;

/** Options for `formGroups`. */
export interface GroupingOptions {
  readonly rttMs?: RttLookup;
  /** Two clusters merge only while every cross pair is below this RTT (default 5 ms, spec 3.8). */
  readonly rttThresholdMs?: number;
}

/** How uneven group sizes map onto global sync sets: the spec's rule, or wrap-around. */
export type UnevenRule = 'spec' | 'wrap';

/** The devices taking part in one global sync. */
export interface GlobalSyncSet {
  readonly slot: number;
  /** One member per participating group, in group order. */
  readonly members: readonly PeerId[];
  /** P_j: the number of parameter copies the sync sums. */
  readonly copies: number;
}

/** "Cheap link" RTT bound from spec 3.8: peers below 5 ms are treated as one machine/cluster. */
export const DEFAULT_RTT_THRESHOLD_MS = 5;

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Symmetric RTT: the larger of both directions when both are known; +Inf when neither is usable. */
function symmetricRtt(rtt: RttLookup, a: PeerId, b: PeerId): number {
  const usable = [rtt(a, b), rtt(b, a)].filter((x): x is number => x !== undefined && Number.isFinite(x) && x >= 0);
  return usable.length === 0 ? Infinity : Math.max(...usable);
}

interface Cluster {
  members: PeerId[];
  source: GroupSource;
  key: string;
}

/** Complete-linkage distance: the worst RTT between any two members of different clusters. */
function linkage(rtt: RttLookup, x: Cluster, y: Cluster): number {
  let worst = 0;
  for (const a of x.members) for (const b of y.members) worst = Math.max(worst, symmetricRtt(rtt, a, b));
  return worst;
}

interface Pair {
  readonly i: number;
  readonly j: number;
  readonly members: PeerId[];
}

/** The closest pair of clusters below the threshold (first pair wins ties), or undefined. */
function closestPair(clusters: readonly Cluster[], rtt: RttLookup, threshold: number): Pair | undefined {
  let best: Pair | undefined;
  let bestD = threshold;
  for (const [i, x] of clusters.entries()) {
    for (const [j, y] of clusters.entries()) {
      if (j <= i) continue;
      const d = linkage(rtt, x, y);
      if (d < bestD) [best, bestD] = [{ i, j, members: [...x.members, ...y.members] }, d];
    }
  }
  return best;
}

/** Agglomerates clusters by RTT (complete linkage). n is a classroom, so the O(n^3) loop is fine. */
function agglomerate(start: Cluster[], rtt: RttLookup, threshold: number): Cluster[] {
  const clusters = [...start];
  for (let pair = closestPair(clusters, rtt, threshold); pair; pair = closestPair(clusters, rtt, threshold)) {
    const merged = pair.members.sort(byString);
    clusters.splice(pair.j, 1);
    clusters[pair.i] = { members: merged, source: 'rtt', key: `peer:${merged[0] ?? ''}` };
  }
  return clusters;
}

/** Buckets devices by a string key, keeping first-seen order of keys. */
function bucket(devices: readonly DeviceInfo[], keyOf: (d: DeviceInfo) => string): Map<string, PeerId[]> {
  const m = new Map<string, PeerId[]>();
  for (const d of devices) {
    const k = keyOf(d);
    const list = m.get(k);
    if (list) list.push(d.id);
    else m.set(k, [d.id]);
  }
  return m;
}

/** Forms groups (see the module comment). Duplicate ids: the first entry wins. Never throws. */
export function formGroups(devices: readonly DeviceInfo[], options: GroupingOptions = {}): DeviceGroup[] {
  const byId = new Map<PeerId, DeviceInfo>();
  for (const d of devices) if (!byId.has(d.id)) byId.set(d.id, d);
  const unique = [...byId.values()].sort((a, b) => byString(a.id, b.id));
  const labelled = unique.filter((d) => (d.label ?? '') !== '');
  const rest = unique.filter((d) => (d.label ?? '') === '');
  const groups: Cluster[] = [];
  for (const [label, members] of bucket(labelled, (d) => d.label ?? '')) {
    groups.push({ members, source: 'label', key: `label:${label}` });
  }
  const onMachine = rest.filter((d) => (d.machineId ?? '') !== '');
  const lone = rest.filter((d) => (d.machineId ?? '') === '');
  const seeds: Cluster[] = [...bucket(onMachine, (d) => d.machineId ?? '')].map(([machine, members]) => ({
    members,
    source: members.length > 1 ? 'machine' : 'single',
    key: `machine:${machine}`,
  }));
  for (const d of lone) seeds.push({ members: [d.id], source: 'single', key: `peer:${d.id}` });
  const threshold = options.rttThresholdMs ?? DEFAULT_RTT_THRESHOLD_MS;
  const clustered = options.rttMs ? agglomerate(seeds, options.rttMs, threshold) : seeds;
  return [...groups, ...clustered]
    .map((c) => ({ key: c.key, source: c.source, members: [...c.members].sort(byString) }))
    .sort((a, b) => byString(a.members[0] ?? '', b.members[0] ?? ''));
}

/** Builds an `RttLookup` from a square matrix of ms (row i = from ids[i]); out-of-range pairs are unknown. */
export function rttFromMatrix(ids: readonly PeerId[], ms: readonly (readonly number[])[]): RttLookup {
  const index = new Map(ids.map((id, i) => [id, i] as const));
  return (a, b) => {
    const i = index.get(a);
    const j = index.get(b);
    return i === undefined || j === undefined ? undefined : ms[i]?.[j];
  };
}

/** Number of rotation slots: the largest group size (heat's GPUs per node). 0 for no groups. */
export function slotCount(groups: readonly DeviceGroup[]): number {
  return groups.reduce((m, g) => Math.max(m, g.members.length), 0);
}

/**
 * Rotation slot (heat's `send_mod`) for the `syncIndex`-th global sync of the current epoch (0-based): the
 * slot advances by one per global sync and starts again at 0 each epoch.
 */
export function syncSlot(groups: readonly DeviceGroup[], syncIndex: number): number {
  const n = slotCount(groups);
  return n === 0 ? 0 : ((syncIndex % n) + n) % n;
}

/** The member of `group` that joins global sync set `slot`, or undefined when the group sits this one out. */
export function globalMemberOf(group: DeviceGroup, slot: number, rule: UnevenRule = 'spec'): PeerId | undefined {
  const n = group.members.length;
  if (n === 0) return undefined;
  return rule === 'wrap' ? group.members[slot % n] : group.members[slot];
}

/** The devices that run global sync set `slot`, and P_j (see the module comment). */
export function globalSyncSet(groups: readonly DeviceGroup[], slot: number, rule: UnevenRule = 'spec'): GlobalSyncSet {
  const members = groups.map((g) => globalMemberOf(g, slot, rule)).filter((m): m is PeerId => m !== undefined);
  return { slot, members, copies: members.length };
}
