/**
 * The room key in the join link's fragment: `…/?room=lab#key=<base64url>`. Browsers never send the
 * fragment to a server, so the key reaches the other tabs by the link or QR code only, and the
 * signalling server never sees it (transport/authenticated.ts uses it to admit peers).
 *
 * @example
 * const parsed = parseRoomKey(location.hash); // ok(null) when the link has no key
 * const key = parsed.ok && parsed.value !== null ? parsed.value : newRoomKey();
 * history.replaceState(null, '', `${location.pathname}${location.search}#${roomKeyFragment(key)}`);
 */
import { err, ok, type Result } from '../core/result.ts';
import { ROOM_KEY_MAX_BYTES, ROOM_KEY_MIN_BYTES } from '../protocol/admission.ts';

/** 128 bits: enough that guessing is hopeless, short enough for a QR code. */
export const NEW_ROOM_KEY_BYTES = 16;

const B64URL = /^[A-Za-z0-9_-]+$/;

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** The key in a URL fragment (`#key=…`, other fragment fields ignored): null when absent, err when malformed. */
export function parseRoomKey(hash: string): Result<Uint8Array | null, string> {
  const raw = new URLSearchParams(hash.replace(/^#/, '')).get('key');
  if (raw === null || raw === '') return ok(null);
  if (!B64URL.test(raw) || raw.length % 4 === 1) return err('the room key in the link (#key=…) is not base64url: copy the whole link again');
  const key = fromBase64Url(raw);
  if (key.length < ROOM_KEY_MIN_BYTES || key.length > ROOM_KEY_MAX_BYTES) return err(`the room key in the link is ${key.length} bytes; it must be ${ROOM_KEY_MIN_BYTES}-${ROOM_KEY_MAX_BYTES}: copy the whole link again`);
  return ok(key);
}

/** The fragment (without '#') that carries `key`. */
export function roomKeyFragment(key: Uint8Array): string {
  return `key=${toBase64Url(key)}`;
}

/** A fresh random key from the browser's CSPRNG. */
export function newRoomKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NEW_ROOM_KEY_BYTES));
}
