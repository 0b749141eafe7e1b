/**
 * Pairwise masks keyed by 32-byte pair keys (from an ECDH key agreement, roles/pair-keys.ts) instead of the
 * 32-bit seeds of masking.ts, so that the masks are cryptographically secret: without the pair key, a mask
 * stream is indistinguishable from uniform ring elements (ChaCha20 is a PRF), and a masked vector alone
 * reveals nothing about the values. The masking arithmetic, fixed-point encoding, sign convention and
 * dropout recovery are masking.ts's own (`maskContribution`, `removeDroppedMasks`), reused through a
 * `MaskSource` adapter; this module only supplies the keyed stream and validates the keys.
 *
 * Stream: mask(key, label) = ChaCha20(key, nonce(label), counter from 0). The nonce is the first 12 bytes of
 * SHA-256(UTF-8 label), computed by the pure SHA-256 of core/crypto (WebCrypto's digest is async, and
 * this must stay synchronous and pure). Why a hash: labels such as "run-x/round-3/layer-1" are longer than 12
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
import { sha256 } from '../crypto/hmac-sha256.ts';
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
/** Elements masked between two pauses of `maskWithKeysInSlices` (64 Ki: a small fraction of one layer's statistics). */
export const MASK_SLICE_ELEMENTS = 64 * 1024;
/** Mask for the top byte of an element: keeps RING_BITS − 48 = 4 of its 8 bits. */
const TOP_BYTE_MASK = (1 << (RING_BITS - 48)) - 1;

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
 * but masking a multi-megabyte statistics vector (millions of values, one ChaCha20 stream per pair key)
 * never holds the tab's event loop in one piece.
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
