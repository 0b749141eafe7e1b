/**
 * Splits a global batch among workers in proportion to their measured speed (largest-remainder rounding,
 * so shares sum exactly to the global batch). Every worker with positive speed gets at least one sample
 * while the batch allows; speeds that are not finite or not positive count as the slowest positive speed.
 *
 * @example batchShares(128, {a: 300, b: 100}) // → {a: 96, b: 32}
 */
export function batchShares(globalBatch: number, speeds: Readonly<Record<string, number>>): Record<string, number> {
  const ids = Object.keys(speeds).sort();
  const out: Record<string, number> = {};
  if (ids.length === 0) return out;
  const positive = ids.map((id) => speeds[id] ?? 0).filter((s) => Number.isFinite(s) && s > 0);
  const floor = positive.length > 0 ? Math.min(...positive) : 1;
  const w = ids.map((id) => {
    const s = speeds[id] ?? 0;
    return Number.isFinite(s) && s > 0 ? s : floor;
  });
  const sum = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (globalBatch * x) / sum);
  const base = exact.map((x) => Math.floor(x));
  let left = globalBatch - base.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    base[i] = (base[i] ?? 0) + 1;
    left--;
  }
  // Give zero-share workers one sample taken from the largest share, when the batch is big enough.
  for (let i = 0; i < base.length; i++) {
    if (base[i] === 0 && globalBatch >= ids.length) {
      const max = base.indexOf(Math.max(...base));
      base[max] = (base[max] ?? 0) - 1;
      base[i] = 1;
    }
  }
  ids.forEach((id, i) => (out[id] = base[i] ?? 0));
  return out;
}
