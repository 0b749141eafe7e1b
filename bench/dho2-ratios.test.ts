import { describe, expect, it } from 'vitest';
import {
  datasetTarget, DHO2_SUITE_METHODS, DHO2_VARIANTS, fastestTo, memoryEntries, memoryTarget, MEMORY_METHOD, mostAccurate, summariseDho2, usableRun, worstOrNull,
  type Dho2SuiteMethod,
} from './dho2-ratios.ts';
import type { BenchRun } from './result-types.ts';

type Curve = readonly (readonly [number, number])[];

function run(method: Dho2SuiteMethod, curve: Curve, final: number | null, dataset = 'fashion-mnist', over: Partial<Record<string, unknown>> = {}): BenchRun {
  return {
    method, name: `${method} (${dataset})`, dataset, model: 'mlp', tabs: 4, seed: 1, wallSeconds: 100,
    targetAccuracy: null, timeToTargetSeconds: null, stepsToTarget: null, finalTestAccuracy: final, bytesSent: 0,
    peakBytesPerTab: 0, curve, outcome: final === null ? 'timeout' : 'ok', tabsNotDone: 0, ...over,
  };
}

function mem(tabs: number, maxPeakFloats: number | null, outcome = 'ok'): BenchRun {
  return {
    method: MEMORY_METHOD, name: `memory ${tabs}`, dataset: 'fashion-mnist', model: 'mlp', tabs, seed: 1, wallSeconds: 10,
    targetAccuracy: null, timeToTargetSeconds: null, stepsToTarget: null, finalTestAccuracy: null, bytesSent: 0,
    peakBytesPerTab: 0, curve: [], outcome, tabsNotDone: 0, maxPeakFloats,
  };
}

// Best first-order final 0.85 → target 0.8415. Adam first reaches it at 30 s, SGD-m at 50 s; DHO2 parallel at 20 s,
// consensus ADMM at 22 s, the extrapolation variant never.
const fmnist: BenchRun[] = [
  run('dp-adam', [[10, 0.7], [20, 0.84], [30, 0.845], [40, 0.85]], 0.85),
  run('dp-sgdm', [[10, 0.6], [50, 0.842], [60, 0.844]], 0.844),
  run('kfac', [[10, 0.8], [40, 0.843]], 0.852),
  run('dho2-sync', [[10, 0.8], [25, 0.8416], [40, 0.86]], 0.86),
  run('dho2-parallel', [[10, 0.83], [20, 0.85]], 0.855),
  run('dho2-extrapolate', [[10, 0.5], [40, 0.6]], 0.61),
  run('dho2-admm', [[10, 0.82], [22, 0.842], [40, 0.848]], 0.848),
];

describe('datasetTarget / fastestTo / mostAccurate', () => {
  it('targets 0.99 × the best first-order final accuracy and finds the first curve point at or above it', () => {
    const t = datasetTarget(fmnist);
    expect(t?.target).toBeCloseTo(0.99 * 0.85, 12);
    expect(t?.from.method).toBe('dp-adam');
    expect(fastestTo(fmnist, ['dp-adam', 'dp-sgdm'], 0.8415)).toMatchObject({ seconds: 30, run: { method: 'dp-adam' } });
    expect(fastestTo(fmnist, DHO2_VARIANTS, 0.8415)).toMatchObject({ seconds: 20, run: { method: 'dho2-parallel' } });
    expect(fastestTo(fmnist, ['dho2-admm'], 0.8415)).toMatchObject({ seconds: 22, run: { method: 'dho2-admm' } });
    expect(fastestTo(fmnist, ['dho2-extrapolate'], 0.8415)).toBeNull();
    expect(mostAccurate(fmnist, ['dp-adam', 'dp-sgdm', 'kfac'])?.method).toBe('kfac');
    expect(mostAccurate(fmnist, [])).toBeNull();
  });

  it('has no target when no first-order run finished', () => {
    expect(datasetTarget([run('dp-adam', [[1, 0.9]], null), run('dho2-sync', [[1, 0.9]], 0.9)])).toBeNull();
  });
});

describe('worstOrNull / memoryTarget', () => {
  it('takes the smallest value, null when any is missing', () => {
    expect(worstOrNull([1.6, 1.2])).toBe(1.2);
    expect(worstOrNull([1.6, null])).toBeNull();
    expect(worstOrNull([])).toBeNull();
    expect(memoryTarget(2)).toBeCloseTo(0.575, 12);
    expect(memoryTarget(4)).toBeCloseTo(0.2875, 12);
  });
});

describe('summariseDho2', () => {
  it('computes the per-data-set speedups, accuracy delta and headlines', () => {
    const out = summariseDho2(fmnist, ['n']);
    expect(out.ratios['dho2VsBestFirstOrder/fashion-mnist']).toBeCloseTo(30 / 20, 12);
    expect(out.ratios['dho2VsSecondOrder/fashion-mnist']).toBeCloseTo(40 / 20, 12);
    // Best DHO2 final 0.86 (sync) − best baseline 0.852 (K-FAC, above both first-order runs), in points.
    expect(out.ratios['dho2FinalAccuracyDelta/fashion-mnist']).toBeCloseTo(0.8, 10);
    expect(out.ratios['variantVsBestFirstOrder/fashion-mnist/dho2-sync']).toBeCloseTo(30 / 25, 12);
    expect(out.ratios['variantVsBestFirstOrder/fashion-mnist/dho2-admm']).toBeCloseTo(30 / 22, 12);
    expect(out.ratios['variantVsBestFirstOrder/fashion-mnist/dho2-extrapolate']).toBeNull();
    expect(out.ratios.dho2VsBestFirstOrder).toBeCloseTo(1.5, 12);
    expect(out.ratios.dho2VsSecondOrder).toBeCloseTo(2, 12);
    expect(Object.keys(out.ratioTargets).sort()).toEqual(Object.keys(out.ratios).sort());
    expect(out.ratioTargets['dho2VsBestFirstOrder/fashion-mnist']).toMatchObject({ target: 1.4, direction: 'min' });
    expect(out.ratioTargets.dho2FinalAccuracyDelta).toMatchObject({ target: 0, direction: 'min' });
    expect(out.notes).toEqual(['n']);
  });

  it('counts both the extrapolation and the consensus ADMM runs as DHO2 variants, each under its own id', () => {
    expect(DHO2_VARIANTS).toEqual(['dho2-sync', 'dho2-parallel', 'dho2-extrapolate', 'dho2-admm']);
    expect(DHO2_VARIANTS.every((v) => DHO2_SUITE_METHODS.includes(v))).toBe(true);
    // Consensus ADMM reaching the target first (15 s) and most accurately (0.87) sets both headlines.
    const admmFirst = fmnist.map((r) => (r.method === 'dho2-admm' ? { ...r, curve: [[15, 0.845]] as Curve, finalTestAccuracy: 0.87 } : r));
    const out = summariseDho2(admmFirst, []);
    expect(out.ratios['dho2VsBestFirstOrder/fashion-mnist']).toBeCloseTo(30 / 15, 12);
    expect(out.ratios['dho2VsSecondOrder/fashion-mnist']).toBeCloseTo(40 / 15, 12);
    expect(out.ratios['dho2FinalAccuracyDelta/fashion-mnist']).toBeCloseTo(100 * (0.87 - 0.852), 10);
    expect(out.ratioTargets['dho2FinalAccuracyDelta/fashion-mnist']?.meaning).toContain('dho2-admm (fashion-mnist)');
    // So does the extrapolation variant when it is the fastest.
    const extrapolationFirst = fmnist.map((r) => (r.method === 'dho2-extrapolate' ? { ...r, curve: [[12, 0.85]] as Curve } : r));
    expect(summariseDho2(extrapolationFirst, []).ratios['dho2VsBestFirstOrder/fashion-mnist']).toBeCloseTo(30 / 12, 12);
  });

  it('fills each run\'s target accuracy and time to it, without touching the input', () => {
    const out = summariseDho2(fmnist, []);
    expect(out.runs.map((r) => r.timeToTargetSeconds)).toEqual([30, 50, 40, 25, 20, null, 22]);
    expect(out.runs.every((r) => r.targetAccuracy !== null && Math.abs(r.targetAccuracy - 0.8415) < 1e-12)).toBe(true);
    expect(fmnist[0]?.targetAccuracy).toBeNull();
  });

  it('gives null with a note when no DHO2 variant reaches the target, or K-FAC never does', () => {
    const slow = fmnist.map((r) => (r.method.startsWith('dho2') || r.method === 'kfac' ? { ...r, curve: [[10, 0.5]] as Curve } : r));
    const out = summariseDho2(slow, []);
    expect(out.ratios['dho2VsBestFirstOrder/fashion-mnist']).toBeNull();
    expect(out.ratios['dho2VsSecondOrder/fashion-mnist']).toBeNull();
    expect(out.ratios.dho2VsBestFirstOrder).toBeNull();
    expect(out.notes.some((n) => n.includes('no DHO2 variant reached'))).toBe(true);
    expect(out.notes.some((n) => n.includes('K-FAC never reached') && n.includes('0.852'))).toBe(true);
    // The accuracy delta still stands: it does not need the curve.
    expect(out.ratios['dho2FinalAccuracyDelta/fashion-mnist']).toBeCloseTo(0.8, 10);
  });

  it('leaves out runs that did not finish or lost a tab, and a null data set nulls the headline', () => {
    const mnist = [run('dp-adam', [[5, 0.9], [9, 0.97]], 0.97, 'mnist'), run('dho2-sync', [[3, 0.97]], 0.975, 'mnist', { tabsNotDone: 1 })];
    expect(usableRun(mnist[1] as BenchRun)).toBe(false);
    const out = summariseDho2([...fmnist, ...mnist], []);
    expect(out.ratios['dho2VsBestFirstOrder/mnist']).toBeNull();
    expect(out.ratios['dho2FinalAccuracyDelta/mnist']).toBeNull();
    expect(out.ratios['dho2VsBestFirstOrder/fashion-mnist']).toBeCloseTo(1.5, 12);
    expect(out.ratios.dho2VsBestFirstOrder).toBeNull();
    expect(out.notes.some((n) => n.startsWith('mnist: no finished K-FAC run'))).toBe(true);
    // Without a finished first-order run there is no target at all.
    const none = summariseDho2([run('dp-adam', [], null, 'mnist'), run('dho2-sync', [[1, 0.9]], 0.9, 'mnist')], []);
    expect(none.ratios['dho2VsBestFirstOrder/mnist']).toBeNull();
    expect(none.notes.some((n) => n.includes('no first-order run finished'))).toBe(true);
  });
});

describe('memoryEntries', () => {
  it('divides the N-device peak by the one-device peak, with a 1.15 / N ceiling', () => {
    const { entries, notes } = memoryEntries([mem(1, 80_000), mem(2, 41_000), mem(4, 22_000)]);
    expect(entries.map(([k]) => k)).toEqual(['curvatureMemoryPerTab/N2', 'curvatureMemoryPerTab/N4']);
    expect(entries[0]?.[1]).toBeCloseTo(41_000 / 80_000, 12);
    expect(entries[1]?.[1]).toBeCloseTo(22_000 / 80_000, 12);
    expect(entries[1]?.[2]).toMatchObject({ target: 0.2875, direction: 'max' });
    expect(notes).toEqual([]);
  });

  it('is null without a one-device figure or when an N run failed, and flows into summariseDho2', () => {
    const noOne = memoryEntries([mem(1, null), mem(2, 40_000)]);
    expect(noOne.entries[0]?.[1]).toBeNull();
    expect(noOne.notes).toHaveLength(1);
    expect(memoryEntries([mem(1, 80_000), mem(2, 40_000, 'timeout')]).entries[0]?.[1]).toBeNull();
    const out = summariseDho2([...fmnist, mem(1, 100), mem(2, 50), mem(8, 20)], []);
    expect(out.ratios['curvatureMemoryPerTab/N2']).toBeCloseTo(0.5, 12);
    expect(out.ratios['curvatureMemoryPerTab/N8']).toBeCloseTo(0.2, 12);
    expect(out.ratioTargets['curvatureMemoryPerTab/N8']?.target).toBeCloseTo(1.15 / 8, 12);
    expect(memoryEntries([]).entries).toEqual([]);
  });
});
