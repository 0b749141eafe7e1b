/**
 * Validation of DASO's messages (algo 'daso', protocol 4) and of DeviceInfo's grouping hints: the rebuilders
 * validate.ts plugs into its table, split out like validate-federated.ts. Same rules: every field checked and
 * rebuilt, cross-field rules with `require`. Parameter and gradient contents (finiteness, lengths against the
 * model) are checked by the receiving runner, which knows the model; the sync tracker rejects non-finite
 * contributions (core/daso/sync-tracker.ts).
 */
import { MAX_DIM } from './frame.ts';
import type * as M from './messages.ts';
import type { Fields } from './validate-fields.ts';
import type { WireTensor } from './wire-tensor.ts';

/** Longest `machineId` / `groupLabel`: ids are 16 hex chars and labels at most 40 (url-config.ts), so 64 is ample. */
export const MAX_GROUP_HINT_CHARS = 64;
/** Most members in a DASO plan: as `welcome.members`. */
export const MAX_DASO_MEMBERS = 1024;
/** Largest gs, ls and B in a schedule: heat's max_global_skips is 8; 1024 is far beyond any sane setting. */
export const MAX_DASO_SKIP = 1024;
/** Longest epoch in batches: a step counter bound, far above 60k samples / 1 sample per batch. */
export const MAX_STEPS_PER_EPOCH = MAX_DIM;

/** Most pings per probed peer: the smallest of a few is enough; more only loads the links. */
export const MAX_DASO_PINGS = 16;
/** Largest round-trip time a worker may report: a minute is far past any link the swarm could use. */
export const MAX_RTT_MS = 60_000;

const WIRES: Readonly<Record<M.DasoWire, true>> = { bf16: true, fp16: true, fp32: true };
const PHASES: Readonly<Record<M.DasoPhaseName, true>> = { warmup: true, cycling: true, cooldown: true };

/** DeviceInfo's optional DASO hints; absent fields stay absent (a version-3-shaped device object is still valid). */
export function parseGroupHints(f: Fields): Pick<M.DeviceInfo, 'machineId' | 'groupLabel'> {
  const machineId = f.optStr('machineId', MAX_GROUP_HINT_CHARS);
  const groupLabel = f.optStr('groupLabel', MAX_GROUP_HINT_CHARS);
  return { ...(machineId === undefined ? {} : { machineId }), ...(groupLabel === undefined ? {} : { groupLabel }) };
}

/** A rank-1 float32 vector of any length up to MAX_DIM (0 allowed: `daso-epoch` from non-reporting members). */
function flatVector(f: Fields, key: string): WireTensor {
  const t = f.tensor(key, 'float32');
  f.require(key, t.shape.length === 1, 'a rank-1 tensor', `rank ${t.shape.length}`);
  return t;
}

export function parseDasoPlan(f: Fields): M.DasoPlanMsg {
  const m: M.DasoPlanMsg = {
    type: 'daso-plan', runId: f.id('runId'), generation: f.count('generation'), members: f.ids('members', MAX_DASO_MEMBERS),
    groupSizes: f.shaped('groupSizes', 'int32', [MAX_DASO_MEMBERS]), stepsPerEpoch: f.int('stepsPerEpoch', 1, MAX_STEPS_PER_EPOCH),
    wire: f.oneOf('wire', WIRES),
  };
  const sizes = Array.from(m.groupSizes.data);
  const total = sizes.reduce((a, b) => a + b, 0);
  f.require('groupSizes', sizes.every((n) => n >= 1) && total === m.members.length, `sizes ≥ 1 summing to ${m.members.length}`, total);
  f.require('members', m.members.length >= 1 && new Set(m.members).size === m.members.length, 'distinct ids, at least one', 'a repeated one or none');
  return m;
}

export function parseDasoSchedule(f: Fields): M.DasoScheduleMsg {
  const m: M.DasoScheduleMsg = {
    type: 'daso-schedule', runId: f.id('runId'), epoch: f.count('epoch'),
    globalSkip: f.int('globalSkip', 0, MAX_DASO_SKIP), localSkip: f.int('localSkip', 0, MAX_DASO_SKIP),
    batchesToWait: f.int('batchesToWait', 0, MAX_DASO_SKIP), phase: f.oneOf('phase', PHASES),
  };
  return m;
}

export function parseDasoGrads(f: Fields, maxCount: number): M.DasoGradsMsg {
  const m: M.DasoGradsMsg = {
    type: 'daso-grads', runId: f.id('runId'), generation: f.count('generation'), step: f.count('step'), count: f.int('count', 1, maxCount),
    lossSum: f.num('lossSum', -Number.MAX_VALUE, Number.MAX_VALUE), grads: f.tensors('grads', 'float32'),
  };
  return m;
}

export function parseDasoGlobal(f: Fields): M.DasoGlobalMsg {
  const wire = f.oneOf('wire', WIRES);
  // The payload's dtype follows the wire format: 16-bit patterns travel as uint16.
  const params = f.tensor('params', wire === 'fp32' ? 'float32' : 'uint16');
  f.require('params', params.shape.length === 1, 'a rank-1 tensor', `rank ${params.shape.length}`);
  const m: M.DasoGlobalMsg = { type: 'daso-global', runId: f.id('runId'), generation: f.count('generation'), syncId: f.count('syncId'), wire, params };
  return m;
}

export function parseDasoParams(f: Fields): M.DasoParamsMsg {
  const m: M.DasoParamsMsg = { type: 'daso-params', runId: f.id('runId'), generation: f.count('generation'), step: f.count('step'), params: flatVector(f, 'params') };
  return m;
}

export function parseDasoEpoch(f: Fields, maxCount: number): M.DasoEpochMsg {
  const m: M.DasoEpochMsg = {
    type: 'daso-epoch', runId: f.id('runId'), generation: f.count('generation'), epoch: f.count('epoch'), count: f.int('count', 0, maxCount),
    lossSum: f.num('lossSum', -Number.MAX_VALUE, Number.MAX_VALUE), params: flatVector(f, 'params'),
  };
  return m;
}

export function parseDasoProbe(f: Fields): M.DasoProbeMsg {
  const m: M.DasoProbeMsg = { type: 'daso-probe', runId: f.id('runId'), peers: f.ids('peers', MAX_DASO_MEMBERS), pings: f.int('pings', 1, MAX_DASO_PINGS) };
  f.require('peers', m.peers.length >= 1 && new Set(m.peers).size === m.peers.length, 'distinct ids, at least one', 'a repeated one or none');
  return m;
}

export function parseDasoPing(f: Fields): M.DasoPingMsg {
  const m: M.DasoPingMsg = { type: 'daso-ping', runId: f.id('runId'), nonce: f.count('nonce'), pong: f.bool('pong') };
  return m;
}

export function parseDasoRtt(f: Fields): M.DasoRttMsg {
  const m: M.DasoRttMsg = { type: 'daso-rtt', runId: f.id('runId'), peers: f.ids('peers', MAX_DASO_MEMBERS), rttMs: f.shaped('rttMs', 'float64', [MAX_DASO_MEMBERS]) };
  f.require('peers', new Set(m.peers).size === m.peers.length, 'distinct ids', 'a repeated one');
  f.require('rttMs', m.rttMs.data.length === m.peers.length, `${m.peers.length} entries, one per peer`, m.rttMs.data.length);
  f.require('rttMs', Array.from(m.rttMs.data).every((v) => v === -1 || (v >= 0 && v <= MAX_RTT_MS)), `-1 or a time in [0, ${MAX_RTT_MS}] ms`, 'another value');
  return m;
}
