/**
 * Sample-weighted mean of per-worker gradient lists: sum_i (n_i / N) * g_i, in float64 accumulation
 * (a Float64Array per tensor) so the order workers arrive in does not change the result beyond the
 * final rounding to float32.
 *
 * @example weightedMean([{weight: 1, arrays: [new Float32Array([0, 2])]}, {weight: 3, arrays: [new Float32Array([4, 2])]}])
 *   // → [Float32Array [3, 2]]
 */
export interface Weighted {
  readonly weight: number;
  readonly arrays: readonly Float32Array[];
}

export function weightedMean(parts: readonly Weighted[]): Float32Array[] {
  const first = parts[0];
  if (first === undefined) throw new RangeError('weightedMean needs at least one part');
  const total = parts.reduce((s, p) => s + p.weight, 0);
  if (!(total > 0)) throw new RangeError('weights must sum to a positive number');
  return first.arrays.map((a0, t) => {
    const acc = new Float64Array(a0.length);
    for (const p of parts) {
      const a = p.arrays[t];
      if (a === undefined || a.length !== acc.length) throw new RangeError(`tensor ${t} has mismatched length`);
      const w = p.weight / total;
      for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] ?? 0) + w * (a[i] ?? 0);
    }
    return Float32Array.from(acc);
  });
}
