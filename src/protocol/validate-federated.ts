/**
 * Validation of the federated-learning messages (algos 'fedacnnl', 'pfedacnnl', 'fedavg'): the rebuilders
 * validate.ts plugs into its table, split out to keep both files small. Same rules as validate.ts: every
 * field is checked and rebuilt, cross-field rules use `require`, tensor contents are left to the reducers
 * (which check finiteness, ring membership and shapes against the model they know) except where a rule
 * is cheap and structural (offsets, group numbers, key lengths).
 */
import { PAIR_KEY_BYTES } from '../core/analytic/keyed-masking.ts';
import type * as M from './messages.ts';
import { CLIENT_REPORT_COLUMNS } from './messages.ts';
import type { Fields } from './validate-fields.ts';

/** Most layers of a FedACnnL network (hidden layers + head): real ones have 2-4. */
export const MAX_ANALYTIC_LAYERS = 16;
/**
 * Largest layer input of a FedACnnL layer, bias column included: 2048 features + 1. Its packed Gram matrix
 * is 2049·2050/2 float64 = 16.8 MB, a quarter of the 64 MiB frame cap.
 */
export const MAX_ANALYTIC_INPUTS = 2049;
/** Widest FedACnnL layer output (hidden width) in `layer-request.weights`. */
export const MAX_ANALYTIC_OUTPUTS = 4096;
/** Most label columns of `layer-stats.b` (classes): 256 is far above MNIST's 10. */
export const MAX_ANALYTIC_CLASSES = 256;
/** Most pFedACnnL groups; the packed statistics of G groups travel in one message, so G stays small. */
export const MAX_GROUPS = 16;
/** Most federated clients in a run (RunConfig.clients) and hosted by one tab. */
export const MAX_CLIENTS = 1000;
/** Most members of a masking roster: the pairwise masks cost one keystream per other member. */
export const MAX_ROSTER = 256;
/** ECDH P-256 public key, uncompressed point: 0x04 ‖ x ‖ y. */
export const PUBLIC_KEY_BYTES = 65;
/** A pairwise mask key (HKDF-SHA256 output, a ChaCha20 key): defined with the masks in the core. */
export { PAIR_KEY_BYTES };
/** Largest masked vector: G groups of [count, packed A, B] at the largest layer would exceed the frame cap, so bound by it. */
export const MAX_RING_LENGTH = 8_388_608; // 64 MiB of float64

/** Packed upper-triangle length of an n×n symmetric matrix (core/analytic/packed-symmetric.ts). */
export const packedLength = (n: number): number => (n * (n + 1)) / 2;

/** The partition of a tab's clients in `assign`: offsets rise from 0 to the index count, one group per client. */
export function checkAssignClients(f: Fields, m: M.AssignMsg): void {
  const k = m.clientIds.data.length;
  const offsets = m.offsets.data;
  f.require('clientIds', k >= 1 && k <= MAX_CLIENTS && m.clientIds.shape.length === 1, `1-${MAX_CLIENTS} client ids`, k);
  f.require('clientIds', m.clientIds.data.every((c) => c >= 0 && c < MAX_CLIENTS), `client ids in [0, ${MAX_CLIENTS})`, 'one outside');
  f.require('offsets', offsets.length === k + 1 && offsets[0] === 0 && offsets[k] === m.indices.data.length, `${k + 1} offsets from 0 to ${m.indices.data.length}`, offsets.length);
  let rising = true;
  for (let i = 1; i < offsets.length; i++) if ((offsets[i] ?? 0) < (offsets[i - 1] ?? 0)) rising = false;
  f.require('offsets', rising, 'non-decreasing offsets', 'a decreasing pair');
  f.require('clientGroups', m.clientGroups.data.length === k && m.clientGroups.data.every((g) => g >= 0 && g < MAX_GROUPS), `${k} groups in [0, ${MAX_GROUPS})`, m.clientGroups.data.length);
}

export function parseLayerStats(f: Fields): M.LayerStatsMsg {
  const m: M.LayerStatsMsg = {
    type: 'layer-stats',
    runId: f.id('runId'),
    layer: f.int('layer', 0, MAX_ANALYTIC_LAYERS - 1),
    counts: f.shaped('counts', 'int32', [MAX_GROUPS]),
    a: f.shaped('a', 'float64', [MAX_GROUPS, packedLength(MAX_ANALYTIC_INPUTS)]),
    b: f.shaped('b', 'float64', [MAX_GROUPS, MAX_ANALYTIC_INPUTS, MAX_ANALYTIC_CLASSES]),
  };
  const groups = m.counts.data.length;
  const dIn = m.b.shape[1] ?? 0;
  f.require('a', m.a.shape[0] === groups && m.a.shape[1] === packedLength(dIn), `[${groups}, ${packedLength(dIn)}] (packed ${dIn}×${dIn})`, m.a.shape.join('×'));
  f.require('b', m.b.shape[0] === groups, `${groups} groups`, m.b.shape[0]);
  f.require('counts', m.counts.data.every((c) => c >= 0), 'non-negative counts', 'a negative one');
  return m;
}

export function parseLayerRequest(f: Fields): M.LayerRequestMsg {
  const m: M.LayerRequestMsg = {
    type: 'layer-request',
    runId: f.id('runId'),
    layer: f.int('layer', 0, MAX_ANALYTIC_LAYERS - 1),
    weights: f.shapedList('weights', 'float64', MAX_ANALYTIC_LAYERS, [MAX_ANALYTIC_INPUTS, MAX_ANALYTIC_OUTPUTS]),
    groups: f.int('groups', 1, MAX_GROUPS),
    roster: f.ids('roster', MAX_ROSTER),
    rosterKeys: f.tensor('rosterKeys', 'uint8'),
  };
  f.require('weights', m.weights.length === m.layer, `${m.layer} solved layers`, m.weights.length);
  const keys = m.rosterKeys.shape;
  f.require('rosterKeys', keys.length === 2 && keys[0] === m.roster.length && keys[1] === PUBLIC_KEY_BYTES, `[${m.roster.length}, ${PUBLIC_KEY_BYTES}]`, keys.join('×'));
  f.require('roster', new Set(m.roster).size === m.roster.length, 'distinct ids', 'a repeated one');
  return m;
}

export function parseMaskKey(f: Fields): M.MaskKeyMsg {
  const m: M.MaskKeyMsg = { type: 'mask-key', runId: f.id('runId'), publicKey: f.shaped('publicKey', 'uint8', [PUBLIC_KEY_BYTES]) };
  f.require('publicKey', m.publicKey.data.length === PUBLIC_KEY_BYTES, `${PUBLIC_KEY_BYTES} bytes`, m.publicKey.data.length);
  return m;
}

export function parseMaskedStats(f: Fields): M.MaskedStatsMsg {
  const m: M.MaskedStatsMsg = {
    type: 'masked-stats', runId: f.id('runId'), layer: f.int('layer', 0, MAX_ANALYTIC_LAYERS - 1),
    ring: f.shaped('ring', 'float64', [MAX_RING_LENGTH]),
  };
  return m;
}

export function parseUnmaskRequest(f: Fields): M.UnmaskRequestMsg {
  const m: M.UnmaskRequestMsg = { type: 'unmask-request', runId: f.id('runId'), layer: f.int('layer', 0, MAX_ANALYTIC_LAYERS - 1), dropped: f.ids('dropped', MAX_ROSTER) };
  return m;
}

export function parseMaskReveal(f: Fields): M.MaskRevealMsg {
  const m: M.MaskRevealMsg = {
    type: 'mask-reveal', runId: f.id('runId'), layer: f.int('layer', 0, MAX_ANALYTIC_LAYERS - 1),
    dropped: f.ids('dropped', MAX_ROSTER), keys: f.shaped('keys', 'uint8', [MAX_ROSTER, PAIR_KEY_BYTES]),
  };
  f.require('keys', m.keys.shape[0] === m.dropped.length && m.keys.shape[1] === PAIR_KEY_BYTES, `[${m.dropped.length}, ${PAIR_KEY_BYTES}]`, m.keys.shape.join('×'));
  return m;
}

export function parsePersonalize(f: Fields): M.PersonalizeMsg {
  const m: M.PersonalizeMsg = {
    type: 'personalize', runId: f.id('runId'),
    weights: f.shapedList('weights', 'float64', MAX_ANALYTIC_LAYERS, [MAX_ANALYTIC_INPUTS, MAX_ANALYTIC_OUTPUTS]),
    groupHeads: f.tensor('groupHeads', 'float64'),
  };
  const g = m.groupHeads.shape;
  f.require('weights', m.weights.length >= 1, 'at least the head', 0);
  f.require('groupHeads', g.length === 3 && (g[0] ?? 0) <= MAX_GROUPS && (g[1] ?? 0) <= MAX_ANALYTIC_INPUTS && (g[2] ?? 0) <= MAX_ANALYTIC_CLASSES, `[≤${MAX_GROUPS}, dIn, classes]`, g.join('×'));
  return m;
}

export function parseClientReport(f: Fields): M.ClientReportMsg {
  const m: M.ClientReportMsg = { type: 'client-report', runId: f.id('runId'), clients: f.shaped('clients', 'float64', [MAX_CLIENTS, CLIENT_REPORT_COLUMNS]) };
  f.require('clients', m.clients.shape[1] === CLIENT_REPORT_COLUMNS, `${CLIENT_REPORT_COLUMNS} columns`, m.clients.shape[1]);
  return m;
}

export function parseFedAvgRound(f: Fields): M.FedAvgRoundMsg {
  const m: M.FedAvgRoundMsg = { type: 'fedavg-round', runId: f.id('runId'), round: f.count('round'), params: f.tensors('params', 'float32') };
  return m;
}

export function parseFedAvgUpdate(f: Fields, maxCount: number): M.FedAvgUpdateMsg {
  const m: M.FedAvgUpdateMsg = {
    type: 'fedavg-update', runId: f.id('runId'), round: f.count('round'), count: f.int('count', 1, maxCount),
    lossSum: f.num('lossSum', -Number.MAX_VALUE, Number.MAX_VALUE), params: f.tensors('params', 'float32'),
  };
  return m;
}
