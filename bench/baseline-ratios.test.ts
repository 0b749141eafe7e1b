import { describe, expect, it } from 'vitest';
import { summariseBaseline } from './baseline-ratios.ts';
import type { BenchRun } from './result-types.ts';

function run(tabs: number, ttt: number | null, trainSeconds: number, samplesPerSec: number): BenchRun {
  return {
    method: 'dp', name: `${tabs}`, dataset: 'mnist', model: 'mlp', tabs, seed: 1, wallSeconds: trainSeconds + 5,
    targetAccuracy: 0.9, timeToTargetSeconds: ttt, stepsToTarget: null, finalTestAccuracy: 0.9, bytesSent: 0,
    peakBytesPerTab: 0, curve: [], trainSeconds, samplesPerSec, samplesPerSecPerTab: samplesPerSec / tabs,
  };
}

describe('summariseBaseline', () => {
  it('computes speedups from time to target, training time and per-tab throughput', () => {
    const out = summariseBaseline([run(1, 10, 20, 4000), run(2, 20, 30, 3000), run(4, null, 60, 2000)], 0.9, []);
    expect(out.ratios.speedup2).toBeCloseTo(0.5);
    expect(out.ratios.speedup4).toBeNull(); // 4 tabs never reached the target
    expect(out.ratios.trainTimeSpeedup4).toBeCloseTo(20 / 60);
    expect(out.ratios.efficiency2).toBeCloseTo(1500 / 4000);
    expect(out.ratios.samplesPerSecPerTab4).toBe(500);
    expect(Object.keys(out.ratioTargets).sort()).toEqual(Object.keys(out.ratios).sort());
  });

  it('leaves out tab counts that were not run (--tabs 2)', () => {
    const out = summariseBaseline([run(1, 10, 20, 4000), run(2, 5, 10, 8000)], 0.9, []);
    expect(out.ratios.speedup2).toBe(2);
    expect('speedup4' in out.ratios).toBe(false);
  });
});
