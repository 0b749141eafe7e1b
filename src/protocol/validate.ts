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
import { isPeerId } from '../core/ids.ts';
import { err, ok } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import { MAX_DIM, MAX_RANK, MAX_SECTIONS, parseShape, protocolError } from './frame.ts';
import type { ProtocolError } from './frame.ts';
import type * as M from './messages.ts';
import { isMessageType } from './type-codes.ts';
import { shapeSize } from './wire-tensor.ts';
import type { WireDtype, WireTensor } from './wire-tensor.ts';

/** Longest id-like or name-like string (run phase, error code), in UTF-16 units. */
export const MAX_SHORT_STRING_CHARS = 256;
/** Longest free-text string (user agent, adapter, reasons, details): real user agents stay under 300 chars. */
export const MAX_TEXT_CHARS = 1024;
/** Most peer ids in `welcome.members`: far more tabs than one coordinator can serve. */
export const MAX_MEMBERS = 1024;
/** RunConfig.epochs upper bound; also bounds every `epoch` field. */
export const MAX_EPOCHS = 1000;
/** RunConfig.globalBatch upper bound (2^16 samples); also bounds every per-worker batch and sample count. */
export const MAX_GLOBAL_BATCH = 65536;
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
/** Protocol versions travel in a u8 header byte, so a version field above 255 is a lie. */
const MAX_VERSION = 255;

const ROLES: Readonly<Record<M.Role, true>> = { coordinator: true, worker: true };
const BACKENDS: Readonly<Record<M.BackendName, true>> = { webgpu: true, webgl: true, wasm: true, cpu: true };
const DATASETS: Readonly<Record<M.DatasetName, true>> = { mnist: true, 'fashion-mnist': true };
const MODELS: Readonly<Record<M.ModelName, true>> = { mlp: true, cnn: true };
const OPTIMIZERS: Readonly<Record<M.OptimizerName, true>> = { adam: true, 'sgd-momentum': true };
const PARTITIONS: Readonly<Record<M.PartitionScheme, true>> = { iid: true, dirichlet: true, labels: true };
const ALGOS: Readonly<Record<M.Algo, true>> = { dp: true, fedacnnl: true };
const REASONS: Readonly<Record<M.IncompatibilityReason, true>> = { 'peer-too-old': true, 'peer-too-new': true, 'wrong-room': true, 'not-coordinator': true };
const DATA_CLASS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint16: Uint16Array, uint8: Uint8Array } as const;
/** Returned in place of a bad value; never escapes because `finish` then returns the recorded error. */
const PLACEHOLDER_TENSOR: WireTensor = { dtype: 'uint8', shape: [0], data: new Uint8Array(0) };

type Json = Readonly<Record<string, unknown>>;

/** Shared by the readers of one message: the sections, which are used, and the first error seen. */
interface Context {
  readonly sections: readonly WireTensor[];
  readonly used: boolean[];
  error: string | null;
}

const isJsonObject = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u);

/** How much of a bad string an error detail quotes: enough to recognise it in a log line. */
const PREVIEW_CHARS = 40;

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > PREVIEW_CHARS ? `${v.slice(0, PREVIEW_CHARS)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/** Problem with a tensor for a field wanting `dtype`, or null when it is well formed. */
function tensorProblem(t: WireTensor, dtype: WireDtype): string | null {
  if (t.dtype !== dtype) return `a ${dtype} tensor, got ${t.dtype}`;
  if (!(t.data instanceof DATA_CLASS[dtype])) return `${dtype} data in a ${DATA_CLASS[dtype].name}`;
  const shape = parseShape(t.shape);
  if (shape === null) return `a shape of ≤ ${MAX_RANK} integer dims in [0, ${MAX_DIM}]`;
  const n = shapeSize(shape);
  return n === t.data.length ? null : `${n} elements for shape [${shape.join(', ')}], got ${t.data.length}`;
}

/** Reads the fields of one JSON object; a bad field records the first error and returns a placeholder. */
class Fields {
  constructor(
    private readonly obj: Json,
    private readonly path: string,
    private readonly ctx: Context,
  ) {}

  private get(key: string): unknown {
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  private fail<T>(label: string, want: string, got: unknown, placeholder: T): T {
    this.ctx.error ??= `${this.path}.${label}: expected ${want}, got ${describe(got)}`;
    return placeholder;
  }

  /** A finite number in [min, max], or (min, max] when `minExclusive`. */
  num(key: string, min: number, max: number, minExclusive = false): number {
    const v = this.get(key);
    if (typeof v === 'number' && Number.isFinite(v) && (minExclusive ? v > min : v >= min) && v <= max) return v;
    return this.fail(key, `a finite number in ${minExclusive ? '(' : '['}${min}, ${max}]`, v, 0);
  }

  /** `null` (not measured yet) or a finite number in [min, max]. */
  numOrNull(key: string, min: number, max: number): number | null {
    return this.get(key) === null ? null : this.num(key, min, max);
  }

  /** A safe integer in [min, max]. */
  int(key: string, min: number, max: number): number {
    const v = this.get(key);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max) return v;
    return this.fail(key, `an integer in [${min}, ${max}]`, v, 0);
  }

  /** A non-negative safe integer (steps, counters). */
  count(key: string): number {
    return this.int(key, 0, Number.MAX_SAFE_INTEGER);
  }

  str(key: string, maxChars: number = MAX_SHORT_STRING_CHARS): string {
    const v = this.get(key);
    return typeof v === 'string' && v.length <= maxChars ? v : this.fail(key, `a string of ≤ ${maxChars} chars`, v, '');
  }

  /** An id with the PeerId alphabet (peer ids, rooms, run ids: core/ids.ts). */
  id(key: string): string {
    const v = this.get(key);
    return isPeerId(v) ? v : this.fail(key, 'an id of 1-64 chars [A-Za-z0-9_-]', v, '');
  }

  bool(key: string): boolean {
    const v = this.get(key);
    return typeof v === 'boolean' ? v : this.fail(key, 'a boolean', v, false);
  }

  oneOf<T extends string>(key: string, allowed: Readonly<Record<T, true>>): T {
    const v = this.get(key);
    if (typeof v === 'string' && Object.hasOwn(allowed, v)) return v as T;
    return this.fail(key, `one of ${Object.keys(allowed).join('|')}`, v, '' as T);
  }

  child(key: string): Fields {
    const v = this.get(key);
    return new Fields(isJsonObject(v) ? v : this.fail(key, 'an object', v, {}), `${this.path}.${key}`, this.ctx);
  }

  ids(key: string, maxItems: number): string[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length > maxItems) return this.fail(key, `an array of ≤ ${maxItems} ids`, v, []);
    const items: readonly unknown[] = v;
    return items.map((s, i) => (isPeerId(s) ? s : this.fail(`${key}[${i}]`, 'an id', s, '')));
  }

  tensor(key: string, dtype: WireDtype): WireTensor {
    return this.section(key, this.get(key), dtype);
  }

  tensors(key: string, dtype: WireDtype): WireTensor[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length > MAX_SECTIONS) return this.fail(key, 'an array of section indices', v, []);
    const refs: readonly unknown[] = v;
    return refs.map((ref, i) => this.section(`${key}[${i}]`, ref, dtype));
  }

  /** An int32 vector of non-negative values (sample indices). */
  indexVector(key: string): WireTensor {
    const t = this.tensor(key, 'int32');
    if (t.shape.length !== 1) return this.fail(key, 'a rank-1 tensor', `rank ${t.shape.length}`, t);
    return t.data.every((x) => x >= 0) ? t : this.fail(key, 'non-negative indices', 'a negative one', t);
  }

  /** A tensor of `dtype` and rank `max.length` whose every dim d_i is in [1, max_i]. */
  shaped(key: string, dtype: WireDtype, max: readonly number[]): WireTensor {
    return this.checkShaped(key, this.tensor(key, dtype), max);
  }

  /** An array of at most `maxItems` tensors, each as `shaped` checks. */
  shapedList(key: string, dtype: WireDtype, maxItems: number, max: readonly number[]): WireTensor[] {
    const ts = this.tensors(key, dtype);
    if (ts.length > maxItems) return this.fail(key, `at most ${maxItems} tensors`, ts.length, []);
    return ts.map((t, i) => this.checkShaped(`${key}[${i}]`, t, max));
  }

  /** Records an error when `ok` is false (a cross-field rule); returns `ok`. */
  require(label: string, ok: boolean, want: string, got: unknown): boolean {
    return ok || this.fail(label, want, got, false);
  }

  private checkShaped(label: string, t: WireTensor, max: readonly number[]): WireTensor {
    const fits = t.shape.length === max.length && t.shape.every((d, i) => d >= 1 && d <= (max[i] ?? 0));
    return fits ? t : this.fail(label, `a rank-${max.length} tensor within [${max.join(', ')}]`, `shape [${t.shape.join(', ')}]`, t);
  }

  private section(label: string, ref: unknown, dtype: WireDtype): WireTensor {
    const t = typeof ref === 'number' && Number.isInteger(ref) ? this.ctx.sections[ref] : undefined;
    if (t === undefined) return this.fail(label, `a section index below ${this.ctx.sections.length}`, ref, PLACEHOLDER_TENSOR);
    const index = ref as number;
    if (this.ctx.used[index] === true) return this.fail(label, 'a section no other field uses', ref, PLACEHOLDER_TENSOR);
    this.ctx.used[index] = true;
    const problem = tensorProblem(t, dtype);
    return problem === null ? t : this.fail(label, problem, `section ${index}`, PLACEHOLDER_TENSOR);
  }

  /** The rebuilt message, or the first recorded error, or an error for a section no field referenced. */
  finish(m: M.Message): Result<M.Message, ProtocolError> {
    if (this.ctx.error !== null) return err(protocolError('invalid-field', this.ctx.error));
    const unused = this.ctx.used.indexOf(false);
    return unused < 0 ? ok(m) : err(protocolError('malformed', `section ${unused} is not used by any field`));
  }
}

function parseDevice(f: Fields): M.DeviceInfo {
  const device: M.DeviceInfo = {
    backend: f.oneOf('backend', BACKENDS),
    adapter: f.str('adapter', MAX_TEXT_CHARS),
    reason: f.str('reason', MAX_TEXT_CHARS),
    samplesPerSec: f.num('samplesPerSec', 0, Number.MAX_VALUE),
    memoryBytes: f.num('memoryBytes', 0, Number.MAX_VALUE),
    selfTestPassed: f.bool('selfTestPassed'),
    userAgent: f.str('userAgent', MAX_TEXT_CHARS),
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
  };
  return config;
}

/** Packed upper-triangle length of an n×n symmetric matrix (core/analytic/packed-symmetric.ts). */
const packedLength = (n: number): number => (n * (n + 1)) / 2;

function parseLayerStats(f: Fields): M.LayerStatsMsg {
  const m: M.LayerStatsMsg = {
    type: 'layer-stats',
    runId: f.id('runId'),
    layer: f.int('layer', 0, MAX_ANALYTIC_LAYERS - 1),
    count: f.int('count', 0, MAX_DIM),
    a: f.shaped('a', 'float64', [packedLength(MAX_ANALYTIC_INPUTS)]),
    b: f.shaped('b', 'float64', [MAX_ANALYTIC_INPUTS, MAX_ANALYTIC_CLASSES]),
  };
  const dIn = m.b.shape[0] ?? 0;
  f.require('a', m.a.data.length === packedLength(dIn), `${packedLength(dIn)} entries (packed ${dIn}×${dIn})`, m.a.data.length);
  return m;
}

function parseLayerRequest(f: Fields): M.LayerRequestMsg {
  const m: M.LayerRequestMsg = {
    type: 'layer-request',
    runId: f.id('runId'),
    layer: f.int('layer', 0, MAX_ANALYTIC_LAYERS - 1),
    weights: f.shapedList('weights', 'float64', MAX_ANALYTIC_LAYERS, [MAX_ANALYTIC_INPUTS, MAX_ANALYTIC_OUTPUTS]),
  };
  f.require('weights', m.weights.length === m.layer, `${m.layer} solved layers`, m.weights.length);
  return m;
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
    const m: M.AssignMsg = { type: 'assign', config: parseConfig(f.child('config')), indices: f.indexVector('indices') };
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
