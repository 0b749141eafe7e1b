/**
 * One message frame: the binary envelope around one protocol message (codec.ts puts messages in it).
 *
 * Wire layout, all integers little-endian, offsets in bytes:
 *
 *     offset   size  field
 *     0        4     magic 'SWRM' (0x53 0x57 0x52 0x4d)                  frozen in every version
 *     4        1     protocol version, u8 (PROTOCOL_VERSION)             frozen in every version
 *     5        1     type code, u8 (type-codes.ts)
 *     6        2     flags, u16: 0 in version 1 (anything else is rejected)
 *     8        4     metadata length M, u32 (at most MAX_METADATA_BYTES)
 *     12       2     section count S, u16 (at most MAX_SECTIONS)
 *     14       2     reserved, u16: 0
 *     16       M     metadata: UTF-8 JSON {"message": {...}, "sections": [descriptor × S]}
 *     16+M     0..3  zero padding up to P = align4(16 + M)
 *     P        ...   S tensor sections; section i starts at P + byteOffset_i, each padded with zeros to 4
 *
 * A descriptor is {"dtype": "float32"|"float64"|"int32"|"uint16"|"uint8", "shape": [d0, …], "byteOffset", "byteLength"}, with
 * byteOffset relative to P. Sections are canonical: in index order, each at the 4-aligned end of the one
 * before, and the frame ends exactly at the padded end of the last one. In "message", a tensor field holds
 * its section index (an integer) and an array-of-tensors field holds an array of indices.
 *
 * Why 4-byte alignment: a Float32Array/Int32Array view needs byteOffset % 4 === 0. A frame that starts
 * 4-aligned in its buffer (every fresh buffer does) yields views over the received bytes with no copy; an
 * unaligned frame costs one copy per section (disco's coder.ts explains the same copy for msgpack).
 * float64 sections (protocol version 2) need 8-byte alignment for a view; sections stay 4-aligned on the
 * wire, so a float64 section that lands on an odd multiple of 4 is copied on decode (it is rare and small
 * next to the solve that consumes it).
 */
import { err, ok } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import type { MessageType } from './messages.ts';
import { messageTypeOf, typeCodeOf } from './type-codes.ts';
import { PROTOCOL_VERSION } from './version.ts';
import { shapeSize } from './wire-tensor.ts';
import type { WireDtype, WireTensor } from './wire-tensor.ts';

/** The four ASCII bytes every frame starts with. */
export const FRAME_MAGIC = 'SWRM';
/** Size of the fixed header in bytes (see the layout above). */
export const HEADER_BYTES = 16;
/** Largest frame accepted: the transport's MAX_MESSAGE_BYTES (64 MiB), restated because protocol/ may not import transport/. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Largest metadata block: real metadata is a few KiB of fields and descriptors; 1 MiB bounds JSON.parse work. */
export const MAX_METADATA_BYTES = 1024 * 1024;
/** Most sections in one frame: a model has tens of tensors (params plus two Adam slots each); u16 allows 65,535. */
export const MAX_SECTIONS = 1024;
/** Highest tensor rank accepted: tfjs ops go up to rank 6; 8 leaves room without inviting abuse. */
export const MAX_RANK = 8;
/** Largest single dimension (2^24 = 16,777,216), far above any layer width or sample count we ship. */
export const MAX_DIM = 2 ** 24;
/** Section alignment: the element size of float32/int32, so typed-array views need no copy. */
const ALIGN_BYTES = 4;

/** Why a frame or message was rejected. `bad-version` also carries the peer's version for `incompatible`. */
export type ProtocolErrorCode = 'too-large' | 'bad-magic' | 'bad-version' | 'unknown-type' | 'malformed' | 'invalid-field';

/**
 * A rejected frame or message: a code to switch on, and a detail for logs (never parsed). `peerVersion`
 * (the version byte of the peer's header) is present exactly when `code` is 'bad-version', so a caller can
 * answer `incompatible` without parsing `detail`.
 */
export type ProtocolError =
  | { readonly code: 'bad-version'; readonly detail: string; readonly peerVersion: number }
  | { readonly code: Exclude<ProtocolErrorCode, 'bad-version'>; readonly detail: string; readonly peerVersion?: undefined };

/** Builds a ProtocolError of any code but `bad-version` (which needs the peer's version). */
export function protocolError(code: Exclude<ProtocolErrorCode, 'bad-version'>, detail: string): ProtocolError {
  return { code, detail };
}

/** Thrown by the encoders when our own code asks for a frame no peer would accept (a programmer error). */
export class ProtocolEncodeError extends Error {
  static readonly NAME = 'ProtocolEncodeError';
  constructor(message: string) {
    super(message);
    this.name = ProtocolEncodeError.NAME;
  }
}

/** A structurally valid frame; `message` is still untrusted JSON (validate.ts checks it). */
export interface Frame {
  readonly type: MessageType;
  /** The metadata's "message" value: unvalidated JSON whose tensor fields hold section indices. */
  readonly message: unknown;
  /** The sections, as views over the frame's bytes when the frame was 4-aligned (no copy). */
  readonly sections: readonly WireTensor[];
}

interface Header {
  readonly type: MessageType;
  readonly metadataBytes: number;
  readonly sectionCount: number;
  /** P in the layout: where the sections start, relative to the frame. */
  readonly sectionsStart: number;
}

interface Section {
  readonly dtype: WireDtype;
  readonly shape: readonly number[];
  readonly byteOffset: number;
  readonly byteLength: number;
}

const BYTES_PER_ELEMENT: Readonly<Record<WireDtype, number>> = { float32: 4, float64: 8, int32: 4, uint16: 2, uint8: 1 };
const MAGIC = new TextEncoder().encode(FRAME_MAGIC);
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Typed arrays use the host's byte order; every shipping JS engine is little-endian, like the wire. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

const align4 = (n: number): number => Math.ceil(n / ALIGN_BYTES) * ALIGN_BYTES;
const malformed = (detail: string): Result<never, ProtocolError> => err(protocolError('malformed', detail));

/** The shape as a readonly array when it has at most MAX_RANK integer dims in [0, MAX_DIM], else null. */
export function parseShape(u: unknown): readonly number[] | null {
  if (!Array.isArray(u) || u.length > MAX_RANK) return null;
  const dims: readonly unknown[] = u;
  const valid = dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= MAX_DIM);
  return valid ? (dims as readonly number[]) : null;
}

/**
 * Encodes one frame. `messageJson` is the message as JSON with tensor fields already replaced by indices
 * into `sections` (codec.ts does that). Throws ProtocolEncodeError when the frame would break a cap or a
 * section's shape disagrees with its data: a receiver would reject such a frame, so it is our bug.
 */
export function encodeFrame(type: MessageType, messageJson: string, sections: readonly WireTensor[]): Uint8Array {
  if (!HOST_IS_LITTLE_ENDIAN) throw new ProtocolEncodeError('big-endian hosts are not supported');
  if (sections.length > MAX_SECTIONS) throw new ProtocolEncodeError(`${sections.length} sections > ${MAX_SECTIONS}`);
  let end = 0;
  const descriptors = sections.map((t, i): Section => {
    checkSection(t, i);
    const d = { dtype: t.dtype, shape: t.shape, byteOffset: end, byteLength: t.data.byteLength };
    end = align4(end + d.byteLength);
    return d;
  });
  const meta = new TextEncoder().encode(`{"message":${messageJson},"sections":${JSON.stringify(descriptors)}}`);
  if (meta.byteLength > MAX_METADATA_BYTES) throw new ProtocolEncodeError(`metadata of ${meta.byteLength} bytes`);
  const start = align4(HEADER_BYTES + meta.byteLength);
  if (start + end > MAX_FRAME_BYTES) throw new ProtocolEncodeError(`frame of ${start + end} bytes > ${MAX_FRAME_BYTES}`);
  const out = new Uint8Array(start + end);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint8(4, PROTOCOL_VERSION);
  view.setUint8(5, typeCodeOf(type));
  view.setUint32(8, meta.byteLength, true);
  view.setUint16(12, sections.length, true);
  out.set(meta, HEADER_BYTES);
  let at = start;
  for (const t of sections) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at = align4(at + t.data.byteLength);
  }
  return out;
}

function checkSection(t: WireTensor, i: number): void {
  const shape = parseShape(t.shape);
  const n = shape === null ? -1 : shapeSize(shape);
  if (n !== t.data.length || n * BYTES_PER_ELEMENT[t.dtype] !== t.data.byteLength) {
    throw new ProtocolEncodeError(`section ${i}: shape ${JSON.stringify(t.shape)} does not fit ${t.dtype} data of ${t.data.length}`);
  }
}

/**
 * Decodes one frame: header, metadata JSON and section views, bounds-checking every length, offset and
 * shape product before touching the bytes. Never throws. Does not check the size cap (codec.ts does,
 * first) nor the message's fields (validate.ts).
 */
export function decodeFrame(bytes: Uint8Array): Result<Frame, ProtocolError> {
  const header = readHeader(bytes);
  if (!header.ok) return header;
  const meta = readMetadata(bytes, header.value);
  if (!meta.ok) return meta;
  const sections = readSections(bytes, header.value, meta.value.descriptors);
  if (!sections.ok) return sections;
  return ok({ type: header.value.type, message: meta.value.message, sections: sections.value });
}

function readHeader(bytes: Uint8Array): Result<Header, ProtocolError> {
  const prefix = Math.min(bytes.byteLength, MAGIC.length);
  for (let i = 0; i < prefix; i++) {
    if (bytes[i] !== MAGIC[i]) return err(protocolError('bad-magic', `frame does not start with '${FRAME_MAGIC}'`));
  }
  if (bytes.byteLength < HEADER_BYTES) return malformed(`${bytes.byteLength} bytes is shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const peerVersion = view.getUint8(4);
  if (peerVersion !== PROTOCOL_VERSION) {
    const detail = `peer speaks protocol version ${peerVersion}, this build speaks ${PROTOCOL_VERSION}`;
    return err({ code: 'bad-version', detail, peerVersion });
  }
  const code = view.getUint8(5);
  const type = messageTypeOf(code);
  if (type === undefined) return err(protocolError('unknown-type', `unknown type code ${code}`));
  if (view.getUint16(6, true) !== 0 || view.getUint16(14, true) !== 0) return malformed('flags or reserved bits set');
  const metadataBytes = view.getUint32(8, true);
  if (metadataBytes > MAX_METADATA_BYTES || HEADER_BYTES + metadataBytes > bytes.byteLength) {
    return malformed(`metadata length ${metadataBytes} does not fit a ${bytes.byteLength}-byte frame`);
  }
  const sectionCount = view.getUint16(12, true);
  if (sectionCount > MAX_SECTIONS) return malformed(`${sectionCount} sections > ${MAX_SECTIONS}`);
  return ok({ type, metadataBytes, sectionCount, sectionsStart: align4(HEADER_BYTES + metadataBytes) });
}

function readMetadata(bytes: Uint8Array, h: Header): Result<{ message: unknown; descriptors: readonly unknown[] }, ProtocolError> {
  let json: unknown;
  try {
    json = JSON.parse(UTF8.decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + h.metadataBytes)));
  } catch (e) {
    return malformed(`metadata is not UTF-8 JSON (${e instanceof Error ? e.message : 'unknown error'})`);
  }
  if (typeof json !== 'object' || json === null || !('message' in json) || !('sections' in json)) {
    return malformed('metadata is not an object with "message" and "sections"');
  }
  const descriptors = json.sections;
  if (!Array.isArray(descriptors) || descriptors.length !== h.sectionCount) {
    return malformed(`metadata "sections" is not an array of the header's ${h.sectionCount} descriptors`);
  }
  return ok({ message: json.message, descriptors });
}

function readSections(bytes: Uint8Array, h: Header, descriptors: readonly unknown[]): Result<WireTensor[], ProtocolError> {
  if (!HOST_IS_LITTLE_ENDIAN && descriptors.length > 0) return malformed('big-endian hosts are not supported');
  const sections: WireTensor[] = [];
  let end = 0;
  for (const [i, u] of descriptors.entries()) {
    const s = parseDescriptor(u, i, end);
    if (!s.ok) return s;
    const at = h.sectionsStart + s.value.byteOffset;
    if (at + s.value.byteLength > bytes.byteLength) return malformed(`section ${i} runs past the frame's end`);
    sections.push(sectionTensor(bytes, at, s.value));
    end = align4(s.value.byteOffset + s.value.byteLength);
  }
  if (h.sectionsStart + end !== bytes.byteLength) {
    return malformed(`frame is ${bytes.byteLength} bytes but its layout says ${h.sectionsStart + end}`);
  }
  return ok(sections);
}

function parseDescriptor(u: unknown, i: number, expectedOffset: number): Result<Section, ProtocolError> {
  if (typeof u !== 'object' || u === null) return malformed(`section ${i}: descriptor is not an object`);
  const { dtype, shape, byteOffset, byteLength } = u as Readonly<Record<string, unknown>>;
  if (typeof dtype !== 'string' || !Object.hasOwn(BYTES_PER_ELEMENT, dtype)) {
    return malformed(`section ${i}: unknown dtype`);
  }
  const wireDtype = dtype as WireDtype;
  const dims = parseShape(shape);
  if (dims === null) return malformed(`section ${i}: shape is not ≤ ${MAX_RANK} integer dims in [0, ${MAX_DIM}]`);
  if (byteOffset !== expectedOffset) return malformed(`section ${i}: byteOffset is not ${expectedOffset}`);
  if (byteLength !== shapeSize(dims) * BYTES_PER_ELEMENT[wireDtype]) {
    return malformed(`section ${i}: byteLength does not match ${wireDtype} shape [${dims.join(', ')}]`);
  }
  return ok({ dtype: wireDtype, shape: dims, byteOffset: expectedOffset, byteLength: shapeSize(dims) * BYTES_PER_ELEMENT[wireDtype] });
}

/** A typed-array view over the section when its absolute offset is aligned for its element, else a view over a copy. */
function sectionTensor(bytes: Uint8Array, at: number, s: Section): WireTensor {
  const aligned = (bytes.byteOffset + at) % Math.max(ALIGN_BYTES, BYTES_PER_ELEMENT[s.dtype]) === 0;
  const buffer = aligned ? bytes.buffer : bytes.slice(at, at + s.byteLength).buffer;
  const offset = aligned ? bytes.byteOffset + at : 0;
  const n = s.byteLength / BYTES_PER_ELEMENT[s.dtype];
  switch (s.dtype) {
    case 'float32':
      return { dtype: s.dtype, shape: s.shape, data: new Float32Array(buffer, offset, n) };
    case 'float64':
      return { dtype: s.dtype, shape: s.shape, data: new Float64Array(buffer, offset, n) };
    case 'int32':
      return { dtype: s.dtype, shape: s.shape, data: new Int32Array(buffer, offset, n) };
    case 'uint16':
      return { dtype: s.dtype, shape: s.shape, data: new Uint16Array(buffer, offset, n) };
    case 'uint8':
      return { dtype: s.dtype, shape: s.shape, data: bytes.subarray(at, at + n) };
  }
}
