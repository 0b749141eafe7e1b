import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { decodeFixed, DEFAULT_FRAC_BITS, encodeFixed, maskContribution, removeDroppedMasks, ringSum } from './masking.ts';
import type { RevealedSeed } from './masking.ts';

const K = 5;
const LENGTH = 200;
const LABEL = 'round-3/layer-1';

/** Symmetric pairwise seeds: seeds[i][j] = seeds[j][i]. */
function pairSeeds(k: number, seed: number): number[][] {
  const rng = createRng(seed);
  const s = Array.from({ length: k }, () => Array<number>(k).fill(0));
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) s[i]![j] = s[j]![i] = rng.int(2 ** 32);
  return s;
}

const rng = createRng(1);
const values = Array.from({ length: K }, () => Float64Array.from({ length: LENGTH }, () => rng.normal() * 1e3));
const seeds = pairSeeds(K, 2);
const peersOf = (i: number, roster: readonly number[]): Map<number, number> =>
  new Map(roster.filter((j) => j !== i).map((j) => [j, seeds[i]![j]!]));
const roster = Array.from({ length: K }, (_, i) => i);
const masked = roster.map((i) => {
  const r = maskContribution({ values: values[i]!, self: i, pairSeeds: peersOf(i, roster), label: LABEL, numClients: K });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
});
const encoded = values.map((v) => {
  const r = encodeFixed(v, K);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
});
const sumOk = (vs: Float64Array[]): Float64Array => {
  const r = ringSum(vs);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('pairwise masking', () => {
  it('masks cancel exactly: the ring sum of masked vectors equals the ring sum of the encodings', () => {
    expect(sumOk(masked)).toEqual(sumOk(encoded));
  });

  it('the decoded sum is the true sum up to fixed-point rounding', () => {
    const decoded = decodeFixed(sumOk(masked));
    for (let e = 0; e < LENGTH; e++) {
      const truth = values.reduce((s, v) => s + v[e]!, 0);
      expect(Math.abs(decoded[e]! - truth)).toBeLessThanOrEqual(K * 2 ** -(DEFAULT_FRAC_BITS + 1));
    }
  });

  it('a single masked vector reveals nothing obvious: it is far from its encoding', () => {
    let equal = 0;
    for (let e = 0; e < LENGTH; e++) if (masked[0]![e] === encoded[0]![e]) equal++;
    expect(equal).toBe(0);
    // Decoding one client's masked vector gives garbage, not its values.
    const alone = decodeFixed(masked[0]!);
    expect(Math.max(...alone.map((v, e) => Math.abs(v - values[0]![e]!)))).toBeGreaterThan(1e6);
  });

  it('masks depend on the label, so a mask is not reused across rounds', () => {
    const other = maskContribution({ values: values[0]!, self: 0, pairSeeds: peersOf(0, roster), label: 'round-4/layer-1', numClients: K });
    expect(other.ok && other.value).not.toEqual(masked[0]);
  });

  it('recovers the survivors’ exact sum when a client drops out', () => {
    for (const dropped of [0, 2, 4]) {
      const survivors = roster.filter((i) => i !== dropped);
      const revealed: RevealedSeed[] = survivors.map((s) => ({ survivor: s, dropped, seed: seeds[s]![dropped]! }));
      const partial = sumOk(survivors.map((i) => masked[i]!));
      expect(partial).not.toEqual(sumOk(survivors.map((i) => encoded[i]!))); // masks left unmatched
      expect(removeDroppedMasks(partial, revealed, LABEL)).toEqual(sumOk(survivors.map((i) => encoded[i]!)));
    }
  });

  it('recovers from two dropouts', () => {
    const dropped = [1, 3];
    const survivors = roster.filter((i) => !dropped.includes(i));
    const revealed = survivors.flatMap((s) => dropped.map((d) => ({ survivor: s, dropped: d, seed: seeds[s]![d]! })));
    const recovered = removeDroppedMasks(sumOk(survivors.map((i) => masked[i]!)), revealed, LABEL);
    expect(recovered).toEqual(sumOk(survivors.map((i) => encoded[i]!)));
  });

  it('refuses values that could overflow the sum, non-finite values and bad ring vectors', () => {
    const limit = 2 ** (51 - DEFAULT_FRAC_BITS) / K;
    const big = encodeFixed(Float64Array.from([limit]), K);
    expect(!big.ok && big.error.kind).toBe('out-of-range');
    expect(encodeFixed(Float64Array.from([limit * 0.99]), K).ok).toBe(true);
    const nan = encodeFixed(Float64Array.from([NaN]), K);
    expect(!nan.ok && nan.error.kind).toBe('non-finite');
    expect(encodeFixed(Float64Array.from([1]), 0).ok).toBe(false);
    expect(ringSum([new Float64Array(2), new Float64Array(3)]).ok).toBe(false);
    expect(ringSum([Float64Array.from([0.5])]).ok).toBe(false);
    expect(ringSum([Float64Array.from([2 ** 52])]).ok).toBe(false);
    const self = maskContribution({ values: values[0]!, self: 0, pairSeeds: new Map([[0, 1]]), label: LABEL, numClients: K });
    expect(self.ok).toBe(false);
  });

  it('negative values round-trip through the ring', () => {
    const e = encodeFixed(Float64Array.from([-1.5, 0, 2.25]), 2);
    expect(e.ok && Array.from(decodeFixed(e.value))).toEqual([-1.5, 0, 2.25]);
  });
});
