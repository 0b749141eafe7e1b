import { createECDH, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { maskWithKeys } from '../core/analytic/keyed-masking.ts';
import { decodeFixed, DEFAULT_FRAC_BITS, ringSum } from '../core/analytic/masking.ts';
import { createRng } from '../core/rng.ts';
import { createMaskKeyPair, derivePairKey, isPublicKeyShape, PAIR_KEY_INFO } from './pair-keys.ts';
import type { MaskKeyPair } from './pair-keys.ts';

const RUN = 'run-7f3a';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function pairKey(own: MaskKeyPair, peer: Uint8Array, context = RUN): Promise<Uint8Array> {
  const r = await derivePairKey(own, peer, context);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('pair keys (ECDH P-256 + HKDF-SHA256)', () => {
  it('makes 65-byte uncompressed public keys and non-extractable private keys', async () => {
    const a = await createMaskKeyPair();
    expect(a.publicKeyRaw.length).toBe(65);
    expect(a.publicKeyRaw[0]).toBe(0x04);
    expect(isPublicKeyShape(a.publicKeyRaw)).toBe(true);
    expect(a.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', a.privateKey)).rejects.toThrow();
  });

  it('is symmetric: A with B’s public key gives B with A’s, 32 bytes', async () => {
    const [a, b] = await Promise.all([createMaskKeyPair(), createMaskKeyPair()]);
    const ab = await pairKey(a, b.publicKeyRaw);
    const ba = await pairKey(b, a.publicKeyRaw);
    expect(ab.length).toBe(32);
    expect(hex(ab)).toBe(hex(ba));
    // A third party's key with either gives something else.
    const c = await createMaskKeyPair();
    expect(hex(await pairKey(c, a.publicKeyRaw))).not.toBe(hex(ab));
  });

  it('matches an independent oracle: OpenSSL ECDH + HKDF (node:crypto) on the same inputs', async () => {
    const a = await createMaskKeyPair();
    const peer = createECDH('prime256v1');
    const peerRaw = Uint8Array.from(peer.generateKeys()); // uncompressed by default
    const secret = peer.computeSecret(a.publicKeyRaw);
    const expected = new Uint8Array(hkdfSync('sha256', secret, Buffer.from(RUN, 'utf8'), Buffer.from(PAIR_KEY_INFO, 'utf8'), 32));
    expect(hex(await pairKey(a, peerRaw))).toBe(hex(expected));
  });

  it('different contexts give unrelated keys', async () => {
    const [a, b] = await Promise.all([createMaskKeyPair(), createMaskKeyPair()]);
    const k1 = await pairKey(a, b.publicKeyRaw, 'run-1');
    const k2 = await pairKey(a, b.publicKeyRaw, 'run-2');
    expect(k1.filter((x, i) => x === k2[i]).length).toBeLessThan(8); // ~32/256 bytes agree by chance
  });

  it('bad peer public keys are error values, never a throw or rejection', async () => {
    const a = await createMaskKeyPair();
    const offCurve = Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 0x04 : i)); // (1..32, 33..64) is not on P-256
    const compressedPrefix = Uint8Array.from(a.publicKeyRaw);
    compressedPrefix[0] = 0x02;
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /65 bytes/],
      [a.publicKeyRaw.subarray(0, 33), /65 bytes/],
      [new Uint8Array(66), /65 bytes/],
      [compressedPrefix, /0x04/],
      [offCurve, /not a point/],
      [Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 0)), /not a point/], // the point at infinity is not valid here
      [a.publicKeyRaw, /our own/],
    ];
    for (const [bytes, message] of cases) {
      const r = await derivePairKey(a, bytes, RUN);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(message);
    }
    expect(isPublicKeyShape(offCurve)).toBe(true); // shape only: the curve check happens on import
    expect(isPublicKeyShape(compressedPrefix)).toBe(false);
    expect(isPublicKeyShape([4, ...new Array<number>(64).fill(0)])).toBe(false);
  });

  it('end to end: three tabs derive pair keys, mask, and the coordinator decodes the exact sum', async () => {
    const tabs = await Promise.all([0, 1, 2].map(() => createMaskKeyPair()));
    const publicKeys = tabs.map((t) => t.publicKeyRaw); // what the coordinator relays
    const rng = createRng(5);
    const values = tabs.map(() => Float64Array.from({ length: 64 }, () => rng.normal() * 100));
    const masked: Float64Array[] = [];
    for (const [i, tab] of tabs.entries()) {
      const pairKeys = new Map<number, Uint8Array>();
      for (const [j, pub] of publicKeys.entries()) if (j !== i) pairKeys.set(j, await pairKey(tab, pub));
      const r = maskWithKeys({ values: values[i]!, self: i, pairKeys, label: `${RUN}/layer-0`, numClients: 3 });
      if (!r.ok) throw new Error(r.error.message);
      masked.push(r.value);
    }
    const sum = ringSum(masked);
    if (!sum.ok) throw new Error(sum.error.message);
    const round = (v: number): number => Math.round(v * 2 ** DEFAULT_FRAC_BITS) / 2 ** DEFAULT_FRAC_BITS;
    const expected = values[0]!.map((_, e) => values.reduce((s, v) => s + round(v[e]!), 0));
    expect(Array.from(decodeFixed(sum.value))).toEqual(Array.from(expected));
    // No single masked vector decodes to its tab's values.
    for (const [i, m] of masked.entries()) {
      const decoded = decodeFixed(m);
      expect(decoded.filter((x, e) => Math.abs(x - values[i]![e]!) < 1e3).length).toBeLessThan(3);
    }
  });
});
