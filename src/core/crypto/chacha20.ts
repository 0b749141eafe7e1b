/**
 * ChaCha20 block function and keystream, exactly as in RFC 8439 §2.3–2.4 (32-byte key, 12-byte nonce,
 * 32-bit block counter). Pure TypeScript, no WebCrypto: WebCrypto has no synchronous stream cipher and the
 * mask generator (core/analytic/keyed-masking.ts) must stay synchronous and pure.
 *
 * Why ChaCha20: it is a standard, well-studied PRF whose keystream is indistinguishable from random
 * without the key, and it needs only 32-bit add, xor and rotate (no multiplication, so no Math.imul):
 * JavaScript does these exactly as `(a + b) >>> 0`, `^` and `((x << n) | (x >>> (32 − n))) >>> 0`. Words are
 * read and written little-endian byte by byte, so the output does not depend on the platform's endianness.
 *
 * Lengths (key 32, nonce 12, counter a uint32, keystream within 2^32 blocks) are the caller's contract:
 * breaking it throws a RangeError. Code that handles peer data validates before calling (keyed-masking).
 *
 * @example
 * const ks = chacha20Keystream(key, nonce, 100);       // 100 bytes from counter 0
 * const ct = chacha20Xor(key, nonce, 1, plaintext);     // RFC 8439 §2.4 encryption (counter starts at 1)
 */

export const CHACHA20_KEY_BYTES = 32;
export const CHACHA20_NONCE_BYTES = 12;
export const CHACHA20_BLOCK_BYTES = 64;
/** Counters are 32-bit: a keystream from one (key, nonce) may span at most 2^32 blocks (256 GiB). */
const MAX_BLOCKS = 2 ** 32;

/** "expand 32-byte k" as four little-endian words (RFC 8439 §2.3). */
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574] as const;

function checkArgs(key: Uint8Array, nonce: Uint8Array, counter: number): void {
  if (key.length !== CHACHA20_KEY_BYTES) throw new RangeError(`ChaCha20 key must be ${CHACHA20_KEY_BYTES} bytes, got ${key.length}`);
  if (nonce.length !== CHACHA20_NONCE_BYTES) throw new RangeError(`ChaCha20 nonce must be ${CHACHA20_NONCE_BYTES} bytes, got ${nonce.length}`);
  if (!Number.isInteger(counter) || counter < 0 || counter >= MAX_BLOCKS) throw new RangeError(`ChaCha20 counter must be a uint32, got ${counter}`);
}

const readLe32 = (b: Uint8Array, at: number): number =>
  ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>> 0;

/** The 16-word initial state: constants, key, counter, nonce (RFC 8439 §2.3). */
function initialState(key: Uint8Array, counter: number, nonce: Uint8Array): Uint32Array {
  const s = new Uint32Array(16);
  s.set(SIGMA, 0);
  for (let i = 0; i < 8; i++) s[4 + i] = readLe32(key, 4 * i);
  s[12] = counter;
  for (let i = 0; i < 3; i++) s[13 + i] = readLe32(nonce, 4 * i);
  return s;
}

/** One quarter round on words a, b, c, d of `x` (RFC 8439 §2.1); Uint32Array stores wrap mod 2^32. */
function quarterRound(x: Uint32Array, a: number, b: number, c: number, d: number): void {
  let va = x[a] ?? 0, vb = x[b] ?? 0, vc = x[c] ?? 0, vd = x[d] ?? 0;
  va = (va + vb) >>> 0; vd ^= va; vd = ((vd << 16) | (vd >>> 16)) >>> 0;
  vc = (vc + vd) >>> 0; vb ^= vc; vb = ((vb << 12) | (vb >>> 20)) >>> 0;
  va = (va + vb) >>> 0; vd ^= va; vd = ((vd << 8) | (vd >>> 24)) >>> 0;
  vc = (vc + vd) >>> 0; vb ^= vc; vb = ((vb << 7) | (vb >>> 25)) >>> 0;
  x[a] = va; x[b] = vb; x[c] = vc; x[d] = vd;
}

/**
 * Writes the keystream block for `state` (counter already set) into `out` at `at`: 20 rounds (10 double
 * rounds of column then diagonal quarter rounds), add the input state, serialise little-endian.
 */
function blockInto(state: Uint32Array, work: Uint32Array, out: Uint8Array, at: number): void {
  work.set(state);
  for (let round = 0; round < 10; round++) {
    quarterRound(work, 0, 4, 8, 12); quarterRound(work, 1, 5, 9, 13);
    quarterRound(work, 2, 6, 10, 14); quarterRound(work, 3, 7, 11, 15);
    quarterRound(work, 0, 5, 10, 15); quarterRound(work, 1, 6, 11, 12);
    quarterRound(work, 2, 7, 8, 13); quarterRound(work, 3, 4, 9, 14);
  }
  for (let i = 0; i < 16; i++) {
    const w = ((work[i] ?? 0) + (state[i] ?? 0)) >>> 0;
    const o = at + 4 * i;
    out[o] = w & 0xff; out[o + 1] = (w >>> 8) & 0xff; out[o + 2] = (w >>> 16) & 0xff; out[o + 3] = w >>> 24;
  }
}

/** The 64-byte ChaCha20 block for (key, counter, nonce), RFC 8439 §2.3. */
export function chacha20Block(key: Uint8Array, counter: number, nonce: Uint8Array): Uint8Array {
  checkArgs(key, nonce, counter);
  const out = new Uint8Array(CHACHA20_BLOCK_BYTES);
  blockInto(initialState(key, counter, nonce), new Uint32Array(16), out, 0);
  return out;
}

/**
 * `length` bytes of keystream: blocks counter, counter + 1, … concatenated (the last one truncated).
 * Throws a RangeError if the stream would need a counter past 2^32 − 1 (the counter must not wrap).
 */
export function chacha20Keystream(key: Uint8Array, nonce: Uint8Array, length: number, counter = 0): Uint8Array {
  checkArgs(key, nonce, counter);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`keystream length must be a non-negative integer, got ${length}`);
  const blocks = Math.ceil(length / CHACHA20_BLOCK_BYTES);
  if (counter + blocks > MAX_BLOCKS) throw new RangeError(`keystream of ${length} bytes from counter ${counter} would wrap the 32-bit counter`);
  // Whole blocks are generated into a padded buffer, then the view is cut to `length`.
  const out = new Uint8Array(blocks * CHACHA20_BLOCK_BYTES);
  const state = initialState(key, counter, nonce);
  const work = new Uint32Array(16);
  for (let b = 0; b < blocks; b++) {
    state[12] = counter + b;
    blockInto(state, work, out, b * CHACHA20_BLOCK_BYTES);
  }
  return out.subarray(0, length);
}

/** RFC 8439 §2.4 encryption (and decryption): `data` xor the keystream starting at block `counter`. */
export function chacha20Xor(key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array): Uint8Array {
  const ks = chacha20Keystream(key, nonce, data.length, counter);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] ?? 0) ^ (ks[i] ?? 0);
  return out;
}
