import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { sha256 } from '../crypto/hmac-sha256.ts';
import { keyedMaskStream, labelNonce, maskWithKeys, maskWithKeysInSlices, removeDroppedKeyedMasks } from './keyed-masking.ts';
import type { RevealedKey } from './keyed-masking.ts';
import { decodeFixed, DEFAULT_FRAC_BITS, encodeFixed, ringSum } from './masking.ts';

const LABEL = 'run-x/layer-1';
const LENGTH = 300;
const RING = 2 ** 52;
const rng = createRng(2017);
const randomKey = (): Uint8Array => Uint8Array.from({ length: 32 }, () => rng.int(256));

/** Symmetric pair keys: keys[i][j] === keys[j][i]. */
function pairKeys(k: number): Uint8Array[][] {
  const keys = Array.from({ length: k }, () => Array<Uint8Array>(k).fill(new Uint8Array(0)));
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) keys[i]![j] = keys[j]![i] = randomKey();
  return keys;
}
const peersOf = (keys: Uint8Array[][], i: number, roster: readonly number[]): Map<number, Uint8Array> =>
  new Map(roster.filter((j) => j !== i).map((j) => [j, keys[i]![j]!]));
const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
/** Oracle for the decoded sum: the float sum of each value rounded to a multiple of 2^−f. */
const roundedSum = (vectors: readonly Float64Array[], e: number): number =>
  vectors.reduce((s, v) => s + Math.round(v[e]! * 2 ** DEFAULT_FRAC_BITS) / 2 ** DEFAULT_FRAC_BITS, 0);

function setup(k: number): { values: Float64Array[]; keys: Uint8Array[][]; masked: Float64Array[] } {
  const values = Array.from({ length: k }, () => Float64Array.from({ length: LENGTH }, () => rng.normal() * 1e3));
  const keys = pairKeys(k);
  const roster = values.map((_, i) => i);
  const masked = roster.map((i) =>
    unwrap(maskWithKeys({ values: values[i]!, self: i, pairKeys: peersOf(keys, i, roster), label: LABEL, numClients: k })),
  );
  return { values, keys, masked };
}

describe('SHA-256 and label nonces', () => {
  it('match node:crypto on short, block-boundary and multi-block messages', () => {
    for (const length of [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 200]) {
      const message = Uint8Array.from({ length }, () => rng.int(256));
      expect(Buffer.from(sha256(message)).toString('hex')).toBe(createHash('sha256').update(message).digest('hex'));
    }
    expect(Buffer.from(sha256(new TextEncoder().encode('abc'))).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', // FIPS 180-2 Appendix B.1
    );
    expect(Buffer.from(labelNonce(LABEL)).toString('hex')).toBe(createHash('sha256').update(LABEL).digest().subarray(0, 12).toString('hex'));
  });
});

describe('keyed mask stream', () => {
  it('is ChaCha20(key, nonce) read as 7-byte little-endian words with the top 4 bits cleared (OpenSSL oracle)', () => {
    const key = randomKey();
    const n = 50;
    const iv = Buffer.concat([Buffer.alloc(4), createHash('sha256').update(LABEL).digest().subarray(0, 12)]); // counter 0
    // One spare byte so that the 8-byte read of the last element stays inside the buffer (its bits are discarded).
    const ks = createCipheriv('chacha20', key, iv).update(Buffer.alloc(7 * n + 1));
    const expected = Array.from({ length: n }, (_, i) => Number(ks.readBigUInt64LE(7 * i) & ((1n << 52n) - 1n)));
    expect(Array.from(keyedMaskStream(key, LABEL, n))).toEqual(expected);
  });

  it('looks uniform on [0, 2^52): mean, bit balance and the top and bottom nibbles', () => {
    const n = 20_000;
    const m = keyedMaskStream(randomKey(), LABEL, n);
    expect(m.every((x) => Number.isInteger(x) && x >= 0 && x < RING)).toBe(true);
    const mean = m.reduce((s, x) => s + x / RING, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / n)); // 6 standard errors
    // Chi-square over 16 bins (15 dof) for bits 48..51 and bits 0..3: critical value 50 ↔ p ≈ 1e−5.
    for (const nibble of [(x: number) => Math.floor(x / 2 ** 48), (x: number) => x % 16]) {
      const counts = new Array<number>(16).fill(0);
      for (const x of m) counts[nibble(x)]!++;
      const chi2 = counts.reduce((s, c) => s + (c - n / 16) ** 2 / (n / 16), 0);
      expect(chi2).toBeLessThan(50);
    }
    for (const bit of [0, 31, 32, 51]) {
      const ones = m.reduce((s, x) => s + (Math.floor(x / 2 ** bit) % 2), 0);
      expect(Math.abs(ones / n - 0.5)).toBeLessThan(6 * Math.sqrt(0.25 / n));
    }
  });

  it('different labels and different keys give different masks', () => {
    const key = randomKey();
    const a = keyedMaskStream(key, 'run-x/layer-1', 64);
    expect(Array.from(keyedMaskStream(key, 'run-x/layer-1', 64))).toEqual(Array.from(a)); // deterministic
    for (const other of [keyedMaskStream(key, 'run-x/layer-2', 64), keyedMaskStream(randomKey(), 'run-x/layer-1', 64)]) {
      expect(other.filter((x, i) => x === a[i]).length).toBe(0);
    }
  });
});

describe('maskWithKeys', () => {
  for (const k of [2, 3, 5]) {
    it(`masks cancel exactly over ${k} clients: decoded sum equals the sum of rounded values bit for bit`, () => {
      const { values, masked } = setup(k);
      const decoded = decodeFixed(unwrap(ringSum(masked)));
      const expected = Float64Array.from({ length: LENGTH }, (_, e) => roundedSum(values, e));
      expect(Array.from(decoded)).toEqual(Array.from(expected));
      // And the masks did something: the ring sum of masked vectors equals the sum of plain encodings.
      expect(Array.from(unwrap(ringSum(masked)))).toEqual(Array.from(unwrap(ringSum(values.map((v) => unwrap(encodeFixed(v, k)))))));
    });
  }

  it('a masked vector alone differs from its encoding everywhere and looks uniform', () => {
    const { values, masked } = setup(3);
    const encoded = unwrap(encodeFixed(values[0]!, 3));
    expect(masked[0]!.filter((x, e) => x === encoded[e]).length).toBe(0);
    const mean = masked[0]!.reduce((s, x) => s + x / RING, 0) / LENGTH;
    expect(Math.abs(mean - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / LENGTH));
    // The plain encodings of values ~1e3 sit within 2^35 of 0 or of 2^52; masked entries almost never do.
    const nearZero = masked[0]!.filter((x) => Math.min(x, RING - x) < 2 ** 40).length;
    expect(nearZero).toBeLessThan(3);
  });

  it('recovers the survivors’ exact sum when one client drops out', () => {
    const k = 5;
    const { values, keys, masked } = setup(k);
    for (const dropped of [0, 2, 4]) {
      const survivors = [0, 1, 2, 3, 4].filter((i) => i !== dropped);
      const partial = unwrap(ringSum(survivors.map((i) => masked[i]!)));
      const expected = Float64Array.from({ length: LENGTH }, (_, e) => roundedSum(survivors.map((i) => values[i]!), e));
      expect(Array.from(decodeFixed(partial))).not.toEqual(Array.from(expected)); // unmatched masks remain
      const revealed: RevealedKey[] = survivors.map((s) => ({ survivor: s, dropped, key: keys[s]![dropped]! }));
      const recovered = unwrap(removeDroppedKeyedMasks(partial, revealed, LABEL));
      expect(Array.from(decodeFixed(recovered))).toEqual(Array.from(expected));
    }
  });

  it('a key of the wrong length is an error value, not a throw', () => {
    const values = Float64Array.from([1, 2, 3]);
    for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) {
      const r = maskWithKeys({ values, self: 0, pairKeys: new Map([[1, randomKey()], [2, bad]]), label: LABEL, numClients: 3 });
      expect(!r.ok && r.error.kind).toBe('bad-argument');
      const removed = removeDroppedKeyedMasks(new Float64Array(3), [{ survivor: 0, dropped: 1, key: bad }], LABEL);
      expect(!removed.ok && removed.error.kind).toBe('bad-argument');
    }
    const self = maskWithKeys({ values, self: 0, pairKeys: new Map([[0, randomKey()]]), label: LABEL, numClients: 2 });
    expect(!self.ok && self.error.kind).toBe('bad-argument');
    expect(removeDroppedKeyedMasks(new Float64Array(3), [{ survivor: 1, dropped: 1, key: randomKey() }], LABEL).ok).toBe(false);
  });
});

describe('maskWithKeysInSlices', () => {
  it('equals maskWithKeys to the bit, for slices that do not divide the length, and pauses between slices', async () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100);
    const pairKeys = new Map<number, Uint8Array>([[0, new Uint8Array(32).fill(5)], [2, new Uint8Array(32).fill(9)], [3, new Uint8Array(32).fill(11)]]);
    const whole = maskWithKeys({ values, self: 1, pairKeys, label: 'round 7', numClients: 4 });
    let pauses = 0;
    const sliced = await maskWithKeysInSlices({ values, self: 1, pairKeys, label: 'round 7', numClients: 4, sliceElements: 128, pause: () => { pauses++; return Promise.resolve(); } });
    expect(whole.ok && sliced.ok).toBe(true);
    if (whole.ok && sliced.ok) expect(Array.from(sliced.value)).toEqual(Array.from(whole.value));
    expect(pauses).toBe(3 * Math.ceil(1000 / 128));
  });

  it('refuses a bad slice size, a short key and a key with itself', async () => {
    const values = new Float64Array(10);
    const pause = (): Promise<void> => Promise.resolve();
    expect((await maskWithKeysInSlices({ values, self: 0, pairKeys: new Map([[1, new Uint8Array(32)]]), label: 'l', numClients: 2, sliceElements: 100, pause })).ok).toBe(false);
    expect((await maskWithKeysInSlices({ values, self: 0, pairKeys: new Map([[1, new Uint8Array(8)]]), label: 'l', numClients: 2, pause })).ok).toBe(false);
    expect((await maskWithKeysInSlices({ values, self: 0, pairKeys: new Map([[0, new Uint8Array(32)]]), label: 'l', numClients: 2, pause })).ok).toBe(false);
  });
});
