/**
 * Validation of untrusted messages: `parseMessage(u, sections)` turns a frame's metadata "message" value
 * (JSON whose tensor fields hold section indices, see frame.ts) plus the frame's sections into a typed
 * Message, or a ProtocolError naming the first bad field. It never throws.
 *
 * Hand-written guards in disco's style: each message is rebuilt field by field into a literal typed as the
 * message interface, so a field added to messages.ts without a guard fails to compile. Unknown extra fields
 * are accepted and dropped (they never reach the app), so a same-version peer may add debug fields; any
 * field the app reads is a protocol change and bumps PROTOCOL_VERSION. Every section must be referenced by
 * exactly one tensor field. Tensor contents are not scanned (gradients may hold any float), except that
 * `assign.indices` must be non-negative. Limits are listed in docs/PROTOCOL.md, "Validation".
 */
import { err } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import { MAX_DIM, protocolError } from './frame.ts';
import type { ProtocolError } from './frame.ts';
import type * as M from './messages.ts';
import { describe, Fields, isJsonObject } from './validate-fields.ts';
import { isMessageType } from './type-codes.ts';
import {
  checkAssignClients, MAX_CLIENTS, MAX_GROUPS, parseClientReport, parseFedAvgRound, parseFedAvgUpdate, parseLayerRequest,
  parseLayerStats, parseMaskedStats, parseMaskKey, parseMaskReveal, parsePersonalize, parseUnmaskRequest,
} from './validate-federated.ts';
import type { WireTensor } from './wire-tensor.ts';
import { parseAdmmCurvature, parseAdmmRound, parseAdmmUpdate, parseCurvatureReply, parseCurvatureRequest, parseShardOp, parseShardPlan, parseShardReply } from './validate-second-order.ts';
import { parseDasoEpoch, parseDasoGlobal, parseDasoGrads, parseDasoParams, parseDasoPing, parseDasoPlan, parseDasoProbe, parseDasoRtt, parseDasoSchedule, parseGroupHints } from './validate-daso.ts';

export { MAX_SHORT_STRING_CHARS } from './validate-fields.ts';
export { MAX_ANALYTIC_CLASSES, MAX_ANALYTIC_INPUTS, MAX_ANALYTIC_LAYERS, MAX_ANALYTIC_OUTPUTS } from './validate-federated.ts';
/** Longest free-text string (user agent, adapter, reasons, details): real user agents stay under 300 chars. */
export const MAX_TEXT_CHARS = 1024;
/** Most peer ids in `welcome.members`: far more tabs than one coordinator can serve. */
export const MAX_MEMBERS = 1024;
/** RunConfig.epochs upper bound; also bounds every `epoch` field. */
export const MAX_EPOCHS = 1000;
/** RunConfig.globalBatch upper bound (2^16 samples); also bounds every per-worker batch and sample count. */
export const MAX_GLOBAL_BATCH = 65536;
/** Protocol versions travel in a u8 header byte, so a version field above 255 is a lie. */
const MAX_VERSION = 255;

const ROLES: Readonly<Record<M.Role, true>> = { coordinator: true, worker: true };
const BACKENDS: Readonly<Record<M.BackendName, true>> = { webgpu: true, webgl: true, wasm: true, cpu: true };
const DATASETS: Readonly<Record<M.DatasetName, true>> = { mnist: true, 'fashion-mnist': true };
const MODELS: Readonly<Record<M.ModelName, true>> = { mlp: true, cnn: true };
const OPTIMIZERS: Readonly<Record<M.OptimizerName, true>> = { adam: true, 'sgd-momentum': true, sgd: true };
const PARTITIONS: Readonly<Record<M.PartitionScheme, true>> = { iid: true, dirichlet: true, labels: true };
const ALGOS: Readonly<Record<M.Algo, true>> = { dp: true, fedacnnl: true, pfedacnnl: true, fedavg: true, daso: true, dho2: true, kfac: true };
const AGGREGATIONS: Readonly<Record<M.RunConfig['aggregation'], true>> = { mean: true, clip: true, trimmed: true, median: true };
const REASONS: Readonly<Record<M.IncompatibilityReason, true>> = { 'peer-too-old': true, 'peer-too-new': true, 'wrong-room': true, 'not-coordinator': true };
function parseDevice(f: Fields): M.DeviceInfo {
  const device: M.DeviceInfo = {
    backend: f.oneOf('backend', BACKENDS),
    adapter: f.str('adapter', MAX_TEXT_CHARS),
    reason: f.str('reason', MAX_TEXT_CHARS),
    samplesPerSec: f.num('samplesPerSec', 0, Number.MAX_VALUE),
    memoryBytes: f.num('memoryBytes', 0, Number.MAX_VALUE),
    selfTestPassed: f.bool('selfTestPassed'),
    userAgent: f.str('userAgent', MAX_TEXT_CHARS),
    ...parseGroupHints(f),
  };
  return device;
}

function parseConfig(f: Fields): M.RunConfig {
  const config: M.RunConfig = {
    runId: f.id('runId'),
    algo: f.oneOf('algo', ALGOS),
    dataset: f.oneOf('dataset', DATASETS),
    model: f.oneOf('model', MODELS),
    optimizer: f.oneOf('optimizer', OPTIMIZERS),
    learningRate: f.num('learningRate', 0, 10, true),
    epochs: f.int('epochs', 1, MAX_EPOCHS),
    globalBatch: f.int('globalBatch', 1, MAX_GLOBAL_BATCH),
    seed: f.int('seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    partition: f.oneOf('partition', PARTITIONS),
    alpha: f.num('alpha', 0, 1000, true),
    labelsPerClient: f.int('labelsPerClient', 1, 10), // 10 = classes in MNIST and Fashion-MNIST
    clients: f.int('clients', 0, MAX_CLIENTS),
    trainLimit: f.int('trainLimit', 0, MAX_DIM),
    groups: f.int('groups', 1, MAX_GROUPS),
    localEpochs: f.int('localEpochs', 1, MAX_EPOCHS),
    localBatch: f.int('localBatch', 1, MAX_GLOBAL_BATCH),
    masking: f.bool('masking'),
    aggregation: f.oneOf('aggregation', AGGREGATIONS),
  };
  return config;
}

/** One rebuilder per message type; the mapped type makes a missing message type a compile error. */
const PARSERS: { readonly [K in M.MessageType]: (f: Fields) => M.MessageOf<K> } = {
  hello: (f) => {
    const m: M.HelloMsg = {
      type: 'hello',
      protocolVersion: f.int('protocolVersion', 0, MAX_VERSION),
      role: f.oneOf('role', ROLES),
      room: f.id('room'),
      device: parseDevice(f.child('device')),
    };
    return m;
  },
  welcome: (f) => {
    const m: M.WelcomeMsg = {
      type: 'welcome',
      protocolVersion: f.int('protocolVersion', 0, MAX_VERSION),
      coordinator: f.id('coordinator'),
      members: f.ids('members', MAX_MEMBERS),
    };
    return m;
  },
  incompatible: (f) => {
    const m: M.IncompatibleMsg = { type: 'incompatible', reason: f.oneOf('reason', REASONS), protocolVersion: f.int('protocolVersion', 0, MAX_VERSION) };
    return m;
  },
  heartbeat: (f) => {
    const m: M.HeartbeatMsg = { type: 'heartbeat', sentAt: f.num('sentAt', 0, Number.MAX_VALUE) };
    return m;
  },
  assign: (f) => {
    const m: M.AssignMsg = {
      type: 'assign', config: parseConfig(f.child('config')), indices: f.indexVector('indices'),
      clientIds: f.tensor('clientIds', 'int32'), offsets: f.tensor('offsets', 'int32'), clientGroups: f.tensor('clientGroups', 'int32'),
    };
    checkAssignClients(f, m);
    return m;
  },
  start: (f) => {
    const m: M.StartMsg = {
      type: 'start',
      runId: f.id('runId'),
      step: f.count('step'),
      epoch: f.int('epoch', 0, MAX_EPOCHS),
      optimizerStep: f.count('optimizerStep'),
      batchSize: f.int('batchSize', 0, MAX_GLOBAL_BATCH),
      params: f.tensors('params', 'float32'),
      slots: f.tensors('slots', 'float32'),
    };
    return m;
  },
  gradients: (f) => {
    const m: M.GradientsMsg = {
      type: 'gradients',
      runId: f.id('runId'),
      step: f.count('step'),
      count: f.int('count', 0, MAX_GLOBAL_BATCH),
      lossSum: f.num('lossSum', -Number.MAX_VALUE, Number.MAX_VALUE),
      grads: f.tensors('grads', 'float32'),
    };
    return m;
  },
  update: (f) => {
    const m: M.UpdateMsg = {
      type: 'update',
      runId: f.id('runId'),
      step: f.count('step'),
      epoch: f.int('epoch', 0, MAX_EPOCHS),
      nextBatchSize: f.int('nextBatchSize', 0, MAX_GLOBAL_BATCH),
      grads: f.tensors('grads', 'float32'),
    };
    return m;
  },
  progress: (f) => {
    const m: M.ProgressMsg = {
      type: 'progress',
      runId: f.id('runId'),
      phase: f.str('phase'),
      epoch: f.int('epoch', 0, MAX_EPOCHS),
      step: f.count('step'),
      loss: f.numOrNull('loss', -Number.MAX_VALUE, Number.MAX_VALUE),
      testAccuracy: f.numOrNull('testAccuracy', 0, 1),
    };
    return m;
  },
  succession: (f) => {
    const m: M.SuccessionMsg = { type: 'succession', runId: f.id('runId'), order: f.ids('order', MAX_MEMBERS) };
    return m;
  },
  done: (f) => {
    const m: M.DoneMsg = { type: 'done', runId: f.id('runId'), ok: f.bool('ok'), reason: f.str('reason', MAX_TEXT_CHARS) };
    return m;
  },
  error: (f) => {
    const m: M.ErrorMsg = { type: 'error', code: f.str('code'), detail: f.str('detail', MAX_TEXT_CHARS) };
    return m;
  },
  'layer-request': parseLayerRequest,
  'layer-stats': parseLayerStats,
  'mask-key': parseMaskKey,
  'masked-stats': parseMaskedStats,
  'unmask-request': parseUnmaskRequest,
  'mask-reveal': parseMaskReveal,
  personalize: parsePersonalize,
  'client-report': parseClientReport,
  'fedavg-round': parseFedAvgRound,
  'fedavg-update': (f) => parseFedAvgUpdate(f, MAX_DIM),
  'daso-plan': parseDasoPlan,
  'daso-schedule': parseDasoSchedule,
  'daso-grads': (f) => parseDasoGrads(f, MAX_GLOBAL_BATCH),
  'daso-global': parseDasoGlobal,
  'daso-params': parseDasoParams,
  // An epoch's sample count is bounded by the training split (MAX_DIM rows).
  'daso-epoch': (f) => parseDasoEpoch(f, MAX_DIM),
  'daso-probe': parseDasoProbe,
  'daso-ping': parseDasoPing,
  'daso-rtt': parseDasoRtt,
  'shard-plan': parseShardPlan,
  'shard-op': parseShardOp,
  'shard-reply': parseShardReply,
  'curvature-request': (f) => parseCurvatureRequest(f, MAX_GLOBAL_BATCH),
  'curvature-reply': (f) => parseCurvatureReply(f, MAX_GLOBAL_BATCH),
  'admm-round': (f) => parseAdmmRound(f, MAX_GLOBAL_BATCH),
  // K local steps of at most the global batch each.
  'admm-update': (f) => parseAdmmUpdate(f, MAX_DIM),
  'admm-curvature': parseAdmmCurvature,
};

/**
 * Checks an untrusted message (the metadata "message" of a frame) against its type's rules and resolves
 * its tensor fields from `sections`. Never throws.
 * @returns the rebuilt Message (extra fields dropped), or `unknown-type`, `invalid-field` (first bad
 *   field, with its path) or `malformed` (not an object; a section no field references).
 */
export function parseMessage(u: unknown, sections: readonly WireTensor[]): Result<M.Message, ProtocolError> {
  if (!isJsonObject(u)) return err(protocolError('malformed', `message is ${describe(u)}, not an object`));
  const type = Object.hasOwn(u, 'type') ? u.type : undefined;
  if (!isMessageType(type)) return err(protocolError('unknown-type', `unknown message type ${describe(type)}`));
  const fields = new Fields(u, type, { sections, used: sections.map(() => false), error: null });
  return fields.finish(PARSERS[type](fields));
}
