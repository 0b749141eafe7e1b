/**
 * Robust aggregation of per-worker gradient lists, so one hostile or broken worker (a 100x update, a huge
 * random vector, NaNs) cannot drag the coordinator's average arbitrarily far. Pure and deterministic.
 *
 * Rules:
 * - `mean`: exactly `weightedMean(parts)` (no protection).
 * - `clip`: adaptive norm clipping. Each part's global L2 norm (over all its tensors, float64) is compared
 *   with `clipFactor` (default 2) x the median of the parts' norms; a part above it is scaled down to that
 *   norm, then the sample-weighted mean is taken. A part holding any NaN or ±Infinity cannot be scaled, so
 *   it is dropped entirely (counted in `clipped`, its weight left out); if every part is dropped this throws
 *   a RangeError. A zero threshold (median norm 0) scales every nonzero part to zero, without NaN.
 * - `trimmed`: coordinate-wise trimmed mean, unweighted: per coordinate the n values are sorted and
 *   k = floor(trimFraction x n) (default 0.2, in [0, 0.5)) are dropped at each end; the rest are averaged.
 * - `median`: coordinate-wise median, unweighted (mean of the two middle values for an even n).
 * For `trimmed` and `median`, -Infinity sorts lowest and NaN counts as +Infinity, so non-finite values are
 * the first to be trimmed; more than k of them at one coordinate make that coordinate non-finite.
 *
 * Shape mismatches (no parts, different tensor counts or lengths) are programmer errors: RangeError.
 *
 * @example
 * const honest = [{ weight: 1, arrays: [Float32Array.of(1)] }, { weight: 1, arrays: [Float32Array.of(3)] }];
 * const poisoned = { weight: 1, arrays: [Float32Array.of(1000)] };
 * robustAggregate([...honest, poisoned], 'median').arrays; // → [Float32Array [3]]
 * robustAggregate([...honest, poisoned], 'clip').arrays;   // → [Float32Array [~3.33]] (1000 clipped to 6)
 */
import { weightedMean, type Weighted } from './weighted-mean.ts';

export type AggregationRule = 'mean' | 'clip' | 'trimmed' | 'median';

export const AGGREGATION_RULES: readonly AggregationRule[] = ['mean', 'clip', 'trimmed', 'median'];

export function isAggregationRule(s: string): s is AggregationRule {
  return AGGREGATION_RULES.some((r) => r === s);
}

export interface RobustAggregate {
  readonly arrays: Float32Array[];
  /** `clip` only: parts whose norm was scaled down, plus parts dropped for holding non-finite values. */
  readonly clipped: number;
  /** Values dropped at each end per coordinate (`trimmed`: k; `median`: floor((n - 1) / 2)). */
  readonly trimmedPerSide: number;
}

export interface RobustOptions {
  /** `trimmed` only: fraction of the parts dropped at each end, in [0, 0.5). Default 0.2. */
  readonly trimFraction?: number;
  /** `clip` only: threshold as a multiple of the median part norm, finite and > 0. Default 2. */
  readonly clipFactor?: number;
}

export const DEFAULT_TRIM_FRACTION = 0.2;
// 2x the median norm lets honest parts with ordinary spread through untouched while bounding an outlier's
// pull on the mean to about 2/n of a typical gradient (equal weights).
export const DEFAULT_CLIP_FACTOR = 2;

export function robustAggregate(
  parts: readonly Weighted[],
  rule: AggregationRule,
  opts: RobustOptions = {},
): RobustAggregate {
  const columns = tensorColumns(parts);
  switch (rule) {
    case 'mean':
      return { arrays: weightedMean(parts), clipped: 0, trimmedPerSide: 0 };
    case 'clip':
      return clippedMean(parts, columns, opts.clipFactor ?? DEFAULT_CLIP_FACTOR);
    case 'trimmed': {
      const f = opts.trimFraction ?? DEFAULT_TRIM_FRACTION;
      if (!(f >= 0 && f < 0.5)) throw new RangeError(`trimFraction must be in [0, 0.5), got ${f}`);
      const n = parts.length;
      let k = Math.floor(f * n);
      // Cannot happen for f < 0.5 in exact arithmetic; kept as a guard so at least one value remains.
      if (2 * k >= n) k = Math.floor((n - 1) / 2);
      return { arrays: trimmedMean(columns, n, k), clipped: 0, trimmedPerSide: k };
    }
    case 'median': {
      // The median is the trimmed mean that keeps one (odd n) or two (even n) middle values.
      const k = Math.floor((parts.length - 1) / 2);
      return { arrays: trimmedMean(columns, parts.length, k), clipped: 0, trimmedPerSide: k };
    }
  }
}

/** Validates shapes and regroups: `columns[t][i]` is tensor t of part i. */
function tensorColumns(parts: readonly Weighted[]): Float32Array[][] {
  const first = parts[0];
  if (first === undefined) throw new RangeError('robustAggregate needs at least one part');
  parts.forEach((p, i) => {
    if (p.arrays.length !== first.arrays.length) {
      throw new RangeError(`part ${i} has ${p.arrays.length} tensors, expected ${first.arrays.length}`);
    }
  });
  return first.arrays.map((a0, t) =>
    parts.map((p) => {
      const a = p.arrays[t];
      if (a === undefined || a.length !== a0.length) throw new RangeError(`tensor ${t} has mismatched length`);
      return a;
    }),
  );
}

function clippedMean(parts: readonly Weighted[], columns: Float32Array[][], clipFactor: number): RobustAggregate {
  if (!(clipFactor > 0 && Number.isFinite(clipFactor))) {
    throw new RangeError(`clipFactor must be finite and > 0, got ${clipFactor}`);
  }
  // Float32 squares cannot overflow a float64 sum (3.4e38^2 x 1e9 values < 1.8e308), so a non-finite
  // sum of squares means exactly that the part holds a NaN or an Infinity.
  const norms = parts.map((p) => Math.sqrt(p.arrays.reduce((s, a) => s + sumOfSquares(a), 0)));
  const finite = norms.filter((x) => Number.isFinite(x));
  if (finite.length === 0) throw new RangeError('every part holds non-finite values');
  const threshold = clipFactor * median(finite);

  // Per part: the factor it is scaled by, or null when it is dropped for holding non-finite values
  // (it must be skipped, not multiplied by 0: 0 x NaN is NaN).
  const scales = norms.map((norm) => {
    if (!Number.isFinite(norm)) return null;
    if (norm <= threshold) return 1;
    return threshold / norm; // norm > threshold >= 0, so no division by zero; threshold 0 gives scale 0
  });
  const clipped = norms.filter((norm) => !(norm <= threshold)).length; // scaled or dropped (NaN norm too)
  const total = parts.reduce((s, p, i) => (scales[i] === null ? s : s + p.weight), 0);
  if (!(total > 0)) throw new RangeError('weights of the kept parts must sum to a positive number');

  const arrays = columns.map((cols) => {
    const acc = new Float64Array(cols[0]?.length ?? 0);
    parts.forEach((p, i) => {
      const a = cols[i];
      const scale = scales[i];
      if (a === undefined || typeof scale !== 'number') return;
      const w = (p.weight / total) * scale;
      for (let j = 0; j < acc.length; j++) acc[j] = (acc[j] ?? 0) + w * (a[j] ?? 0);
    });
    return Float32Array.from(acc);
  });
  return { arrays, clipped, trimmedPerSide: 0 };
}

function sumOfSquares(a: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const v = a[j] ?? 0;
    s += v * v;
  }
  return s;
}

/** Median of a non-empty list; an even count gives the mean of the two middle values. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/**
 * Per coordinate: sort the n values (NaN as +Infinity), drop k at each end, average the rest in float64.
 * One scratch buffer is reused for every coordinate; insertion sort suits the small n (2-16 parts) and
 * avoids a comparator call per comparison.
 */
function trimmedMean(columns: Float32Array[][], n: number, k: number): Float32Array[] {
  const scratch = new Float64Array(n);
  const kept = n - 2 * k;
  return columns.map((cols) => {
    const out = new Float32Array(cols[0]?.length ?? 0);
    for (let j = 0; j < out.length; j++) {
      for (let i = 0; i < n; i++) {
        const v = cols[i]?.[j] ?? 0;
        scratch[i] = Number.isNaN(v) ? Infinity : v;
      }
      insertionSort(scratch);
      let sum = 0;
      for (let i = k; i < n - k; i++) sum += scratch[i] ?? 0;
      out[j] = sum / kept;
    }
    return out;
  });
}

function insertionSort(s: Float64Array): void {
  for (let i = 1; i < s.length; i++) {
    const v = s[i] ?? 0;
    let j = i - 1;
    while (j >= 0 && (s[j] ?? 0) > v) {
      s[j + 1] = s[j] ?? 0;
      j--;
    }
    s[j + 1] = v;
  }
}
