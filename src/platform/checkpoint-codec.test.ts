import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.ts';
import { testConfig } from '../testing/run-config.ts';
import type { Checkpoint, CheckpointTensor } from './checkpoint-codec.ts';
import { CHECKPOINT_VERSION, crc32, decodeCheckpoint, encodeCheckpoint, MAX_CHECKPOINT_BYTES, MAX_CHECKPOINT_TENSORS } from './checkpoint-codec.ts';

const rng = createRng(7);
const tensor = (name: string, shape: number[]): CheckpointTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float32Array.from({ length: n }, () => rng.normal() * 3) };
};

function sample(overrides: Partial<Checkpoint> = {}): Checkpoint {
  return {
    room: 'room-1', runId: 'run1', config: testConfig({ model: 'cnn', learningRate: 0.0123 }), epoch: 4, step: 1234, savedAt: 1_700_000_000_123,
    params: [tensor('dense1/kernel', [5, 3]), tensor('dense1/bias', [3]), tensor('scalar', [])],
    slots: [tensor('m0', [5, 3]), tensor('m1', [3]), tensor('empty', [0, 4])],
    ...overrides,
  };
}

const PREFIX = 16;
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const headerLength = (b: Uint8Array) => view(b).getUint32(8, true);
/** Recomputes the checksum, so a test reaches the check behind it. */
function reseal(b: Uint8Array): Uint8Array {
  view(b).setUint32(12, crc32(b.subarray(PREFIX)), true);
  return b;
}
/** Rewrites the JSON header (keeping the tensor data) and reseals. */
function withHeader(b: Uint8Array, edit: (h: Record<string, unknown>) => unknown): Uint8Array {
  const h = headerLength(b);
  const json = JSON.parse(new TextDecoder().decode(b.subarray(PREFIX, PREFIX + h))) as Record<string, unknown>;
  const text = JSON.stringify(edit(json) ?? json);
  const header = new TextEncoder().encode(text + ' '.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(PREFIX + header.length + b.length - PREFIX - h);
  out.set(b.subarray(0, PREFIX));
  out.set(header, PREFIX);
  out.set(b.subarray(PREFIX + h), PREFIX + header.length);
  view(out).setUint32(8, header.length, true);
  return reseal(out);
}
function expectErr(b: Uint8Array, pattern: RegExp): void {
  const r = decodeCheckpoint(b);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(pattern);
}

describe('checkpoint codec', () => {
  it('round-trips every field exactly', () => {
    const c = sample();
    const r = decodeCheckpoint(encodeCheckpoint(c));
    expect(r).toEqual({ ok: true, value: c });
  });

  it('round-trips a checkpoint without slots, and decodes from an unaligned view', () => {
    const c = sample({ slots: [] });
    const bytes = encodeCheckpoint(c);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeCheckpoint(shifted.subarray(3))).toEqual({ ok: true, value: c });
  });

  it('matches the standard CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('refuses to encode what it could not decode', () => {
    expect(() => encodeCheckpoint(sample({ room: 'a/b' }))).toThrow(RangeError);
    expect(() => encodeCheckpoint(sample({ epoch: 1001 }))).toThrow(/epoch/);
    expect(() => encodeCheckpoint(sample({ config: testConfig({ globalBatch: 0 }) }))).toThrow(/config.globalBatch/);
    expect(() => encodeCheckpoint(sample({ params: [{ name: 'w', shape: [1.5], data: new Float32Array(1) }] }))).toThrow(/integer dims/);
    expect(() => encodeCheckpoint(sample({ params: [{ name: 'w', shape: [2, 2], data: new Float32Array(3) }] }))).toThrow(/holds 4 values/);
    expect(() => encodeCheckpoint(sample({ slots: [{ name: 'v', shape: [1], data: Float32Array.of(Number.NaN) }] }))).toThrow(/non-finite/);
  });

  it('rejects truncation at any of several offsets', () => {
    const b = encodeCheckpoint(sample());
    const h = headerLength(b);
    for (const n of [0, 3, 4, 10, 15, 16, 17, PREFIX + h - 1, PREFIX + h, PREFIX + h + 5, b.length - 4, b.length - 1]) {
      expectErr(b.subarray(0, n), /corrupt checkpoint: .*(shorter|truncated|checksum)/);
    }
  });

  it('rejects a flipped magic, an unknown version or flags, and a damaged body', () => {
    const good = encodeCheckpoint(sample());
    const flipped = good.slice();
    flipped[0] = 0x58;
    expectErr(flipped, /does not start with 'SWCK'/);
    const newer = good.slice();
    view(newer).setUint16(4, CHECKPOINT_VERSION + 1, true);
    expectErr(newer, new RegExp(`version ${CHECKPOINT_VERSION + 1}, this build reads version ${CHECKPOINT_VERSION}`));
    const flags = good.slice();
    view(flags).setUint16(6, 1, true);
    expectErr(flags, /flags/);
    const damaged = good.slice();
    damaged[damaged.length - 2]! ^= 0x10;
    expectErr(damaged, /checksum mismatch/);
  });

  it('rejects non-finite values even with a valid checksum', () => {
    const b = encodeCheckpoint(sample());
    const dataStart = PREFIX + headerLength(b);
    const nan = b.slice();
    view(nan).setFloat32(dataStart + 4 * 2, Number.NaN, true);
    expectErr(reseal(nan), /params 'dense1\/kernel' holds a non-finite value/);
    const inf = b.slice();
    view(inf).setFloat32(inf.length - 4, Number.NEGATIVE_INFINITY, true);
    expectErr(reseal(inf), /slots 'm1' holds a non-finite value/);
  });

  it('rejects oversized input, counts and lengths', () => {
    expectErr(new Uint8Array(MAX_CHECKPOINT_BYTES + 1), /bytes > 268435456/);
    const b = encodeCheckpoint(sample());
    const hugeHeader = b.slice();
    view(hugeHeader).setUint32(8, 0xfffffffc, true);
    expectErr(hugeHeader, /header length/);
    const odd = b.slice();
    view(odd).setUint32(8, headerLength(b) - 1, true);
    expectErr(odd, /multiple of 4/);
    const many = Array.from({ length: MAX_CHECKPOINT_TENSORS + 1 }, () => ({ name: 'x', shape: [0], length: 0 }));
    expectErr(withHeader(b, (h) => { h.params = many; }), /params: expected an array of ≤ 64 tensors/);
    expectErr(withHeader(b, (h) => { h.slots = many.slice(0, MAX_CHECKPOINT_TENSORS - 2); }), /65 tensors > 64/);
    expectErr(withHeader(b, (h) => { h.params = [{ name: 'w', shape: [2 ** 20, 2 ** 20], length: 2 ** 26 }]; }), /disagrees/);
    expectErr(withHeader(b, (h) => { h.params = [{ name: 'w', shape: [2 ** 26 + 1], length: 2 ** 26 + 1 }]; }), /length: expected an integer/);
  });

  it('rejects shapes that disagree with lengths, and lengths that disagree with the data', () => {
    const b = encodeCheckpoint(sample());
    const meta = (h: Record<string, unknown>) => (h.params as { shape: number[]; length: number }[])[0]!;
    expectErr(withHeader(b, (h) => { meta(h).shape = [4, 3]; }), /params\[0\] 'dense1\/kernel': shape \[4, 3\] disagrees with its 15 values/);
    expectErr(withHeader(b, (h) => { meta(h).shape = [4, 4]; meta(h).length = 16; }), /tensor data is \d+ bytes, the header describes \d+/);
    expectErr(withHeader(b, (h) => { meta(h).shape = [-1, -15]; }), /shape: expected/);
    expectErr(withHeader(b, (h) => { meta(h).shape = [1, 1, 1, 1, 1, 1, 1, 1, 15]; }), /shape: expected ≤ 8/);
  });

  it('rejects bad UTF-8, bad JSON and bad fields in the header', () => {
    const b = encodeCheckpoint(sample());
    const badUtf8 = b.slice();
    badUtf8[PREFIX + 1] = 0xff;
    expectErr(reseal(badUtf8), /not UTF-8 JSON/);
    const badJson = b.slice();
    badJson[PREFIX] = 0x5b; // '[' where '{' was: no longer parses
    expectErr(reseal(badJson), /not UTF-8 JSON/);
    expectErr(withHeader(b, () => [1, 2]), /not a JSON object/);
    expectErr(withHeader(b, (h) => { h.room = '../x'; }), /room: expected an id/);
    expectErr(withHeader(b, (h) => { h.epoch = 1.5; }), /epoch/);
    expectErr(withHeader(b, (h) => { h.savedAt = -1; }), /savedAt/);
    expectErr(withHeader(b, (h) => { h.config = { ...(h.config as object), learningRate: -1 }; }), /config\.learningRate: expected a finite number/);
    expectErr(withHeader(b, (h) => { h.config = { ...(h.config as object), model: 'resnet' }; }), /config\.model/);
    expectErr(withHeader(b, (h) => { delete h.config; }), /config/);
    expectErr(withHeader(b, (h) => { (h.slots as { name: unknown }[])[0]!.name = 7; }), /slots\[0\]\.name/);
  });

  it('never throws on randomly damaged bytes, checksum resealed or not', () => {
    const good = encodeCheckpoint(sample());
    const r = createRng(11);
    for (let trial = 0; trial < 300; trial++) {
      const b = good.slice();
      for (let k = 0; k < 1 + r.int(4); k++) b[r.int(Math.min(b.length, PREFIX + headerLength(good) + 8))] = r.int(256);
      const cut = r.next() < 0.3 ? b.subarray(0, r.int(b.length)) : b;
      for (const bytes of [cut, cut.length >= PREFIX ? reseal(cut.slice()) : cut]) {
        const res = decodeCheckpoint(bytes);
        if (!res.ok) expect(res.error).toMatch(/^corrupt checkpoint: /);
      }
    }
  });
});
