/**
 * Pairwise additive masking (Bonawitz et al. 2017, single-mask variant) so the coordinator learns only the
 * sum of the clients' statistics.
 *
 * Arithmetic is in the ring Z_2^52, held exactly in float64: every element is an integer in [0, 2^52), a
 * sum of two is below 2^53 (exact in float64) and is reduced by one subtraction. Values are encoded as
 * fixed point, q = round(v·2^f) mod 2^52, so masks cancel EXACTLY (integer arithmetic, any order) and the
 * only error is the rounding of each value to a multiple of 2^−f. To decode the sum unambiguously its
 * magnitude must stay below 2^(51−f); `encodeFixed` enforces |v| < 2^(51−f)/numClients for every entry.
 *
 * Masks: clients i < j share a seed s_ij; the mask m_ij is a stream of uniform ring elements from
 * createRng(s_ij).fork(label) (label = round/layer, so a mask is never reused on another vector). Client i
 * adds +m_ij for every j > i and −m_ji for every j < i; in the sum over all clients each mask appears once
 * with each sign. Dropout: if client d never sends, every survivor i reveals s_id and the coordinator
 * removes the unmatched masks (`removeDroppedMasks`), leaving the survivors' exact sum.
 *
 * Not cryptographic as it stands: mulberry32 with 32-bit seeds can be brute-forced by a determined
 * coordinator. The generator is injectable (`MaskSource`): an integration wanting real secrecy passes
 * a CSPRNG keyed by a pairwise key agreement (e.g. WebCrypto ECDH + AES-CTR); seeds must travel
 * client-to-client, never through the coordinator. Single masking also reveals a late client's value if
 * its masks were already removed as "dropped" (the double-mask protocol fixes that; not done here).
 *
 * @example
 * const masked = maskContribution({ values, self: 0, pairSeeds: new Map([[1, s01]]), label: 'layer-0', numClients: 2 });
 * const sum = ringSum([masked0, masked1]); // ok(ring vector); decodeFixed(sum.value) ≈ values0 + values1
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import { createRng } from '../rng.ts';

/** Bits of the ring Z_2^k: 52 keeps every sum of two elements below 2^53, exact in float64. */
export const RING_BITS = 52;
const RING = 2 ** RING_BITS;
const HALF_RING = 2 ** (RING_BITS - 1);
/**
 * Default fractional bits f: values are rounded to multiples of 2^−24 ≈ 6e−8 and sums up to 2^27 ≈ 1.3e8
 * in magnitude decode correctly; a Gram matrix of 10⁴ MNIST rows (entries ≤ 10⁴) fits with room to spare.
 */
export const DEFAULT_FRAC_BITS = 24;

/** A mask stream: `length` uniform ring elements determined by (seed, label). */
export type MaskSource = (seed: number, label: string, length: number) => Float64Array;

/** Why masking was refused. */
export interface MaskingError {
  readonly kind: 'out-of-range' | 'non-finite' | 'bad-argument';
  readonly message: string;
}

const fail = (kind: MaskingError['kind'], message: string): Result<never, MaskingError> => err({ kind, message });

/** The default `MaskSource`: two 32-bit draws per element (20 high bits and 32 low bits). */
export const seededMasks: MaskSource = (seed, label, length) => {
  const rng = createRng(seed).fork(`mask/${label}`);
  const out = new Float64Array(length);
  const HIGH = 2 ** (RING_BITS - 32); // 2^20 values for the high part
  const LOW = 2 ** 32;
  for (let i = 0; i < length; i++) out[i] = rng.int(HIGH) * LOW + rng.int(LOW);
  return out;
};

export const addMod = (a: number, b: number): number => {
  const s = a + b;
  return s >= RING ? s - RING : s;
};
export const subMod = (a: number, b: number): number => {
  const s = a - b;
  return s < 0 ? s + RING : s;
};

/** Fixed-point encoding into the ring; each |value| must be below 2^(51−f)/numClients (module comment). */
export function encodeFixed(values: Float64Array, numClients: number, fracBits = DEFAULT_FRAC_BITS): Result<Float64Array, MaskingError> {
  if (!Number.isInteger(fracBits) || fracBits < 0 || fracBits > RING_BITS - 2) return fail('bad-argument', `fracBits must be an integer in [0, ${RING_BITS - 2}]`);
  if (!Number.isInteger(numClients) || numClients < 1) return fail('bad-argument', `numClients must be a positive integer, got ${numClients}`);
  const scale = 2 ** fracBits;
  const limit = Math.floor(HALF_RING / numClients);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? NaN;
    if (!Number.isFinite(v)) return fail('non-finite', `value ${i} is not finite`);
    const q = Math.round(v * scale);
    if (Math.abs(q) >= limit) return fail('out-of-range', `value ${i} = ${v} exceeds ${limit / scale} (f = ${fracBits}, ${numClients} clients)`);
    out[i] = q >= 0 ? q : q + RING;
  }
  return ok(out);
}

/** Decodes a ring sum back to float64 (elements ≥ 2^51 are negative). */
export function decodeFixed(ring: Float64Array, fracBits = DEFAULT_FRAC_BITS): Float64Array {
  const inv = 2 ** -fracBits;
  return ring.map((s) => (s >= HALF_RING ? s - RING : s) * inv);
}

/** True when `v` is a ring element: an integer in [0, 2^52). */
const isRingElement = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < RING;

/**
 * Element-wise sum of ring vectors (exact, order-independent). Vectors come from peers, so a wrong length
 * or an entry that is not a ring element is an error value naming the vector.
 */
export function ringSum(vectors: readonly Float64Array[]): Result<Float64Array, MaskingError> {
  const out = new Float64Array(vectors[0]?.length ?? 0);
  for (const [k, v] of vectors.entries()) {
    if (v.length !== out.length) return fail('bad-argument', `vector ${k} has ${v.length} entries, expected ${out.length}`);
    for (let i = 0; i < out.length; i++) {
      const x = v[i] ?? NaN;
      if (!isRingElement(x)) return fail('out-of-range', `vector ${k} entry ${i} = ${x} is not an integer in [0, 2^${RING_BITS})`);
      out[i] = addMod(out[i] ?? 0, x);
    }
  }
  return ok(out);
}

/** Arguments of `maskContribution`. */
export interface MaskInit {
  readonly values: Float64Array;
  /** This client's index in the round's roster. */
  readonly self: number;
  /** Peer index → the seed this client shares with that peer (every other roster member). */
  readonly pairSeeds: ReadonlyMap<number, number>;
  /** Round/layer label: masks are never reused across labels. */
  readonly label: string;
  readonly numClients: number;
  readonly fracBits?: number;
  readonly masks?: MaskSource;
}

/** Encodes `values` and adds +m_ij for peers j > self and −m_ji for peers j < self. */
export function maskContribution(init: MaskInit): Result<Float64Array, MaskingError> {
  const encoded = encodeFixed(init.values, init.numClients, init.fracBits);
  if (!encoded.ok) return encoded;
  const out = encoded.value;
  const source = init.masks ?? seededMasks;
  for (const [peer, seed] of init.pairSeeds) {
    if (peer === init.self) return fail('bad-argument', `client ${peer} cannot share a seed with itself`);
    const m = source(seed, init.label, out.length);
    const op = init.self < peer ? addMod : subMod;
    for (let i = 0; i < out.length; i++) out[i] = op(out[i] ?? 0, m[i] ?? 0);
  }
  return ok(out);
}

/** A survivor's disclosure of the seed it shared with a dropped client. */
export interface RevealedSeed {
  readonly survivor: number;
  readonly dropped: number;
  readonly seed: number;
}

/**
 * Removes from the survivors' ring sum the masks they shared with dropped clients: survivor i added
 * +m_id (i < d) or −m_di (i > d), so the coordinator subtracts or adds it back. Needs one revelation per
 * (survivor, dropped) pair; the result is the survivors' exact encoded sum.
 */
export function removeDroppedMasks(sum: Float64Array, revealed: readonly RevealedSeed[], label: string, masks: MaskSource = seededMasks): Float64Array {
  const out = Float64Array.from(sum);
  for (const { survivor, dropped, seed } of revealed) {
    const m = masks(seed, label, out.length);
    const op = survivor < dropped ? subMod : addMod; // undo what the survivor did
    for (let i = 0; i < out.length; i++) out[i] = op(out[i] ?? 0, m[i] ?? 0);
  }
  return out;
}
