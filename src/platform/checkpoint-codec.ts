/**
 * A versioned binary format for one training checkpoint (parameters, optimizer slots, run config, progress),
 * for IndexedDB and files. Bytes read back are untrusted (a corrupt database, a user's file):
 * `decodeCheckpoint` checks every length, count, shape and value and returns a Result; it never throws.
 *
 * Layout (little-endian):
 *   0  4  magic 'SWCK'
 *   4  2  format version, u16 (CHECKPOINT_VERSION)
 *   6  2  flags, u16, must be 0
 *   8  4  header length H in bytes, u32 (a multiple of 4: the JSON is padded with spaces)
 *  12  4  CRC-32 (IEEE) of every byte from offset 16 to the end
 *  16  H  UTF-8 JSON: { room, runId, config, epoch, step, savedAt, params: [{name, shape, length}], slots: [...] }
 *  16+H   float32 values of params then slots, in list order (4 × Σ length bytes)
 *
 * @example
 *   const bytes = encodeCheckpoint({ room, runId, config, epoch: 3, step: 1800, savedAt: Date.now(), params, slots: [] });
 *   const back = decodeCheckpoint(bytes);
 *   if (back.ok) resumeFrom(back.value); else console.warn(back.error);
 */
import { isPeerId } from '../core/ids.ts';
import { err, ok } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import type { RunConfig } from '../protocol/messages.ts';
import { MAX_EPOCHS, MAX_SHORT_STRING_CHARS, parseMessage } from '../protocol/validate.ts';
import { i32 } from '../protocol/wire-tensor.ts';

export interface CheckpointTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Checkpoint {
  readonly room: string;
  readonly runId: string;
  readonly config: RunConfig;
  /** Completed epochs. */
  readonly epoch: number;
  readonly step: number;
  /** Wall-clock ms when saved (Date.now()). */
  readonly savedAt: number;
  readonly params: readonly CheckpointTensor[];
  /** Optimizer slots in the layout of optimizer.ts; empty for plain SGD. */
  readonly slots: readonly CheckpointTensor[];
}

export const CHECKPOINT_MAGIC = 'SWCK';
export const CHECKPOINT_VERSION = 1;
/** The largest checkpoint accepted: a 256 MiB file is far beyond our ~400 KB models, yet still fits in a tab. */
export const MAX_CHECKPOINT_BYTES = 256 * 2 ** 20;
/** Params plus slots: Adam on the CNN needs 18; 64 leaves room for bigger models. */
export const MAX_CHECKPOINT_TENSORS = 64;
/** The JSON header holds only names, shapes and the config: 1 MiB is generous. */
const MAX_HEADER_BYTES = 2 ** 20;
const MAX_RANK = 8;
const PREFIX_BYTES = 16;
const MAGIC = new TextEncoder().encode(CHECKPOINT_MAGIC);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zip and PNG use) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const fail = (why: string): Result<never, string> => err(`corrupt checkpoint: ${why}`);
const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
const isCount = (u: unknown, max: number): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 && u <= max;

/**
 * Checks an untrusted RunConfig with the protocol's own rules (the `assign` message carries one), so the
 * bounds here never drift from what a worker would accept. The tensor sections are the smallest valid ones.
 */
function parseRunConfig(u: unknown): Result<RunConfig, string> {
  const sections = [i32([0], new Int32Array(0)), i32([1], new Int32Array(1)), i32([2], new Int32Array(2)), i32([1], new Int32Array(1))];
  const m = parseMessage({ type: 'assign', config: u, indices: 0, clientIds: 1, offsets: 2, clientGroups: 3 }, sections);
  if (!m.ok) return err(m.error.detail.replace(/^assign\./, ''));
  return m.value.type === 'assign' ? ok(m.value.config) : err('config: not a run config');
}

type ScalarFields = Omit<Checkpoint, 'params' | 'slots'>;

/** Checks everything but the tensors; encode uses it too, so it never writes what decode would reject. */
function parseScalarFields(h: Readonly<Record<string, unknown>>): Result<ScalarFields, string> {
  const { room, runId, epoch, step, savedAt } = h;
  if (!isPeerId(room)) return err('room: expected an id of 1-64 chars [A-Za-z0-9_-]');
  if (!isPeerId(runId)) return err('runId: expected an id of 1-64 chars [A-Za-z0-9_-]');
  if (!isCount(epoch, MAX_EPOCHS)) return err(`epoch: expected an integer in [0, ${MAX_EPOCHS}]`);
  if (!isCount(step, Number.MAX_SAFE_INTEGER)) return err('step: expected a non-negative integer');
  if (typeof savedAt !== 'number' || !Number.isFinite(savedAt) || savedAt < 0) return err('savedAt: expected a non-negative finite number');
  const config = parseRunConfig(h.config);
  return config.ok ? ok({ room, runId, config: config.value, epoch, step, savedAt }) : config;
}

/** Why a tensor list is unusable, or null. Shared by encode (throws) and decode (returns err). */
function tensorsProblem(params: readonly CheckpointTensor[], slots: readonly CheckpointTensor[]): string | null {
  if (params.length + slots.length > MAX_CHECKPOINT_TENSORS) return `${params.length + slots.length} tensors > ${MAX_CHECKPOINT_TENSORS}`;
  for (const [list, t] of [...params.map((t) => ['params', t] as const), ...slots.map((t) => ['slots', t] as const)]) {
    if (t.name.length > MAX_SHORT_STRING_CHARS) return `${list} '${t.name.slice(0, 40)}…': name longer than ${MAX_SHORT_STRING_CHARS} chars`;
    if (t.shape.length > MAX_RANK || !t.shape.every((d) => isCount(d, MAX_CHECKPOINT_BYTES))) return `${list} '${t.name}': shape [${t.shape.join(', ')}] is not ≤ ${MAX_RANK} integer dims`;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) return `${list} '${t.name}': shape [${t.shape.join(', ')}] holds ${size} values, data has ${t.data.length}`;
    if (!t.data.every(Number.isFinite)) return `${list} '${t.name}' holds a non-finite value`;
  }
  return null;
}

/**
 * Encodes a checkpoint.
 * @throws RangeError for a checkpoint no decoder would accept (bad room or run id, shape/data disagreement,
 *   non-finite values, too many tensors or bytes): a programmer error, or a diverged run not worth saving.
 */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const fields = { room: c.room, runId: c.runId, config: c.config, epoch: c.epoch, step: c.step, savedAt: c.savedAt };
  const checked = parseScalarFields(fields);
  if (!checked.ok) throw new RangeError(`cannot encode checkpoint: ${checked.error}`);
  const problem = tensorsProblem(c.params, c.slots);
  if (problem !== null) throw new RangeError(`cannot encode checkpoint: ${problem}`);
  const meta = (t: CheckpointTensor) => ({ name: t.name, shape: t.shape, length: t.data.length });
  const json = JSON.stringify({ ...fields, params: c.params.map(meta), slots: c.slots.map(meta) });
  let header = new TextEncoder().encode(json);
  const padded = Math.ceil(header.length / 4) * 4;
  if (padded !== header.length) header = new TextEncoder().encode(json + ' '.repeat(padded - header.length));
  const tensors = [...c.params, ...c.slots];
  const floats = tensors.reduce((n, t) => n + t.data.length, 0);
  const total = PREFIX_BYTES + header.length + 4 * floats;
  if (total > MAX_CHECKPOINT_BYTES) throw new RangeError(`cannot encode checkpoint: ${total} bytes > ${MAX_CHECKPOINT_BYTES}`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(4, CHECKPOINT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, header.length, true);
  out.set(header, PREFIX_BYTES);
  let at = PREFIX_BYTES + header.length;
  for (const t of tensors) {
    for (const v of t.data) { view.setFloat32(at, v, true); at += 4; }
  }
  view.setUint32(12, crc32(out.subarray(PREFIX_BYTES)), true);
  return out;
}

interface TensorMeta { readonly name: string; readonly shape: readonly number[]; readonly length: number }

function parseTensorMetas(u: unknown, list: string): Result<TensorMeta[], string> {
  if (!Array.isArray(u) || u.length > MAX_CHECKPOINT_TENSORS) return err(`${list}: expected an array of ≤ ${MAX_CHECKPOINT_TENSORS} tensors`);
  const out: TensorMeta[] = [];
  for (const [i, e] of (u as unknown[]).entries()) {
    const where = `${list}[${i}]`;
    if (!isRecord(e)) return err(`${where}: not an object`);
    const { name, shape, length } = e;
    if (typeof name !== 'string' || name.length > MAX_SHORT_STRING_CHARS) return err(`${where}.name: expected a string of ≤ ${MAX_SHORT_STRING_CHARS} chars`);
    if (!Array.isArray(shape) || shape.length > MAX_RANK || !(shape as unknown[]).every((d) => isCount(d, MAX_CHECKPOINT_BYTES))) {
      return err(`${where}.shape: expected ≤ ${MAX_RANK} non-negative integer dims`);
    }
    const dims = shape as number[];
    if (!isCount(length, MAX_CHECKPOINT_BYTES / 4)) return err(`${where}.length: expected an integer in [0, ${MAX_CHECKPOINT_BYTES / 4}]`);
    // Each dim is bounded, so the running product stays exact until it passes the bound and stops.
    let size = 1;
    for (const d of dims) size = Math.min(size * d, MAX_CHECKPOINT_BYTES);
    if (size !== length) return err(`${where} '${name}': shape [${dims.join(', ')}] disagrees with its ${length} values`);
    out.push({ name, shape: dims, length });
  }
  return ok(out);
}

/** Decodes untrusted bytes into a Checkpoint, or a message naming the first problem. Never throws. */
export function decodeCheckpoint(bytes: Uint8Array): Result<Checkpoint, string> {
  if (bytes.length > MAX_CHECKPOINT_BYTES) return fail(`${bytes.length} bytes > ${MAX_CHECKPOINT_BYTES}`);
  if (bytes.length < PREFIX_BYTES) return fail(`${bytes.length} bytes is shorter than the ${PREFIX_BYTES}-byte prefix`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) return fail(`does not start with '${CHECKPOINT_MAGIC}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== CHECKPOINT_VERSION) return fail(`format version ${version}, this build reads version ${CHECKPOINT_VERSION}`);
  if (view.getUint16(6, true) !== 0) return fail('unknown flags set');
  const headerBytes = view.getUint32(8, true);
  if (headerBytes > MAX_HEADER_BYTES || headerBytes % 4 !== 0) return fail(`header length ${headerBytes} is not a multiple of 4 in [0, ${MAX_HEADER_BYTES}]`);
  if (PREFIX_BYTES + headerBytes > bytes.length) return fail(`truncated: header needs ${headerBytes} bytes, ${bytes.length - PREFIX_BYTES} left`);
  const body = bytes.subarray(PREFIX_BYTES);
  if (crc32(body) !== view.getUint32(12, true)) return fail('checksum mismatch (truncated or damaged)');

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(0, headerBytes)));
  } catch (e) {
    return fail(`header is not UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isRecord(json)) return fail('header is not a JSON object');
  const scalars = parseScalarFields(json);
  if (!scalars.ok) return fail(scalars.error);
  const paramMetas = parseTensorMetas(json.params, 'params');
  if (!paramMetas.ok) return fail(paramMetas.error);
  const slotMetas = parseTensorMetas(json.slots, 'slots');
  if (!slotMetas.ok) return fail(slotMetas.error);
  const metas = [...paramMetas.value, ...slotMetas.value];
  if (metas.length > MAX_CHECKPOINT_TENSORS) return fail(`${metas.length} tensors > ${MAX_CHECKPOINT_TENSORS}`);

  const floats = metas.reduce((n, m) => n + m.length, 0);
  const dataBytes = bytes.length - PREFIX_BYTES - headerBytes;
  if (dataBytes !== 4 * floats) return fail(`tensor data is ${dataBytes} bytes, the header describes ${4 * floats}`);
  let at = PREFIX_BYTES + headerBytes;
  const tensors: CheckpointTensor[] = [];
  for (const [i, m] of metas.entries()) {
    const data = new Float32Array(m.length);
    for (let k = 0; k < m.length; k++, at += 4) data[k] = view.getFloat32(at, true);
    if (!data.every(Number.isFinite)) {
      const list = i < paramMetas.value.length ? 'params' : 'slots';
      return fail(`${list} '${m.name}' holds a non-finite value`);
    }
    tensors.push({ name: m.name, shape: m.shape, data });
  }
  const np = paramMetas.value.length;
  return ok({ ...scalars.value, params: tensors.slice(0, np), slots: tensors.slice(np) });
}
