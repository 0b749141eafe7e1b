import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { chacha20Block, chacha20Keystream, chacha20Xor } from './chacha20.ts';

/** Hex (spaces, colons and newlines allowed) to bytes. */
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[\s:]/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 8439 key used by §2.3.2 and §2.4.2: bytes 00 01 02 … 1f. */
const RFC_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);

/** Independent oracle: OpenSSL's ChaCha20 (16-byte IV = 32-bit little-endian counter ‖ 12-byte nonce). */
function opensslKeystream(key: Uint8Array, nonce: Uint8Array, length: number, counter: number): Uint8Array {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  Buffer.from(nonce).copy(iv, 4);
  return Uint8Array.from(createCipheriv('chacha20', key, iv).update(Buffer.alloc(length)));
}

const rng = createRng(8439);
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(256));

describe('ChaCha20 (RFC 8439)', () => {
  it('§2.3.2 block function test vector', () => {
    const nonce = hex('00:00:00:09:00:00:00:4a:00:00:00:00');
    const expected = hex(`
      10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4
      c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
      d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2
      b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e`);
    expect(toHex(chacha20Block(RFC_KEY, 1, nonce))).toBe(toHex(expected));
  });

  it('Appendix A.1 test vector #1: all-zero key, nonce and counter', () => {
    const expected = hex(`
      76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28 bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7
      da 41 59 7c 51 57 48 8d 77 24 e0 3f b8 d8 4a 37 6a 43 b8 f4 15 18 a1 1c c3 87 b6 69 b2 ee 65 86`);
    expect(toHex(chacha20Block(new Uint8Array(32), 0, new Uint8Array(12)))).toBe(toHex(expected));
  });

  it('§2.4.2 encryption test vector (114 bytes, counter 1: spans two blocks)', () => {
    const nonce = hex('00:00:00:00:00:00:00:4a:00:00:00:00');
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const expected = hex(`
      6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81 e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b
      f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57 16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8
      07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e 52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36
      5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42 87 4d`);
    expect(plaintext.length).toBe(114);
    const ciphertext = chacha20Xor(RFC_KEY, nonce, 1, plaintext);
    expect(toHex(ciphertext)).toBe(toHex(expected));
    expect(new TextDecoder().decode(chacha20Xor(RFC_KEY, nonce, 1, ciphertext))).toBe(new TextDecoder().decode(plaintext));
  });

  it('keystream is the blocks counter, counter + 1, … concatenated (counter continuity)', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const start = 7;
    const stream = chacha20Keystream(key, nonce, 5 * 64 - 3, start); // ends mid-block
    for (let b = 0; b < 5; b++) {
      const block = chacha20Block(key, start + b, nonce);
      expect(toHex(stream.subarray(b * 64, (b + 1) * 64))).toBe(toHex(block.subarray(0, Math.min(64, stream.length - b * 64))));
    }
    // A stream started later is the tail of a stream started earlier.
    const fromZero = chacha20Keystream(key, nonce, 640);
    expect(toHex(chacha20Keystream(key, nonce, 640 - 3 * 64, 3))).toBe(toHex(fromZero.subarray(3 * 64)));
  });

  it('matches OpenSSL on random keys, nonces, counters and lengths', () => {
    for (let trial = 0; trial < 20; trial++) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const length = rng.int(1000);
      const counter = rng.int(1000);
      expect(toHex(chacha20Keystream(key, nonce, length, counter))).toBe(toHex(opensslKeystream(key, nonce, length, counter)));
    }
    // The last counter value: words above 2^31 must be handled as unsigned.
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    expect(toHex(chacha20Block(key, 0xffffffff, nonce))).toBe(toHex(opensslKeystream(key, nonce, 64, 0xffffffff)));
  });

  it('refuses bad lengths and a counter that would wrap', () => {
    expect(() => chacha20Block(new Uint8Array(31), 0, new Uint8Array(12))).toThrow(RangeError);
    expect(() => chacha20Block(new Uint8Array(32), 0, new Uint8Array(8))).toThrow(RangeError);
    expect(() => chacha20Block(new Uint8Array(32), 2 ** 32, new Uint8Array(12))).toThrow(RangeError);
    expect(() => chacha20Keystream(new Uint8Array(32), new Uint8Array(12), 65, 0xffffffff)).toThrow(RangeError);
    expect(chacha20Keystream(new Uint8Array(32), new Uint8Array(12), 64, 0xffffffff).length).toBe(64);
    expect(chacha20Keystream(new Uint8Array(32), new Uint8Array(12), 0).length).toBe(0);
  });
});
