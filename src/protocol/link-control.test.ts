import { describe, expect, it } from 'vitest';
import { encodeChunk } from './chunk.ts';
import { LINK_TOKEN_BYTES, decodeControl, encodeControl, idAtOrAfter, isControlFrame, sameToken } from './link-control.ts';

const token = (fill: number): Uint8Array => new Uint8Array(LINK_TOKEN_BYTES).fill(fill);

describe('link control frames', () => {
  it('round-trips each kind', () => {
    for (const c of [
      { kind: 'token', token: token(1) },
      { kind: 'resume', token: token(2), nextExpected: 0 },
      { kind: 'resumed', token: token(3), nextExpected: 0xffffffff },
    ] as const) {
      const frame = encodeControl(c);
      expect(isControlFrame(frame)).toBe(true);
      const back = decodeControl(frame);
      expect(back.ok && back.value).toEqual(c);
    }
  });

  it('tells control frames from data chunks', () => {
    expect(isControlFrame(encodeChunk(new Uint8Array(5), 0, 0, 64))).toBe(false);
    expect(isControlFrame(new Uint8Array(2))).toBe(false);
  });

  it('refuses wrong lengths and unknown kinds with a reason', () => {
    const t = encodeControl({ kind: 'token', token: token(1) });
    const r = encodeControl({ kind: 'resume', token: token(1), nextExpected: 4 });
    expect(decodeControl(t.slice(0, t.length - 1))).toEqual({ ok: false, error: 'token frame of 23 bytes' });
    expect(decodeControl(new Uint8Array([...r, 0]))).toEqual({ ok: false, error: 'resume frame of 29 bytes' });
    const odd = r.slice();
    new DataView(odd.buffer).setUint32(4, 9, true);
    expect(decodeControl(odd)).toEqual({ ok: false, error: 'unknown control kind 9' });
    expect(decodeControl(t.slice(0, 6))).toEqual({ ok: false, error: 'control frame of 6 bytes' });
    expect(() => encodeControl({ kind: 'token', token: new Uint8Array(3) })).toThrow(RangeError);
  });

  it('orders message ids across the u32 wrap', () => {
    expect(idAtOrAfter(5, 5)).toBe(true);
    expect(idAtOrAfter(6, 5)).toBe(true);
    expect(idAtOrAfter(4, 5)).toBe(false);
    expect(idAtOrAfter(2, 0xfffffffe)).toBe(true);
    expect(idAtOrAfter(0xfffffffe, 2)).toBe(false);
  });

  it('compares tokens', () => {
    expect(sameToken(token(1), token(1))).toBe(true);
    expect(sameToken(token(1), token(2))).toBe(false);
    expect(sameToken(token(1), new Uint8Array(3))).toBe(false);
  });
});
