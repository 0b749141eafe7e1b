import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { decodeBf16, decodeFp16, encodeBf16, encodeFp16, f32BitsToBf16, f32BitsToFp16 } from './half-precision.ts';

/** float32 value with the given bit pattern. */
const fromBits = (u: number): number => new Float32Array(new Uint32Array([u >>> 0]).buffer)[0]!;
/** Bit pattern of a value rounded to float32. */
const bitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
const bf16 = (x: number): number => encodeBf16(new Float32Array([x]))[0]!;
const fp16 = (x: number): number => encodeFp16(new Float32Array([x]))[0]!;
const isNaN16 = (h: number, expMask: number, mantMask: number): boolean => (h & expMask) === expMask && (h & mantMask) !== 0;

/** Random values: normals times 10^k for k in [-30, 30], so magnitudes span 60 decades. */
function wideSample(n: number, seed: number, maxDecade: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal() * 10 ** (rng.next() * 2 * maxDecade - maxDecade);
  return x;
}

/**
 * Independent fp16 oracle by arithmetic in float64: nearest multiple of the binade's ulp, ties to even.
 * Normal binades have ulp 2^(e-10); below 2^-14 the ulp is fixed at 2^-24 (subnormals).
 */
function fp16Reference(x: number): number {
  const a = Math.abs(x);
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  const fl = Math.floor(q);
  const r = q - fl > 0.5 || (q - fl === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
  const v = r * ulp;
  return Math.sign(x) * (v > 65504 ? Infinity : v);
}

describe('bf16', () => {
  it('round-trips random normals over a wide magnitude range with relative error ≤ 2^-8', () => {
    const x = wideSample(20_000, 7, 30);
    const y = decodeBf16(encodeBf16(x));
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i]! - x[i]!) / Math.abs(x[i]!));
    expect(worst).toBeLessThanOrEqual(2 ** -8);
    // Not a no-op: bf16 really loses precision on random data.
    expect(worst).toBeGreaterThan(2 ** -10);
  });

  it('encodes known values', () => {
    expect(bf16(1)).toBe(0x3f80);
    expect(bf16(-2)).toBe(0xc000);
    expect(bf16(Math.PI)).toBe(0x4049);
    expect(decodeBf16(new Uint16Array([0x4049]))[0]).toBe(3.140625);
  });

  it('rounds exact ties to even and everything else to nearest', () => {
    expect(f32BitsToBf16(0x3f808000)).toBe(0x3f80); // halfway, 0x3f80 is even: down
    expect(f32BitsToBf16(0x3f818000)).toBe(0x3f82); // halfway, 0x3f81 is odd: up
    expect(f32BitsToBf16(0x3f808001)).toBe(0x3f81); // just above halfway: up
    expect(f32BitsToBf16(0x3f807fff)).toBe(0x3f80); // just below halfway: down
    expect(f32BitsToBf16(0xbf818000)).toBe(0xbf82); // negative ties mirror positive ones
  });

  it('rounds every midpoint between consecutive bf16 values to the even one', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x7f80; h++) {
      const mid = ((h << 16) | 0x8000) >>> 0;
      if (f32BitsToBf16(mid) !== (h % 2 === 0 ? h : h + 1)) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('decodes and re-encodes every non-NaN bf16 pattern exactly', () => {
    const all = new Uint16Array(0x10000).map((_, i) => i);
    const back = encodeBf16(decodeBf16(all));
    const wrong = [...all].filter((h) => (isNaN16(h, 0x7f80, 0x7f) ? !isNaN16(back[h]!, 0x7f80, 0x7f) : back[h] !== h));
    expect(wrong).toEqual([]);
  });

  it('keeps ±0, ±Inf and NaN (including NaNs whose payload sits only in the dropped bits)', () => {
    expect(bf16(0)).toBe(0x0000);
    expect(bf16(-0)).toBe(0x8000);
    expect(Object.is(decodeBf16(new Uint16Array([0x8000]))[0], -0)).toBe(true);
    expect(bf16(Infinity)).toBe(0x7f80);
    expect(bf16(-Infinity)).toBe(0xff80);
    for (const nanBits of [0x7fc00000, 0x7f800001, 0x7fffffff, 0xffffffff, 0xff800001]) {
      const h = f32BitsToBf16(nanBits);
      expect(isNaN16(h, 0x7f80, 0x7f)).toBe(true);
      expect(h & 0x0040).toBe(0x0040); // quiet
      expect(Number.isNaN(decodeBf16(new Uint16Array([h]))[0])).toBe(true);
    }
  });

  it('rounds the largest float32 up to Inf, as round-to-nearest-even requires', () => {
    expect(f32BitsToBf16(0x7f7fffff)).toBe(0x7f80);
    expect(f32BitsToBf16(0x7f7f7fff)).toBe(0x7f7f);
  });

  it('halves the bytes', () => {
    expect(encodeBf16(new Float32Array(10)).byteLength).toBe(20);
  });
});

describe('fp16', () => {
  it('encodes known bit patterns', () => {
    expect(fp16(1)).toBe(0x3c00);
    expect(fp16(-2)).toBe(0xc000);
    expect(fp16(0.5)).toBe(0x3800);
    expect(fp16(65504)).toBe(0x7bff); // largest finite
    expect(fp16(2 ** -14)).toBe(0x0400); // smallest normal
    expect(fp16(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(fp16(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(decodeFp16(new Uint16Array([0x0001]))[0]).toBe(2 ** -24);
    expect(decodeFp16(new Uint16Array([0x7bff]))[0]).toBe(65504);
    expect(decodeFp16(new Uint16Array([0x3555]))[0]).toBeCloseTo(1 / 3, 3);
  });

  it('overflows to Inf past 65504 + half an ulp, with ties to even', () => {
    expect(fp16(65519)).toBe(0x7bff); // below the midpoint 65520
    expect(fp16(65520)).toBe(0x7c00); // the midpoint: 0x7bff is odd, so up, to Inf
    expect(fp16(1e6)).toBe(0x7c00);
    expect(fp16(-1e6)).toBe(0xfc00);
  });

  it('rounds ties to even in the normal and subnormal ranges', () => {
    expect(fp16(1 + 2 ** -11)).toBe(0x3c00); // halfway between 0x3c00 and 0x3c01: even is down
    expect(fp16(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway between 0x3c01 and 0x3c02: even is up
    expect(fp16(2 ** -25)).toBe(0x0000); // half the smallest subnormal: ties to 0
    expect(fp16(3 * 2 ** -25)).toBe(0x0002); // 1.5 units: ties to 2
    expect(fp16(2 ** -25 * 1.0001)).toBe(0x0001); // just above half a unit: up
    expect(fp16(2 ** -26)).toBe(0x0000);
    expect(fp16(-(2 ** -26))).toBe(0x8000); // underflow keeps the sign
    expect(fp16(2047 * 2 ** -25)).toBe(0x0400); // rounds up out of the subnormals to the smallest normal
  });

  it('rounds every midpoint between consecutive finite fp16 values to the even one', () => {
    const all = decodeFp16(new Uint16Array(0x7c00).map((_, i) => i));
    const wrong: number[] = [];
    for (let h = 0; h + 1 < 0x7c00; h++) {
      const mid = (all[h]! + all[h + 1]!) / 2; // exact in float32: fp16 has 11 significant bits
      if (fromBits(bitsOf(mid)) !== mid || f32BitsToFp16(bitsOf(mid)) !== (h % 2 === 0 ? h : h + 1)) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('decodes and re-encodes every non-NaN fp16 pattern exactly', () => {
    const all = new Uint16Array(0x10000).map((_, i) => i);
    const back = encodeFp16(decodeFp16(all));
    const wrong = [...all].filter((h) => (isNaN16(h, 0x7c00, 0x3ff) ? !isNaN16(back[h]!, 0x7c00, 0x3ff) : back[h] !== h));
    expect(wrong).toEqual([]);
  });

  it('agrees with an arithmetic float64 reference on random values across its whole range', () => {
    const x = wideSample(20_000, 11, 9);
    const h = encodeFp16(x);
    const y = decodeFp16(h);
    const wrong = [...x.keys()].filter((i) => y[i] !== fp16Reference(x[i]!));
    expect(wrong).toEqual([]);
    // The sample does reach the subnormal range and the overflow range.
    expect(h.some((b) => (b & 0x7c00) === 0 && (b & 0x3ff) !== 0)).toBe(true);
    expect(h.some((b) => (b & 0x7fff) === 0x7c00)).toBe(true);
  });

  it('round-trips the normal range with relative error ≤ 2^-11', () => {
    const rng = createRng(3);
    const x = new Float32Array(20_000).map(() => (rng.next() < 0.5 ? -1 : 1) * 2 ** (-14 + rng.next() * 29.99));
    const y = decodeFp16(encodeFp16(x));
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i]! - x[i]!) / Math.abs(x[i]!));
    expect(worst).toBeLessThanOrEqual(2 ** -11);
    expect(worst).toBeGreaterThan(2 ** -13);
  });

  it('keeps ±0, ±Inf and NaN', () => {
    expect(fp16(0)).toBe(0x0000);
    expect(fp16(-0)).toBe(0x8000);
    expect(Object.is(decodeFp16(new Uint16Array([0x8000]))[0], -0)).toBe(true);
    expect(fp16(Infinity)).toBe(0x7c00);
    expect(fp16(-Infinity)).toBe(0xfc00);
    expect(decodeFp16(new Uint16Array([0xfc00]))[0]).toBe(-Infinity);
    for (const nanBits of [0x7fc00000, 0x7f800001, 0xffffffff]) {
      const h = f32BitsToFp16(nanBits);
      expect(isNaN16(h, 0x7c00, 0x3ff)).toBe(true);
      expect(h & 0x0200).toBe(0x0200); // quiet
      expect(Number.isNaN(decodeFp16(new Uint16Array([h]))[0])).toBe(true);
    }
  });

  it('encodes from a Float32Array view that does not start at offset 0', () => {
    const backing = new Float32Array([9, 1, 65504]);
    expect(Array.from(encodeFp16(backing.subarray(1)))).toEqual([0x3c00, 0x7bff]);
    expect(Array.from(encodeBf16(backing.subarray(1, 2)))).toEqual([0x3f80]);
  });
});
