/**
 * Message ⇄ bytes, the protocol's entry point. One message is one frame (layout in frame.ts):
 *
 *     encodeMessage: tensors → sections, other fields → metadata JSON, validated like a receiver would,
 *                    then framed. Throws ProtocolEncodeError for a message no peer would accept.
 *     decodeMessage: size cap → header (magic, version, type code) → metadata → section views →
 *                    validate.ts. Never throws: every failure is a ProtocolError.
 *
 * The transport (chunk.ts underneath) carries the frame's bytes whole; this module never sees chunks.
 */
import { err } from '../core/result.ts';
import type { Result } from '../core/result.ts';
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES, ProtocolEncodeError, protocolError } from './frame.ts';
import type { ProtocolError } from './frame.ts';
import type { Message } from './messages.ts';
import { parseMessage } from './validate.ts';
import type { WireTensor } from './wire-tensor.ts';

export { MAX_FRAME_BYTES, ProtocolEncodeError };
export type { ProtocolError };

/** Options for decodeMessage. */
export interface DecodeOptions {
  /**
   * Reject input longer than this many bytes before reading it. Defaults to MAX_FRAME_BYTES (64 MiB);
   * larger values are clamped to it, and a value that is not a non-negative number means the default.
   */
  readonly maxBytes?: number;
}

/** True for the objects JSON.stringify should move into a section: anything with a typed-array `data`. */
function isTensorLike(v: unknown): v is WireTensor {
  return typeof v === 'object' && v !== null && 'data' in v && ArrayBuffer.isView(v.data);
}

/**
 * Encodes a message into one frame. The tensors' bytes are copied once, into the returned buffer.
 * @throws ProtocolEncodeError when the message breaks a rule of validate.ts (NaN, an out-of-range count,
 *   a tensor whose shape disagrees with its data, …) or a size cap: a receiver would drop it, so it is a
 *   bug in the sender, caught here rather than on the far side.
 * @example
 * const bytes = encodeMessage({ type: 'heartbeat', sentAt: 1234 });
 * await transport.send(peer, bytes);
 */
export function encodeMessage(m: Message): Uint8Array {
  const sections: WireTensor[] = [];
  const json = JSON.stringify(m, (_key, value: unknown) => {
    if (!isTensorLike(value)) return value;
    sections.push(value);
    return sections.length - 1;
  });
  const checked = parseMessage(JSON.parse(json), sections);
  if (!checked.ok) throw new ProtocolEncodeError(`refusing to encode a bad '${m.type}' message: ${checked.error.detail}`);
  return encodeFrame(m.type, json, sections);
}

/**
 * Decodes and validates one frame from an untrusted peer. Never throws, whatever the bytes. Tensors come
 * back as views over `bytes` (no copy) when `bytes` starts 4-aligned in its buffer, so the caller must not
 * reuse that buffer while the message is alive.
 * @returns the message, or a ProtocolError: `too-large` (checked before reading anything), `bad-magic`,
 *   `bad-version` (with `peerVersion`, to answer `incompatible`), `unknown-type`, `malformed` or
 *   `invalid-field`.
 * @example
 * const r = decodeMessage(bytes);
 * if (!r.ok) return dropPeer(from, `${r.error.code}: ${r.error.detail}`);
 * handlers[r.value.type](r.value);
 */
export function decodeMessage(bytes: Uint8Array, opts: DecodeOptions = {}): Result<Message, ProtocolError> {
  try {
    return decodeChecked(bytes, opts);
  } catch (e) {
    // Unreachable by design (the fuzz tests check that no input lands here); it keeps the never-throws promise.
    return err(protocolError('malformed', `internal decoder error: ${e instanceof Error ? e.message : String(e)}`));
  }
}

function decodeChecked(bytes: Uint8Array, opts: DecodeOptions): Result<Message, ProtocolError> {
  const asked = opts.maxBytes;
  const maxBytes = asked !== undefined && asked >= 0 ? Math.min(asked, MAX_FRAME_BYTES) : MAX_FRAME_BYTES;
  if (bytes.byteLength > maxBytes) {
    return err(protocolError('too-large', `${bytes.byteLength}-byte message is over the ${maxBytes}-byte limit`));
  }
  const frame = decodeFrame(bytes);
  if (!frame.ok) return frame;
  const message = parseMessage(frame.value.message, frame.value.sections);
  if (!message.ok) return message;
  if (message.value.type !== frame.value.type) {
    return err(protocolError('malformed', `header says '${frame.value.type}' but metadata says '${message.value.type}'`));
  }
  return message;
}
