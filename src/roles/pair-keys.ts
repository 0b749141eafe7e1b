/**
 * Pairwise mask keys by WebCrypto key agreement, for secure aggregation (core/analytic/keyed-masking.ts).
 *
 * Each tab makes an ECDH P-256 key pair per run; the private key is non-extractable (it never leaves the
 * WebCrypto engine), the public key travels as a 65-byte uncompressed point (0x04 ‖ X ‖ Y) through the
 * coordinator, which relays but cannot use it (honest-but-curious server, as in Bonawitz et al. 2017).
 * Two tabs A and B compute the same ECDH secret (the x-coordinate of a·B = b·A), and from it the same
 * 32-byte pair key by HKDF-SHA256 with salt = UTF-8 context (the run id: a new run gets unrelated keys even
 * if key pairs were reused) and info = "swarm/mask-pair" (domain separation from any other use of the
 * secret). The raw ECDH secret is never used directly: its bits are not uniform, HKDF makes them so.
 *
 * Works wherever `globalThis.crypto.subtle` exists: browsers in a secure context (https or localhost) and
 * Node ≥ 20. Peer public keys are untrusted: a wrong length, a byte string that is not a point on P-256 or
 * our own key is an `err` with a clear message; `derivePairKey` never throws or rejects.
 *
 * @example
 * const mine = await createMaskKeyPair();          // send mine.publicKeyRaw via the coordinator
 * const key = await derivePairKey(mine, peerRaw, runId); // ok(32 bytes), the same on the peer's side
 */
import { err, ok } from '../core/result.ts';
import type { Result } from '../core/result.ts';

import { PAIR_KEY_BYTES } from '../core/analytic/keyed-masking.ts';
import { PUBLIC_KEY_BYTES } from '../protocol/validate-federated.ts';

// The wire sizes (65-byte uncompressed P-256 point, 32-byte pair key) are the protocol's and the core's.
export { PAIR_KEY_BYTES, PUBLIC_KEY_BYTES };
/** HKDF info string: binds derived keys to this one purpose. */
export const PAIR_KEY_INFO = 'swarm/mask-pair';
/** SEC 1 prefix byte of an uncompressed point. */
const UNCOMPRESSED_POINT = 0x04;
const CURVE = { name: 'ECDH', namedCurve: 'P-256' } as const;

/** A tab's key pair for one run. */
export interface MaskKeyPair {
  /** Non-extractable ECDH private key (usable only for deriveBits). */
  readonly privateKey: CryptoKey;
  /** The public key as 65 raw bytes, to send to the peers. */
  readonly publicKeyRaw: Uint8Array;
}

/** WebCrypto's SubtleCrypto, or undefined where there is none (e.g. a browser page served over plain http). */
function subtle(): SubtleCrypto | undefined {
  const c = globalThis.crypto as Crypto | undefined;
  return c?.subtle; // subtle itself is undefined outside secure contexts, despite its DOM type
}

/** True when `bytes` has the shape of an uncompressed P-256 public key (whether it is on the curve is checked on import). */
export function isPublicKeyShape(bytes: unknown): bytes is Uint8Array {
  return bytes instanceof Uint8Array && bytes.length === PUBLIC_KEY_BYTES && bytes[0] === UNCOMPRESSED_POINT;
}

/** A fresh ECDH P-256 key pair. Rejects only if WebCrypto is missing or fails (not on peer input). */
export async function createMaskKeyPair(): Promise<MaskKeyPair> {
  const s = subtle();
  if (s === undefined) throw new Error('WebCrypto (crypto.subtle) is unavailable: pair keys need a secure context (https or localhost)');
  // extractable = false applies to the private key; a public key is always exportable.
  const pair = await s.generateKey(CURVE, false, ['deriveBits']);
  const publicKeyRaw = new Uint8Array(await s.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKeyRaw };
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const explain = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * The 32-byte key shared with the owner of `peerPublicRaw`: HKDF-SHA256(ECDH(own, peer), salt = context,
 * info = PAIR_KEY_INFO). Symmetric: both sides get the same bytes for the same context.
 */
export async function derivePairKey(own: MaskKeyPair, peerPublicRaw: Uint8Array, context: string): Promise<Result<Uint8Array, string>> {
  if (peerPublicRaw.length !== PUBLIC_KEY_BYTES) return err(`peer public key must be ${PUBLIC_KEY_BYTES} bytes (uncompressed P-256 point), got ${peerPublicRaw.length}`);
  if (peerPublicRaw[0] !== UNCOMPRESSED_POINT) return err(`peer public key must start with 0x04 (uncompressed point), got 0x${(peerPublicRaw[0] ?? 0).toString(16)}`);
  if (sameBytes(peerPublicRaw, own.publicKeyRaw)) return err('peer public key is our own public key');
  const s = subtle();
  if (s === undefined) return err('WebCrypto (crypto.subtle) is unavailable: pair keys need a secure context (https or localhost)');
  let peerKey: CryptoKey;
  try {
    // A copy: the import must see exactly the bytes checked above, in a plain ArrayBuffer.
    peerKey = await s.importKey('raw', Uint8Array.from(peerPublicRaw), CURVE, true, []);
  } catch (e) {
    return err(`peer public key is not a point on P-256 (${explain(e)})`);
  }
  try {
    const shared = await s.deriveBits({ name: 'ECDH', public: peerKey }, own.privateKey, 256); // the 32-byte x-coordinate
    const ikm = await s.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
    const utf8 = new TextEncoder();
    const bits = await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: utf8.encode(context), info: utf8.encode(PAIR_KEY_INFO) }, ikm, 8 * PAIR_KEY_BYTES);
    return ok(new Uint8Array(bits));
  } catch (e) {
    return err(`pair key derivation failed (${explain(e)})`);
  }
}
