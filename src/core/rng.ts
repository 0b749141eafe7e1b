/**
 * Seeded pseudo-random numbers for everything that must be reproducible from one seed: data splits,
 * partitions, weight init seeds, shuffles, simulated networks.
 *
 * Generator: mulberry32 (Tommy Ettinger), 32-bit state, period 2^32. It is fast, has good statistical
 * quality for simulation work (passes gjrand/PractRand up to a few GB) and needs only `Math.imul`. It is
 * NOT cryptographic. Pure: no clock, no global state, no `Math.random`.
 *
 * Streams: `fork(label)` derives an independent generator from the *seed* this one was created with and
 * the label, never from the current position. So adding a draw somewhere cannot change a forked stream,
 * and `createRng(s).fork('x')` is the same stream wherever it is called.
 *
 * @example
 * const rng = createRng(42);
 * rng.next();            // in [0, 1)
 * rng.int(10);           // integer in [0, 10)
 * rng.shuffle([1, 2, 3]); // the same order for every run with seed 42
 * const init = rng.fork('weight-init'); // independent stream
 */

/** A seeded generator; see the module comment. All methods advance the state except `fork`. */
export interface Rng {
  /** The seed this generator was created from (after normalisation to uint32). */
  readonly seed: number;
  /** Uniform float in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n); `n` is an integer in [1, 2^32]. Bias is below n / 2^32. */
  int(n: number): number;
  /** Standard normal N(0, 1) draw (Box-Muller; one of the pair is used, the other dropped). */
  normal(): number;
  /**
   * Gamma(shape, scale 1) draw (Marsaglia-Tsang 2000). For shape < 1 uses the boost
   * Gamma(a) = Gamma(a + 1) · U^(1/a); for very small shapes the result may underflow to 0.
   */
  gamma(shape: number): number;
  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<A extends MutableArrayLike>(array: A): A;
  /** An independent generator determined by (this seed, label) only. */
  fork(label: string): Rng;
}

/** Anything with a length and numeric indices that can be written: arrays and typed arrays. */
export interface MutableArrayLike {
  length: number;
  [index: number]: unknown;
}

/** Thrown for a bad argument (programmer error): a non-integer seed, `int(0)`, `gamma(-1)`. */
export class RngArgumentError extends RangeError {
  static readonly NAME = 'RngArgumentError';
  constructor(message: string) {
    super(message);
    this.name = RngArgumentError.NAME;
  }
}

/** 2^32, to scale a uint32 into [0, 1). */
const TWO_POW_32 = 4294967296;
/** mulberry32's Weyl-sequence increment (an odd constant from the reference implementation). */
const MULBERRY_INCREMENT = 0x6d2b79f5;

/** murmur3's 32-bit finaliser: a bijective avalanche mix of a uint32. */
function fmix32(h0: number): number {
  let h = h0 >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Maps any safe integer (negative and > 2^32 included) to a uint32 seed, mixing the high bits in. */
function normaliseSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RngArgumentError(`seed must be a safe integer, got ${seed}`);
  const lo = seed >>> 0;
  // int32 and uint32 seeds map to their own bit pattern; only larger magnitudes mix the high word in.
  if (seed >= -(2 ** 31) && seed < TWO_POW_32) return lo;
  return (lo ^ fmix32(Math.floor(seed / TWO_POW_32) >>> 0)) >>> 0;
}

/** FNV-1a over the label's UTF-16 code units, started from the parent seed, then avalanche-mixed. */
function forkSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ fmix32(seed)) >>> 0; // FNV offset basis, salted with the parent seed
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193); // FNV 32-bit prime
  }
  return fmix32(h);
}

/**
 * Creates a generator from a seed.
 * @param seed any safe integer; it is normalised to uint32 (see `Rng.seed`).
 * @throws RngArgumentError if the seed is not a safe integer.
 */
export function createRng(seed: number): Rng {
  return makeRng(normaliseSeed(seed));
}

function makeRng(seed: number): Rng {
  let state = seed;
  const nextUint32 = (): number => {
    state = (state + MULBERRY_INCREMENT) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => nextUint32() / TWO_POW_32;
  const normal = (): number => {
    const u1 = 1 - next(); // in (0, 1], so log(u1) is finite
    const u2 = next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  const rng: Rng = {
    seed,
    next,
    int(n) {
      if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
        throw new RngArgumentError(`int(n) needs an integer n in [1, 2^32], got ${n}`);
      }
      return Math.floor(next() * n);
    },
    normal,
    gamma: (shape) => gammaDraw(shape, next, normal),
    shuffle(array) {
      for (let i = array.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = array[i];
        array[i] = array[j];
        array[j] = tmp;
      }
      return array;
    },
    fork: (label) => makeRng(forkSeed(seed, label)),
  };
  return rng;
}

/** Marsaglia & Tsang, "A simple method for generating gamma variables" (2000), with the shape < 1 boost. */
function gammaDraw(shape: number, next: () => number, normal: () => number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) {
    throw new RngArgumentError(`gamma(shape) needs a finite shape > 0, got ${shape}`);
  }
  if (shape < 1) {
    const u = 1 - next(); // in (0, 1]: avoids 0^(1/a)
    return gammaDraw(shape + 1, next, normal) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = next();
    const x2 = x * x;
    // Squeeze test first (0.0331 is the paper's constant), then the exact log test.
    if (u < 1 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
  }
}
