/**
 * The pure decisions of a DASO worker (ALGORITHMS.md 3.2), separate from the runner that waits and sends:
 * which batches sync gradients inside the group, which start a global sync, which peers a worker talks to,
 * the groups of a `daso-plan`, and the 16-bit wire codecs of global messages. No clock, no tfjs.
 */
import type { DeviceGroup } from '../../core/daso/groups.ts';
import { globalSyncSet, slotCount } from '../../core/daso/groups.ts';
import type { PeerId } from '../../core/ids.ts';
import { decodeBf16, decodeFp16, encodeBf16, encodeFp16 } from '../../core/numeric/half-precision.ts';
import type { DasoPlanMsg, DasoWire } from '../../protocol/messages.ts';
import type { WireTensor } from '../../protocol/wire-tensor.ts';

/**
 * Whether batch `b` (0-based in the epoch) averages gradients inside the group. heat turns local sync on when
 * the next batch index is a multiple of ls and always before the last batch; ls ≤ 1 means every batch. We
 * sync on batch b when (b + 1) is a multiple of ls, and always on the last batch.
 */
export function localSyncOn(b: number, localSkip: number, lastBatch: number): boolean {
  return localSkip <= 1 || b === lastBatch || (b + 1) % localSkip === 0;
}

/** Whether batch `b` starts a global sync: the last batch of the epoch, gs = 0 (every batch), or b mod gs = 0. */
export function isGlobalBatch(b: number, globalSkip: number, lastBatch: number): boolean {
  return b === lastBatch || globalSkip === 0 || b % globalSkip === 0;
}

/** The groups a `daso-plan` announces (members listed group after group; keys are positional). */
export function groupsOfPlan(plan: DasoPlanMsg): DeviceGroup[] {
  const groups: DeviceGroup[] = [];
  let at = 0;
  plan.groupSizes.data.forEach((n, i) => {
    groups.push({ key: `group-${i}`, source: 'label', members: plan.members.slice(at, at + n) as PeerId[] });
    at += n;
  });
  return groups;
}

/** The group `self` belongs to, or undefined. */
export function groupOf(groups: readonly DeviceGroup[], self: PeerId): DeviceGroup | undefined {
  return groups.find((g) => g.members.includes(self));
}

/** Every peer `self` exchanges DASO messages with: its group and the other members of its global sync sets. */
export function dasoPeers(groups: readonly DeviceGroup[], self: PeerId): PeerId[] {
  const peers = new Set<PeerId>(groupOf(groups, self)?.members ?? []);
  for (let slot = 0; slot < slotCount(groups); slot++) {
    const set = globalSyncSet(groups, slot);
    if (set.members.includes(self)) for (const m of set.members) peers.add(m);
  }
  peers.delete(self);
  return [...peers].sort();
}

/** Concatenates parameter arrays into one flat vector. */
export function flatten(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Splits a flat vector into arrays of the given sizes (views, no copy). */
export function unflatten(flat: Float32Array, sizes: readonly number[]): Float32Array[] {
  let at = 0;
  return sizes.map((n) => { const v = flat.subarray(at, at + n); at += n; return v; });
}

/** Encodes flat parameters for a `daso-global` message. */
export function encodeGlobal(params: Float32Array, wire: DasoWire): WireTensor {
  if (wire === 'fp32') return { dtype: 'float32', shape: [params.length], data: params };
  const data = wire === 'bf16' ? encodeBf16(params) : encodeFp16(params);
  return { dtype: 'uint16', shape: [data.length], data };
}

/** Decodes a `daso-global` payload to float32, or null when its dtype does not match `wire`. */
export function decodeGlobal(t: WireTensor, wire: DasoWire): Float32Array | null {
  if (wire === 'fp32') return t.dtype === 'float32' ? t.data : null;
  if (t.dtype !== 'uint16') return null;
  return wire === 'bf16' ? decodeBf16(t.data) : decodeFp16(t.data);
}

/** What this worker contributes to its own sync: exactly what the others decode, so every member sums the same values. */
export function ownContribution(params: Float32Array, wire: DasoWire): Float32Array {
  const decoded = decodeGlobal(encodeGlobal(params, wire), wire);
  return decoded ?? params;
}
