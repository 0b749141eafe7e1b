/**
 * Who hosts which federated clients (algos 'fedacnnl', 'pfedacnnl', 'fedavg'). Pure.
 *
 * The training rows (the first `trainLimit`, or all) are partitioned into K = config.clients clients (one per
 * tab when 0) by the run's scheme; tab t hosts a number of clients proportional to its measured speed (at
 * least one each while K ≥ tabs), clients in id order, so a phone gets fewer than a laptop. pFedACnnL groups
 * the clients by label histogram (`groupClients`, M = config.groups); the coordinator made the partition, so
 * the histograms are facts it already has, not something a client reveals.
 */
import { groupClients, labelHistogram } from '../core/analytic/personalize.ts';
import { partition, proportionalSizes } from '../core/data/partition.ts';
import type { PeerId } from '../core/ids.ts';
import type { AssignMsg, RunConfig } from '../protocol/messages.ts';
import { i32 } from '../protocol/wire-tensor.ts';

/** One federated client of a run. */
export interface ClientPlan {
  readonly id: number;
  /** Its rows: indices into the training split. */
  readonly indices: Int32Array;
  readonly group: number;
  readonly host: PeerId;
}

/** A tab that can host clients, with its measured speed (samples/s). */
export interface HostTab {
  readonly id: PeerId;
  readonly speed: number;
}

/** Whether `config` is one of the federated algos (clients, client-report). */
export const isFederated = (config: RunConfig): boolean => config.algo === 'fedacnnl' || config.algo === 'pfedacnnl' || config.algo === 'fedavg';

/** Rows of the training split a run uses. */
export const trainRows = (config: RunConfig, trainCount: number): number =>
  config.trainLimit > 0 ? Math.min(config.trainLimit, trainCount) : trainCount;

/**
 * The run's clients and their hosts. `hosts` in a fixed order (the coordinator sorts them); none with
 * speed ≤ 0 gets more than the minimum.
 */
export function planClients(config: RunConfig, trainLabels: Uint8Array, hosts: readonly HostTab[], numClasses = 10): ClientPlan[] {
  if (hosts.length === 0) return [];
  const k = config.clients > 0 ? config.clients : hosts.length;
  const labels = trainLabels.subarray(0, trainRows(config, trainLabels.length));
  const parts = partition({
    scheme: config.partition, labels, numClients: k, seed: config.seed, alpha: config.alpha,
    labelsPerClient: config.labelsPerClient, numClasses,
  });
  const groups = config.algo === 'pfedacnnl' && config.groups > 1
    ? groupClients(parts.map((p) => labelHistogram(Array.from(p, (i) => labels[i] ?? 0), numClasses)), { groups: config.groups, seed: config.seed })
    : new Int32Array(k);
  const perHost = hostCounts(k, hosts.map((h) => Math.max(h.speed, 1)));
  const owner: PeerId[] = hosts.flatMap((h, t) => new Array<PeerId>(perHost[t] ?? 0).fill(h.id));
  return parts.map((indices, id) => ({ id, indices, group: groups[id] ?? 0, host: owner[id] ?? hosts[0]?.id ?? ('' as PeerId) }));
}

/** k clients over the hosts in proportion to speed, at least one each while k ≥ hosts (largest remainder). */
function hostCounts(k: number, speeds: readonly number[]): number[] {
  if (k < speeds.length) return speeds.map((_, i) => (i < k ? 1 : 0));
  const rest = proportionalSizes(k - speeds.length, speeds);
  return rest.map((r) => r + 1);
}

/** The `assign` message for `host`: its clients' rows back to back, with offsets, ids and groups. */
export function assignFor(config: RunConfig, clients: readonly ClientPlan[], host: PeerId): AssignMsg {
  const mine = clients.filter((c) => c.host === host);
  const offsets = new Int32Array(mine.length + 1);
  mine.forEach((c, i) => { offsets[i + 1] = (offsets[i] ?? 0) + c.indices.length; });
  const indices = new Int32Array(offsets[mine.length] ?? 0);
  mine.forEach((c, i) => { indices.set(c.indices, offsets[i] ?? 0); });
  const int32 = (data: Int32Array) => i32([data.length], data);
  return {
    type: 'assign', config, indices: int32(indices), offsets: int32(offsets),
    clientIds: int32(Int32Array.from(mine, (c) => c.id)), clientGroups: int32(Int32Array.from(mine, (c) => c.group)),
  };
}

/** A 'dp' run's assign: one "client", the tab's whole partition. */
export function singleAssign(config: RunConfig, indices: Int32Array): AssignMsg {
  const int32 = (data: Int32Array) => i32([data.length], data);
  return { type: 'assign', config, indices: int32(indices), offsets: int32(Int32Array.of(0, indices.length)), clientIds: int32(Int32Array.of(0)), clientGroups: int32(Int32Array.of(0)) };
}

/**
 * The label that keys a masked round's masks: run, layer and roster, so a retried round (after a member left
 * it has a different roster) never reuses a mask on a different vector.
 */
export const maskLabel = (runId: string, layer: number, roster: readonly string[]): string => `${runId}/layer-${layer}/${roster.join(',')}`;
