/**
 * 16-bit float codecs for the wire: float32 ↔ bfloat16 and float32 ↔ IEEE 754 binary16 ("fp16"), both as
 * `Uint16Array` bit patterns. DASO sends global parameter messages down-cast to halve the bytes and decodes
 * them to float32 before summing (ALGORITHMS.md 3.5); nothing is ever accumulated in 16 bits.
 *
 * Both encoders round to nearest, ties to even. ±0 and ±Inf are preserved; a NaN stays a NaN (made quiet,
 * sign and top payload bits kept). bf16 keeps float32's 8-bit exponent, so only precision is lost (relative
 * error ≤ 2^-8, overflow only when rounding the largest float32s up to Inf). fp16 has a 5-bit exponent:
 * values above 65504 (plus half an ulp) become ±Inf and values below 2^-14 become subnormals or ±0.
 *
 * Byte order: the arrays are in platform order, like every typed array; framing is the protocol's job.
 *
 * @example
 * const wire = encodeBf16(new Float32Array([1, 3.14159]));   // Uint16Array [0x3f80, 0x4049]
 * decodeBf16(wire);                                           // Float32Array [1, 3.140625]
 * encodeFp16(new Float32Array([1, 65504, 2 ** -24]));       // Uint16Array [0x3c00, 0x7bff, 0x0001]
 */

/** float32 magnitude mask (everything but the sign). */
const F32_ABS = 0x7fffffff;
/** float32 exponent all ones: Inf when the mantissa is 0, NaN otherwise. */
const F32_INF = 0x7f800000;
/** bf16 quiet-NaN bit: the top mantissa bit of the 7 that bf16 keeps. */
const BF16_QUIET = 0x0040;
/** Half of the 16 dropped bits, minus one: adding it (plus the kept lsb) rounds to nearest even. */
const BF16_ROUND = 0x7fff;

/** fp16 sign bit. */
const F16_SIGN = 0x8000;
/** fp16 exponent all ones (Inf / NaN). */
const F16_INF = 0x7c00;
/** fp16 quiet-NaN bit: the top of the 10 mantissa bits. */
const F16_QUIET = 0x0200;
/** float32 exponent bias (127) minus fp16 exponent bias (15). */
const BIAS_DIFF = 112;
/** fp16 biased exponent of Inf/NaN (all five bits set). */
const F16_EXP_MAX = 0x1f;
/** float32 keeps 23 mantissa bits, fp16 keeps 10: 13 are dropped for normal numbers. */
const F16_DROP = 13;
/** Lowest 13 bits: the part of a float32 mantissa that fp16 drops. */
const F16_DROP_MASK = 0x1fff;
/** Half an fp16 ulp, in dropped-bit units (2^12). */
const F16_HALF = 0x1000;
/** Implicit leading 1 of a normal float32 mantissa (2^23). */
const F32_IMPLICIT = 0x800000;
/** float32 biased exponent of 2^p·2^-24 is p - 24 + 127 = p + 103 (fp16 subnormal unit is 2^-24). */
const F16_SUBNORMAL_EXP = 103;

/** Bits of a float32 array, as a Uint32Array view (no copy). */
function bitsOf(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** One float32 bit pattern → bf16 bits, round to nearest even. */
export function f32BitsToBf16(u: number): number {
  // NaN: truncate and set the quiet bit, so a payload that lives only in the low 16 bits cannot round to Inf.
  if ((u & F32_ABS) >>> 0 > F32_INF) return ((u >>> 16) | BF16_QUIET) & 0xffff;
  // Finite or Inf: the largest non-NaN pattern is 0xff800000 (-Inf), so the sum stays below 2^32 and
  // `>>> 16` keeps the rounded high half. The largest finite values round up to ±Inf, as RNE requires.
  return ((u >>> 0) + BF16_ROUND + ((u >>> 16) & 1)) >>> 16;
}

/** Encodes float32 values to bf16 bit patterns (round to nearest even; NaN, ±Inf and ±0 preserved). */
export function encodeBf16(x: Float32Array): Uint16Array {
  const bits = bitsOf(x);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToBf16(bits[i] ?? 0);
  return out;
}

/** Decodes bf16 bit patterns to float32 (exact: bf16 is a prefix of float32). */
export function decodeBf16(h: Uint16Array): Float32Array {
  const out = new Uint32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = (h[i] ?? 0) << 16;
  return new Float32Array(out.buffer);
}

/** Rounds `m` right by `shift` bits (1 ≤ shift ≤ 31), to nearest, ties to even. */
function shiftRoundEven(m: number, shift: number): number {
  const kept = m >>> shift;
  const rest = m - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** One float32 bit pattern → fp16 bits, round to nearest even, with subnormals and overflow to Inf. */
export function f32BitsToFp16(u: number): number {
  const sign = (u >>> 16) & F16_SIGN;
  const exp = (u >>> 23) & 0xff;
  const mant = u & 0x7fffff;
  if (exp === 0xff) return sign | F16_INF | (mant === 0 ? 0 : F16_QUIET | (mant >>> F16_DROP));
  const e = exp - BIAS_DIFF;
  if (e >= F16_EXP_MAX) return sign | F16_INF;
  if (e <= 0) {
    // Subnormal (or zero) in fp16: value = m·2^(exp-150) = k·2^-24, so k = m / 2^(14-e).
    const shift = 14 - e;
    // m < 2^24, so for shift ≥ 25 the value is below half the smallest subnormal: it rounds to ±0.
    if (shift > 24) return sign;
    // A carry out of the subnormal range yields 0x0400, the smallest normal: the encoding stays right.
    return sign | shiftRoundEven(mant | F32_IMPLICIT, shift);
  }
  let h = (e << 10) | (mant >>> F16_DROP);
  const rest = mant & F16_DROP_MASK;
  // A carry here may ripple into the exponent (to the next binade, or to Inf at the top): still correct.
  if (rest > F16_HALF || (rest === F16_HALF && (h & 1) === 1)) h += 1;
  return sign | h;
}

/** Encodes float32 values to IEEE binary16 bit patterns (RNE, subnormals, overflow to ±Inf, NaN kept). */
export function encodeFp16(x: Float32Array): Uint16Array {
  const bits = bitsOf(x);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToFp16(bits[i] ?? 0);
  return out;
}

/** One fp16 bit pattern → float32 bits (exact: every fp16 value is a float32). */
export function fp16ToF32Bits(h: number): number {
  const sign = (h & F16_SIGN) << 16;
  const exp = (h >>> 10) & F16_EXP_MAX;
  const mant = h & 0x3ff;
  if (exp === F16_EXP_MAX) return (sign | F32_INF | (mant << F16_DROP)) >>> 0;
  if (exp !== 0) return (sign | ((exp + BIAS_DIFF) << 23) | (mant << F16_DROP)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal fp16 (mant·2^-24) is a normal float32: normalise on the leading bit p of mant.
  const p = 31 - Math.clz32(mant);
  const f32Exp = p + F16_SUBNORMAL_EXP;
  return (sign | (f32Exp << 23) | ((mant - 2 ** p) << (23 - p))) >>> 0;
}

/** Decodes IEEE binary16 bit patterns to float32 (exact). */
export function decodeFp16(h: Uint16Array): Float32Array {
  const out = new Uint32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = fp16ToF32Bits(h[i] ?? 0);
  return new Float32Array(out.buffer);
}
