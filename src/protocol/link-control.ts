/**
 * Link control frames: the few frames a PeerJS link exchanges with its far side below the message layer,
 * to resume a stuck link on a fresh connection (see transport/peerjs-link.ts). Pure: no DOM, no timers.
 *
 * Wire layout (integers unsigned 32-bit little-endian):
 *
 * | bytes  | field         | meaning                                                                 |
 * |--------|---------------|-------------------------------------------------------------------------|
 * | 0..3   | magic         | ASCII "SWCC" (as a u32 LE: 0x43435753); data chunks start with "SWCH"   |
 * | 4..7   | kind          | 1 token, 2 resume, 3 resumed                                            |
 * | 8..23  | token         | 16 bytes (see below)                                                    |
 * | 24..27 | next expected | resume / resumed only: id of the first message this side has not had    |
 *
 * - `token`: the first frame each side writes on a new link: its own random link token. It travels only
 *   inside the (DTLS-encrypted) data channel, never through the signalling server.
 * - `resume`: first frame on a second connection dialled to replace a stuck one; carries the FAR side's
 *   token (proof that the dialler is the peer of the original link) and where the dialler's receiving stopped.
 * - `resumed`: the answer on that connection, with the dialler's token and where the answerer's receiving stopped.
 * Each side then re-sends, on the new connection, every message from the other's "next expected" on.
 */
import { err, ok, type Result } from '../core/result.ts';

/** "SWCC" read as a little-endian u32. */
export const CONTROL_MAGIC = 0x43435753;
/** Length of a link token in bytes. */
export const LINK_TOKEN_BYTES = 16;
const TOKEN_FRAME_BYTES = 8 + LINK_TOKEN_BYTES;
const RESUME_FRAME_BYTES = TOKEN_FRAME_BYTES + 4;

const KIND_CODES = { token: 1, resume: 2, resumed: 3 } as const;

export type LinkControl =
  | { readonly kind: 'token'; readonly token: Uint8Array }
  | { readonly kind: 'resume' | 'resumed'; readonly token: Uint8Array; readonly nextExpected: number };

/** True when `frame` starts with the control magic (anything else is a data chunk or garbage). */
export function isControlFrame(frame: Uint8Array): boolean {
  return frame.byteLength >= 4 && new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true) === CONTROL_MAGIC;
}

export function encodeControl(c: LinkControl): Uint8Array<ArrayBuffer> {
  if (c.token.byteLength !== LINK_TOKEN_BYTES) throw new RangeError(`a link token has ${LINK_TOKEN_BYTES} bytes, not ${c.token.byteLength}`);
  const out = new Uint8Array(new ArrayBuffer(c.kind === 'token' ? TOKEN_FRAME_BYTES : RESUME_FRAME_BYTES));
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTROL_MAGIC, true);
  view.setUint32(4, KIND_CODES[c.kind], true);
  out.set(c.token, 8);
  if (c.kind !== 'token') view.setUint32(TOKEN_FRAME_BYTES, c.nextExpected >>> 0, true);
  return out;
}

/** Decodes a control frame; any other length, magic or kind is an error (the sender broke the framing). */
export function decodeControl(frame: Uint8Array): Result<LinkControl, string> {
  if (!isControlFrame(frame)) return err('not a control frame');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.byteLength < 8) return err(`control frame of ${frame.byteLength} bytes`);
  const code = view.getUint32(4, true);
  const token = frame.slice(8, 8 + LINK_TOKEN_BYTES);
  if (code === KIND_CODES.token) {
    return frame.byteLength === TOKEN_FRAME_BYTES ? ok({ kind: 'token', token }) : err(`token frame of ${frame.byteLength} bytes`);
  }
  if (code !== KIND_CODES.resume && code !== KIND_CODES.resumed) return err(`unknown control kind ${code}`);
  if (frame.byteLength !== RESUME_FRAME_BYTES) return err(`resume frame of ${frame.byteLength} bytes`);
  const kind = code === KIND_CODES.resume ? 'resume' : 'resumed';
  return ok({ kind, token, nextExpected: view.getUint32(TOKEN_FRAME_BYTES, true) });
}

/** True when message id `id` comes at or after `from` in the wrapping u32 id sequence (within half its range). */
export function idAtOrAfter(id: number, from: number): boolean {
  return ((id - from) >>> 0) < 0x80000000;
}

/** Constant-time comparison of two tokens (a mismatch reveals nothing of where it differs). */
export function sameToken(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
