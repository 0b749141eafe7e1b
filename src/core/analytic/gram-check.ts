/**
 * Validation of a client's Gram contribution before it is added to a running sum. The checks are cheap
 * (one pass, O(dIn²)) and catch what a buggy or hostile client could send: a wrong shape, NaN or ±∞, a
 * fractional or negative count, a negative diagonal, a bias entry that disagrees with the count, or an
 * off-diagonal entry too large for any positive semi-definite matrix (|a_ij| > √(a_ii·a_jj)).
 * Passing them does not prove A is PSD (that needs a factorisation); it rules out the cheap lies.
 *
 * @example
 * validateGramStats(stats, { dIn: 785, dOut: 10, bias: true }); // ok(undefined) or err({kind, message})
 */
import { err, ok } from '../result.ts';
import type { Result } from '../result.ts';
import type { GramError, GramErrorKind, GramShape, GramStats } from './gram-stats.ts';
import { packedLength, packedRowStart } from './packed-symmetric.ts';

/**
 * Relative slack on the Cauchy–Schwarz test a_ij² ≤ a_ii·a_jj: float64 sums of 10⁶ rank-1 terms drift by
 * well under 1e-9 relative, so 1e-8 never refuses an honest Gram matrix.
 */
export const PSD_RELATIVE_SLACK = 1e-8;

const fail = (kind: GramErrorKind, message: string): Result<never, GramError> => err({ kind, message });

function checkShape(c: GramStats, shape: GramShape): Result<undefined, GramError> {
  if (c.dIn !== shape.dIn || c.dOut !== shape.dOut || c.bias !== shape.bias) {
    return fail('shape', `expected dIn ${shape.dIn}, dOut ${shape.dOut}, bias ${shape.bias}; got ${c.dIn}, ${c.dOut}, ${c.bias}`);
  }
  if (!(c.aUpper instanceof Float64Array) || c.aUpper.length !== packedLength(shape.dIn)) {
    return fail('shape', `A must be a Float64Array of ${packedLength(shape.dIn)} entries (packed upper triangle)`);
  }
  if (!(c.b instanceof Float64Array) || c.b.length !== shape.dIn * shape.dOut) {
    return fail('shape', `B must be a Float64Array of ${shape.dIn * shape.dOut} entries`);
  }
  if (!Number.isSafeInteger(c.count) || c.count < 0) return fail('count', `count must be an integer >= 0, got ${c.count}`);
  return ok(undefined);
}

function firstNonFinite(a: Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i] ?? NaN)) return i;
  return -1;
}

function checkPsdSanity(c: GramStats): Result<undefined, GramError> {
  const n = c.dIn;
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = c.aUpper[packedRowStart(i, n)] ?? 0;
    if (d < 0) return fail('not-psd', `A has a negative diagonal entry at ${i}: ${d}`);
    diag[i] = d;
  }
  for (let i = 0; i < n; i++) {
    const start = packedRowStart(i, n) - i;
    for (let j = i + 1; j < n; j++) {
      const aij = c.aUpper[start + j] ?? 0;
      const bound = Math.sqrt((diag[i] ?? 0) * (diag[j] ?? 0)) * (1 + PSD_RELATIVE_SLACK);
      if (Math.abs(aij) > bound) return fail('not-psd', `A(${i}, ${j}) = ${aij} exceeds √(a_ii·a_jj) = ${bound}`);
    }
  }
  return ok(undefined);
}

/** Checks a contribution against the expected shape and the sanity rules of the module comment. */
export function validateGramStats(c: GramStats, shape: GramShape): Result<undefined, GramError> {
  const s = checkShape(c, shape);
  if (!s.ok) return s;
  const badA = firstNonFinite(c.aUpper);
  if (badA >= 0) return fail('non-finite', `A has a NaN or infinite entry at packed index ${badA}`);
  const badB = firstNonFinite(c.b);
  if (badB >= 0) return fail('non-finite', `B has a NaN or infinite entry at index ${badB}`);
  if (shape.bias) {
    const last = c.aUpper[packedLength(shape.dIn) - 1] ?? NaN;
    if (last !== c.count) return fail('bias', `bias diagonal ${last} differs from the row count ${c.count}`);
  }
  return checkPsdSanity(c);
}
