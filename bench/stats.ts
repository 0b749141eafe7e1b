/**
 * The arithmetic of the benchmark: medians, null-safe ratios, time and steps to a target accuracy. Pure.
 */

/** Median of the finite values, or null when there are none. */
export function median(values: readonly number[]): number | null {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  const hi = xs[mid] ?? 0;
  return xs.length % 2 === 1 ? hi : ((xs[mid - 1] ?? 0) + hi) / 2;
}

/** a / b, or null when either side is missing, not finite, or b is not positive. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

/** Largest finite value, or null. */
export function maxOf(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length === 0 ? null : Math.max(...xs);
}

/** First time (seconds) at which the [seconds, accuracy] curve reaches `target`, or null. */
export function timeToTarget(curve: readonly (readonly [number, number])[], target: number): number | null {
  for (const [seconds, accuracy] of curve) if (accuracy >= target) return seconds;
  return null;
}

/**
 * Steps completed by `seconds`, from a per-step [seconds, value] series (the app's lossCurve gets one
 * point per applied step): the number of points at or before that time. Null when `seconds` is null.
 */
export function stepsBy(perStep: readonly (readonly [number, number])[], seconds: number | null): number | null {
  if (seconds === null) return null;
  return perStep.filter(([t]) => t <= seconds).length;
}

/** Megabytes (10^6 bytes) per second, or 0 for a non-positive duration. */
export function megabytesPerSecond(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / 1e6 / seconds : 0;
}

/** Whether a ratio meets its target: 'min' targets are floors, 'max' targets are ceilings. */
export function ratioVerdict(value: number | null, target: number | null, direction: 'min' | 'max'): 'pass' | 'miss' | 'n/a' {
  if (value === null || target === null) return 'n/a';
  const passes = direction === 'min' ? value >= target : value <= target;
  return passes ? 'pass' : 'miss';
}
