import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, HEADER_BYTES, MAX_DIM, MAX_RANK, MAX_SECTIONS, parseShape, ProtocolEncodeError } from './frame.ts';
import type { Frame } from './frame.ts';
import type { WireTensor } from './wire-tensor.ts';

const u8 = (shape: readonly number[], data: Uint8Array): WireTensor => ({ dtype: 'uint8', shape, data });
const f32 = (shape: readonly number[], data: Float32Array): WireTensor => ({ dtype: 'float32', shape, data });
const i32 = (shape: readonly number[], data: Int32Array): WireTensor => ({ dtype: 'int32', shape, data });

/** A frame with three sections: 5 uint8 (forces 3 bytes of padding), then int32, then a float32 scalar. */
const SECTIONS: readonly WireTensor[] = [
  u8([5], Uint8Array.of(0, 1, 127, 128, 255)),
  i32([2, 2], Int32Array.of(-2147483648, -1, 0, 2147483647)),
  f32([], Float32Array.of(Math.fround(Math.PI))),
];
const MESSAGE = { type: 'update', note: 'ü', refs: [0, 1, 2] };

function decoded(bytes: Uint8Array): Frame {
  const r = decodeFrame(bytes);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
  return r.value;
}

/** Re-encodes a valid frame's metadata with `edit` applied, keeping the section bytes. */
function withMetadata(bytes: Uint8Array, edit: (meta: { message: unknown; sections: Record<string, unknown>[] }) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const metaBytes = view.getUint32(8, true);
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + metaBytes))) as {
    message: unknown;
    sections: Record<string, unknown>[];
  };
  edit(meta);
  const text = new TextEncoder().encode(JSON.stringify(meta));
  const oldStart = Math.ceil((HEADER_BYTES + metaBytes) / 4) * 4;
  const newStart = Math.ceil((HEADER_BYTES + text.length) / 4) * 4;
  const out = new Uint8Array(newStart + bytes.length - oldStart);
  out.set(bytes.subarray(0, HEADER_BYTES));
  new DataView(out.buffer).setUint32(8, text.length, true);
  new DataView(out.buffer).setUint16(12, meta.sections.length, true);
  out.set(text, HEADER_BYTES);
  out.set(bytes.subarray(oldStart), newStart);
  return out;
}

describe('encodeFrame / decodeFrame', () => {
  it('round-trips sections of every dtype, a scalar and the message JSON', () => {
    const f = decoded(encodeFrame('update', JSON.stringify(MESSAGE), SECTIONS));
    expect(f.type).toBe('update');
    expect(f.message).toEqual(MESSAGE);
    expect(f.sections).toEqual(SECTIONS);
    expect(f.sections.map((t) => t.data.constructor)).toEqual([Uint8Array, Int32Array, Float32Array]);
  });

  it('round-trips a frame with no sections and with empty sections', () => {
    expect(decoded(encodeFrame('heartbeat', '{}', [])).sections).toEqual([]);
    const empties = [f32([0], new Float32Array(0)), u8([3, 0], new Uint8Array(0)), i32([0], new Int32Array(0))];
    expect(decoded(encodeFrame('start', '{}', empties)).sections).toEqual(empties);
  });

  it('places every section 4-aligned and returns views over the frame bytes', () => {
    const bytes = encodeFrame('update', JSON.stringify(MESSAGE), SECTIONS);
    expect(bytes.byteLength % 4).toBe(0);
    for (const t of decoded(bytes).sections) {
      expect(t.data.buffer).toBe(bytes.buffer);
      expect(t.data.byteOffset % 4).toBe(0);
    }
  });

  it('copies only when the frame itself starts unaligned', () => {
    const bytes = encodeFrame('update', JSON.stringify(MESSAGE), SECTIONS);
    const shifted = new Uint8Array(bytes.length + 2).subarray(2);
    shifted.set(bytes);
    const f = decoded(shifted);
    expect(f.sections).toEqual(SECTIONS);
    expect(f.sections[1]?.data.buffer).not.toBe(shifted.buffer); // int32 needed a copy
    expect(f.sections[0]?.data.buffer).toBe(shifted.buffer); // uint8 never does
  });

  it('encodes from typed arrays that are views into larger buffers', () => {
    const big = Float32Array.of(9, 1, 2, 9);
    const t = f32([2], big.subarray(1, 3));
    expect(decoded(encodeFrame('update', '{}', [t])).sections[0]?.data).toEqual(Float32Array.of(1, 2));
  });

  it('refuses to encode a section whose shape disagrees with its data, or too many sections', () => {
    expect(() => encodeFrame('update', '{}', [f32([3], Float32Array.of(1))])).toThrow(ProtocolEncodeError);
    expect(() => encodeFrame('update', '{}', [{ dtype: 'float32', shape: [1], data: Uint8Array.of(1) } as unknown as WireTensor])).toThrow(
      ProtocolEncodeError,
    );
    const many = Array.from({ length: MAX_SECTIONS + 1 }, () => u8([0], new Uint8Array(0)));
    expect(() => encodeFrame('update', '{}', many)).toThrow(ProtocolEncodeError);
  });
});

describe('decodeFrame bounds checks', () => {
  const valid = (): Uint8Array => encodeFrame('update', JSON.stringify(MESSAGE), SECTIONS);
  const codeOf = (bytes: Uint8Array): string => {
    const r = decodeFrame(bytes);
    return r.ok ? 'ok' : r.error.code;
  };
  const patched = (edit: (v: DataView, b: Uint8Array) => void): Uint8Array => {
    const b = valid();
    edit(new DataView(b.buffer), b);
    return b;
  };

  it.each([
    ['empty input', 'shorter than the header', 'malformed', () => new Uint8Array(0)],
    ['magic prefix only', 'shorter than the header', 'malformed', () => Uint8Array.of(0x53, 0x57)],
    ['wrong magic', 'SWRM', 'bad-magic', () => patched((_v, b) => (b[3] = 0x58))],
    ['truncated header', 'shorter than the header', 'malformed', () => valid().subarray(0, 10)],
    ['type code 0', 'type code 0', 'unknown-type', () => patched((v) => { v.setUint8(5, 0); })],
    ['flags set', 'flags', 'malformed', () => patched((v) => { v.setUint16(6, 1, true); })],
    ['reserved set', 'reserved', 'malformed', () => patched((v) => { v.setUint16(14, 1, true); })],
    ['metadata length past the end', 'metadata length', 'malformed', () => patched((v) => { v.setUint32(8, 0xffffffff, true); })],
    ['section count 65535', 'sections >', 'malformed', () => patched((v) => { v.setUint16(12, 0xffff, true); })],
    ['section count off by one', 'descriptors', 'malformed', () => patched((v) => { v.setUint16(12, 2, true); })],
    ['one byte missing', 'past the frame', 'malformed', () => valid().subarray(0, valid().length - 1)],
    ['one trailing byte', 'layout says', 'malformed', () => Uint8Array.of(...valid(), 0)],
    ['invalid UTF-8 metadata', 'UTF-8', 'malformed', () => patched((_v, b) => (b[HEADER_BYTES] = 0xff))],
    ['metadata not JSON', 'JSON', 'malformed', () => patched((_v, b) => (b[HEADER_BYTES] = 0x23) /* '#' */)],
  ] as const)('%s (%s) → %s', (_name, why, code, make) => {
    const r = decodeFrame(make());
    expect(r.ok ? 'ok' : r.error.code).toBe(code);
    expect(r.ok ? '' : r.error.detail).toContain(why);
  });

  it.each([
    ['unknown dtype', 'dtype', (m: { sections: Record<string, unknown>[] }) => (m.sections[0]!.dtype = 'complex64')],
    ['shape product ≠ byteLength', 'byteLength', (m: { sections: Record<string, unknown>[] }) => (m.sections[1]!.shape = [2, 3])],
    ['negative dim', 'shape', (m: { sections: Record<string, unknown>[] }) => (m.sections[1]!.shape = [-2, -2])],
    ['fractional dim', 'shape', (m: { sections: Record<string, unknown>[] }) => (m.sections[1]!.shape = [0.5, 8])],
    ['dim above 2^24', 'shape', (m: { sections: Record<string, unknown>[] }) => (m.sections[1]!.shape = [MAX_DIM + 1])],
    ['huge byteLength', 'byteLength', (m: { sections: Record<string, unknown>[] }) => (m.sections[2]!.byteLength = 2 ** 40)],
    ['overlapping offset', 'byteOffset', (m: { sections: Record<string, unknown>[] }) => (m.sections[1]!.byteOffset = 0)],
    ['unaligned offset', 'byteOffset', (m: { sections: Record<string, unknown>[] }) => (m.sections[1]!.byteOffset = 5)],
    ['descriptor not an object', 'not an object', (m: { sections: unknown[] }) => (m.sections[0] = 7)],
    ['no message key', '"message"', (m: { message?: unknown }) => delete m.message],
  ])('rejects metadata with %s as malformed (%s)', (_name, why, edit) => {
    const r = decodeFrame(withMetadata(valid(), edit));
    expect(r.ok ? 'ok' : r.error.code).toBe('malformed');
    expect(r.ok ? '' : r.error.detail).toContain(why);
  });

  it('accepts the withMetadata helper when nothing is edited (so the cases above test the edit)', () => {
    expect(codeOf(withMetadata(valid(), () => undefined))).toBe('ok');
  });

  it('rejects a section that claims more bytes than the frame holds', () => {
    const bytes = withMetadata(valid(), (m) => {
      m.sections[2]!.shape = [1000];
      m.sections[2]!.byteLength = 4000;
    });
    expect(codeOf(bytes)).toBe('malformed');
  });
});

describe('parseShape', () => {
  it('accepts scalars and integer dims in range, rejects everything else', () => {
    expect(parseShape([])).toEqual([]);
    expect(parseShape([0, MAX_DIM])).toEqual([0, MAX_DIM]);
    for (const bad of [null, 'x', [1.5], [-1], [Number.NaN], ['1'], Array(MAX_RANK + 1).fill(1), { length: 1 }]) {
      expect(parseShape(bad)).toBeNull();
    }
  });
});

describe('uint16 sections (half-precision payloads)', () => {
  it('round-trip bit-exactly, padded to the next 4-byte boundary', () => {
    const halves: WireTensor = { dtype: 'uint16', shape: [3], data: Uint16Array.of(0x3c00, 0x7fc0, 0xffff) };
    const after = f32([1], Float32Array.of(2.5));
    const f = decoded(encodeFrame('update', JSON.stringify(MESSAGE), [halves, after]));
    expect(f.sections[0]?.dtype).toBe('uint16');
    expect(Array.from(f.sections[0]?.data ?? [])).toEqual([0x3c00, 0x7fc0, 0xffff]);
    expect(Array.from(f.sections[1]?.data ?? [])).toEqual([2.5]);
  });
});
