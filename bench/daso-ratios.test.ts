import { describe, expect, it } from 'vitest';
import { accuracyDeltaPoints, dasoPhaseEpochs, globalTrafficTarget, meanGlobalSkip, summariseDaso, usableRun, type DasoMethod } from './daso-ratios.ts';
import type { BenchRun } from './result-types.ts';

function run(method: DasoMethod, trainSeconds: number | null, acc: number | null, globalBytes: number | null, globalSkips: number[] = []): BenchRun {
  return {
    method, name: method, dataset: 'mnist', model: 'mlp', tabs: 4, seed: 1, wallSeconds: (trainSeconds ?? 0) + 3,
    targetAccuracy: null, timeToTargetSeconds: null, stepsToTarget: null, finalTestAccuracy: acc, bytesSent: 0,
    peakBytesPerTab: 0, curve: [], trainSeconds, globalBytes, localBytes: 1, groupSize: 2, globalSkips,
    outcome: trainSeconds === null ? 'timeout' : 'ok', tabsNotDone: 0,
  };
}

describe('dasoPhaseEpochs', () => {
  it('leaves cycling epochs in short runs and reaches the app default from 8 epochs', () => {
    expect([1, 2, 3, 4, 7, 8, 15, 90].map(dasoPhaseEpochs)).toEqual([0, 0, 0, 1, 1, 2, 2, 2]);
  });
});

describe('meanGlobalSkip / globalTrafficTarget', () => {
  it('counts a blocking epoch (gs 0) as a sync every batch', () => {
    expect(meanGlobalSkip([0, 4, 4, 0])).toBe(2.5); // (1 + 4 + 4 + 1) / 4
    expect(meanGlobalSkip([8, 2])).toBe(5);
    expect(meanGlobalSkip([])).toBeNull();
    expect(globalTrafficTarget(2, [0, 4, 4, 0])).toBe(5);
    expect(globalTrafficTarget(null, [4])).toBeNull();
    expect(globalTrafficTarget(2, [])).toBeNull();
  });
});

describe('accuracyDeltaPoints', () => {
  it('is the difference in points, null when a side is missing', () => {
    expect(accuracyDeltaPoints(0.912, 0.93)).toBeCloseTo(-1.8, 10);
    expect(accuracyDeltaPoints(null, 0.9)).toBeNull();
  });
});

describe('summariseDaso', () => {
  const runs = [run('flat-sync', 80, 0.93, 4_000_000), run('hier-sync', 60, 0.925, 1_000_000, [0, 0, 0, 0]), run('daso', 40, 0.921, 400_000, [0, 4, 4, 0])];

  it('computes the named ratios against flat sync', () => {
    const out = summariseDaso(runs, ['n']);
    expect(out.ratios.dasoWallTimeVsFlatSync).toBeCloseTo(0.5, 12);
    expect(out.ratios.dasoAccuracyDelta).toBeCloseTo(-0.9, 10);
    expect(out.ratios.globalBytesReduction).toBeCloseTo(10, 12);
    expect(out.ratios.hierWallTimeVsFlatSync).toBeCloseTo(0.75, 12);
    expect(out.ratios.hierAccuracyDelta).toBeCloseTo(-0.5, 10);
    expect(out.ratios.hierGlobalBytesReduction).toBeCloseTo(4, 12);
    expect(out.ratios.dasoWallTimeVsHierSync).toBeCloseTo(40 / 60, 12);
    expect(Object.keys(out.ratioTargets).sort()).toEqual(Object.keys(out.ratios).sort());
    expect(out.notes).toEqual(['n']);
    expect(out.runs).toBe(runs);
  });

  it('carries the issue targets with their directions, the traffic floor from the DASO trace', () => {
    const t = summariseDaso(runs, []).ratioTargets;
    expect(t.dasoWallTimeVsFlatSync).toMatchObject({ target: 0.66, direction: 'max' });
    expect(t.dasoAccuracyDelta).toMatchObject({ target: -1, direction: 'min' });
    expect(t.globalBytesReduction).toMatchObject({ target: 5, direction: 'min' }); // 2 tabs × mean gs 2.5
  });

  it('gives null where a run is missing or did not finish', () => {
    const out = summariseDaso([run('flat-sync', null, null, 4e6), run('daso', 40, 0.92, 0)], []);
    expect(out.ratios.dasoWallTimeVsFlatSync).toBeNull();
    expect(out.ratios.dasoAccuracyDelta).toBeNull();
    expect(out.ratios.globalBytesReduction).toBeNull(); // nothing measured on DASO's side: no ratio, not Infinity
    expect(out.ratios.hierWallTimeVsFlatSync).toBeNull();
    expect(out.ratioTargets.globalBytesReduction?.target).toBeNull(); // no trace
  });

  it('leaves out a run that lost a tab (dp goes on with 3 tabs) and one missing its status fields', () => {
    const degraded = { ...run('flat-sync', 50, 0.93, 2e6), tabsNotDone: 1 };
    expect(usableRun(degraded)).toBe(false);
    expect(usableRun(run('flat-sync', 50, 0.93, 2e6))).toBe(true);
    const { outcome: _o, tabsNotDone: _t, ...bare } = run('daso', 40, 0.92, 1e5);
    expect(usableRun(bare)).toBe(false);
    const out = summariseDaso([degraded, run('daso', 40, 0.92, 1e5, [4])], []);
    expect(out.ratios.dasoWallTimeVsFlatSync).toBeNull();
    expect(out.ratios.globalBytesReduction).toBeNull();
    // A later usable run of the same method is the one compared.
    const again = summariseDaso([degraded, run('flat-sync', 80, 0.93, 4e6), run('daso', 40, 0.92, 1e5, [4])], []);
    expect(again.ratios.dasoWallTimeVsFlatSync).toBeCloseTo(0.5, 12);
  });
});
