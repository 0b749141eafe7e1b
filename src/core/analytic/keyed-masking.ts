/**
 * Pairwise masks keyed by 32-byte pair keys (from an ECDH key agreement, roles/pair-keys.ts) instead of the
 * 32-bit seeds of masking.ts, so that the masks are cryptographically secret: without the pair key, a mask
 * stream is indistinguishable from uniform ring elements (ChaCha20 is a PRF), and a masked vector alone
 * reveals nothing about the values. The masking arithmetic, fixed-point encoding, sign convention and
 * dropout recovery are masking.ts's own (`maskContribution`, `removeDroppedMasks`), reused through a
 * `MaskSource` adapter; this module only supplies the keyed stream and validates the keys.
 *
 * Stream: mask(key, label) = ChaCha20(key, nonce(label), counter from 0). The nonce is the first 12 bytes of
 * SHA-256(UTF-8 label), computed by the small pure SHA-256 below (WebCrypto's digest is async, and this
 * must stay synchronous and pure). Why a hash: labels such as "run-x/round-3/layer-1" are longer than 12
 * bytes; a 96-bit hash of distinct labels collides with probability about n²/2^97 for n labels, negligible
 * for an honest-but-curious coordinator (the Bonawitz threat model). A given (pair key, label) must mask
 * one vector only: reusing it would reveal the difference of two vectors. Pair keys are derived per run
 * (HKDF salt = run id), so labels need only be unique within a run.
 *
 * Elements: each ring element of Z_2^52 takes 7 keystream bytes read little-endian (56 bits) with the top 4
 * bits cleared: exactly uniform on [0, 2^52), no rejection and no modulo bias.
 *
 * Keys arrive from peers (revealed on dropout) or from key agreement: a key that is not 32 bytes is an
 * error value from `maskWithKeys` / `removeDroppedKeyedMasks`, never a throw.
 *
 * @example
 * const masked = maskWithKeys({ values, self: 0, pairKeys: new Map([[1, k01], [2, k02]]), label: 'run-x/layer-1', numClients: 3 });
 * // coordinator: ringSum([m0, m1, m2]) → decodeFixed(sum) = values0 + values1 + values2 (rounded to 2^−f)
 */
import { CHACHA20_KEY_BYTES, CHACHA20_NONCE_BYTES, chacha20Keystream } from '../crypto/chacha20.ts';
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { addMod, encodeFixed, maskContribution, removeDroppedMasks, RING_BITS, subMod } from './masking.ts';
import type { MaskingError, MaskSource } from './masking.ts';

/** Pair keys are ChaCha20 keys: 32 bytes. */
export const PAIR_KEY_BYTES = CHACHA20_KEY_BYTES;
/** Keystream bytes per ring element: 7 bytes = 56 bits ≥ RING_BITS = 52. */
const BYTES_PER_ELEMENT = 7;
/** Mask-stream offsets are multiples of this many elements: 64 elements = 448 bytes = 7 ChaCha20 blocks. */
const STREAM_ALIGN = 64;
/** Elements masked between two pauses of `maskWithKeysInSlices`: ~30 ms of ChaCha20 per peer on a laptop. */
export const MASK_SLICE_ELEMENTS = 64 * 1024;
/** Mask for the top byte of an element: keeps RING_BITS − 48 = 4 of its 8 bits. */
const TOP_BYTE_MASK = (1 << (RING_BITS - 48)) - 1;

// ---- SHA-256 (FIPS 180-4), only to derive nonces from labels ----

/** First 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 §4.2.2). */
const SHA256_K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
/** Initial hash: fractional parts of the square roots of the first 8 primes (FIPS 180-4 §5.3.3). */
const SHA256_H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19] as const;

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** SHA-256 of `message` (any length below 2^53 bits). Exported for its test against an independent oracle. */
export function sha256(message: Uint8Array): Uint8Array {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit big-endian integer.
  const padded = new Uint8Array(Math.ceil((message.length + 9) / 64) * 64);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = message.length * 8;
  view.setUint32(padded.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(padded.length - 4, bits >>> 0);
  const h = Uint32Array.from(SHA256_H0);
  const w = new Uint32Array(64);
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block + 4 * t);
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15] ?? 0, w2 = w[t - 2] ?? 0;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[t] = (w[t - 16] ?? 0) + s0 + (w[t - 7] ?? 0) + s1; // Uint32Array store reduces mod 2^32
    }
    let [a, b, c, d, e, f, g, hh] = [h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0, h[5] ?? 0, h[6] ?? 0, h[7] ?? 0];
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + (SHA256_K[t] ?? 0) + (w[t] ?? 0)) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      [hh, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    for (const [i, v] of [a, b, c, d, e, f, g, hh].entries()) h[i] = (h[i] ?? 0) + v;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(4 * i, h[i] ?? 0);
  return out;
}

/** The ChaCha20 nonce for a label: the first 12 bytes of SHA-256(UTF-8 label). */
export function labelNonce(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(label)).slice(0, CHACHA20_NONCE_BYTES);
}

// ---- keyed mask streams ----

/**
 * `length` uniform elements of Z_2^52 from ChaCha20(key, labelNonce(label)). Throws a RangeError if `key`
 * is not 32 bytes (a caller contract: the Result-returning functions below check first).
 */
export function keyedMaskStream(key: Uint8Array, label: string, length: number, offset = 0): Float64Array {
  // Element `offset` starts at keystream byte 7·offset, a block boundary when offset is a multiple of 64.
  if (offset % STREAM_ALIGN !== 0) throw new RangeError(`mask stream offset must be a multiple of ${STREAM_ALIGN}, got ${offset}`);
  const bytes = chacha20Keystream(key, labelNonce(label), length * BYTES_PER_ELEMENT, (offset * BYTES_PER_ELEMENT) / 64);
  const out = new Float64Array(length);
  for (let i = 0, o = 0; i < length; i++, o += BYTES_PER_ELEMENT) {
    const low = ((bytes[o] ?? 0) | ((bytes[o + 1] ?? 0) << 8) | ((bytes[o + 2] ?? 0) << 16) | ((bytes[o + 3] ?? 0) << 24)) >>> 0;
    const high = (bytes[o + 4] ?? 0) | ((bytes[o + 5] ?? 0) << 8) | (((bytes[o + 6] ?? 0) & TOP_BYTE_MASK) << 16); // < 2^20
    out[i] = high * 2 ** 32 + low; // < 2^52, exact in float64
  }
  return out;
}

const badKey = (what: string, key: Uint8Array): Result<never, MaskingError> =>
  err({ kind: 'bad-argument', message: `${what}: pair key must be ${PAIR_KEY_BYTES} bytes, got ${key.length}` });

/**
 * A `MaskSource` over a list of keys: masking.ts's API takes numeric seeds, so the "seed" passed through it
 * is an index into `keys`, a handle that never leaves this module.
 */
function keyedSource(keys: readonly Uint8Array[]): MaskSource {
  return (handle, label, length) => {
    const key = keys[handle];
    if (key === undefined) throw new RangeError(`no pair key for handle ${handle}`); // unreachable: handles are our own
    return keyedMaskStream(key, label, length);
  };
}

/** Arguments of `maskWithKeys`: `maskContribution`'s, with 32-byte pair keys instead of seeds. */
export interface KeyedMaskInit {
  readonly values: Float64Array;
  /** This client's index in the round's roster. */
  readonly self: number;
  /** Peer index → the 32-byte key this client shares with that peer (every other roster member). */
  readonly pairKeys: ReadonlyMap<number, Uint8Array>;
  /** Round/layer label, unique per masked vector within a run (see the module comment). */
  readonly label: string;
  readonly numClients: number;
  readonly fracBits?: number;
}

/** Encodes `values` and adds +m_ij for peers j > self and −m_ji for peers j < self (see masking.ts). */
export function maskWithKeys(init: KeyedMaskInit): Result<Float64Array, MaskingError> {
  const keys: Uint8Array[] = [];
  const pairSeeds = new Map<number, number>();
  for (const [peer, key] of init.pairKeys) {
    if (key.length !== PAIR_KEY_BYTES) return badKey(`peer ${peer}`, key);
    pairSeeds.set(peer, keys.length);
    keys.push(key);
  }
  const { values, self, label, numClients, fracBits } = init;
  return maskContribution({ values, self, pairSeeds, label, numClients, fracBits, masks: keyedSource(keys) });
}

/**
 * `maskWithKeys`, computed slice by slice with `pause()` awaited between slices: the same result to the bit,
 * but a multi-megabyte statistics vector no longer blocks the tab for seconds (which got healthy workers
 * dropped for missing heartbeats on loaded machines).
 */
export async function maskWithKeysInSlices(init: KeyedMaskInit & { readonly pause: () => Promise<void>; readonly sliceElements?: number }): Promise<Result<Float64Array, MaskingError>> {
  const slice = init.sliceElements ?? MASK_SLICE_ELEMENTS;
  if (slice <= 0 || slice % STREAM_ALIGN !== 0) return err({ kind: 'bad-argument', message: `slice must be a positive multiple of ${STREAM_ALIGN}, got ${slice}` });
  for (const [peer, key] of init.pairKeys) {
    if (key.length !== PAIR_KEY_BYTES) return badKey(`peer ${peer}`, key);
    if (peer === init.self) return err({ kind: 'bad-argument', message: `client ${peer} cannot share a key with itself` });
  }
  const encoded = encodeFixed(init.values, init.numClients, init.fracBits);
  if (!encoded.ok) return encoded;
  const out = encoded.value;
  for (const [peer, key] of init.pairKeys) {
    const op = init.self < peer ? addMod : subMod;
    for (let at = 0; at < out.length; at += slice) {
      const m = keyedMaskStream(key, init.label, Math.min(slice, out.length - at), at);
      for (let i = 0; i < m.length; i++) out[at + i] = op(out[at + i] ?? 0, m[i] ?? 0);
      await init.pause();
    }
  }
  return ok(out);
}

/** A survivor's disclosure of the pair key it shared with a dropped client. */
export interface RevealedKey {
  readonly survivor: number;
  readonly dropped: number;
  readonly key: Uint8Array;
}

/**
 * Removes from the survivors' ring sum the masks they shared with dropped clients (as `removeDroppedMasks`),
 * leaving the survivors' exact encoded sum. Revealed keys come from peers, so a key that is not 32 bytes or
 * a survivor equal to the dropped client is an error value.
 */
export function removeDroppedKeyedMasks(sum: Float64Array, revealed: readonly RevealedKey[], label: string): Result<Float64Array, MaskingError> {
  for (const { survivor, dropped, key } of revealed) {
    if (key.length !== PAIR_KEY_BYTES) return badKey(`survivor ${survivor}, dropped ${dropped}`, key);
    if (survivor === dropped) return err({ kind: 'bad-argument', message: `client ${survivor} cannot be both survivor and dropped` });
  }
  const seeds = revealed.map(({ survivor, dropped }, handle) => ({ survivor, dropped, seed: handle }));
  return ok(removeDroppedMasks(sum, seeds, label, keyedSource(revealed.map((r) => r.key))));
}
