/** The baseline suite's ratios, from one data-parallel run per tab count. Pure. */
import type { BenchRun, RatioTarget } from './result-types.ts';
import { ratio } from './stats.ts';
import type { SuiteOutcome } from './suite-context.ts';

/**
 * speedupN = time to `target` accuracy with 1 tab / with N tabs; trainTimeSpeedupN = training seconds for
 * the same epochs, 1 tab / N tabs; efficiencyN = samples/s per tab with N tabs / samples/s of 1 tab;
 * samplesPerSecPerTabN = the per-tab throughput itself. Runs carry `trainSeconds`, `samplesPerSec` and
 * `samplesPerSecPerTab` (numbers or null).
 */
export function summariseBaseline(runs: readonly BenchRun[], target: number, notes: readonly string[]): SuiteOutcome {
  const by = (n: number): BenchRun | undefined => runs.find((r) => r.tabs === n);
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const one = by(1);
  const ratios: Record<string, number | null> = {};
  const ratioTargets: Record<string, RatioTarget> = {};
  for (const n of [2, 4]) {
    const r = by(n);
    if (r === undefined) continue;
    ratios[`speedup${n}`] = ratio(one?.timeToTargetSeconds, r.timeToTargetSeconds);
    ratioTargets[`speedup${n}`] = { target: null, direction: 'min', meaning: `time to ${target} accuracy with 1 tab / with ${n} tabs (ideal ${n}; > 1 means faster)` };
    ratios[`trainTimeSpeedup${n}`] = ratio(num(one?.trainSeconds), num(r.trainSeconds));
    ratioTargets[`trainTimeSpeedup${n}`] = { target: null, direction: 'min', meaning: `training seconds for the same epochs, 1 tab / ${n} tabs` };
    ratios[`efficiency${n}`] = ratio(num(r.samplesPerSecPerTab), num(one?.samplesPerSec));
    ratioTargets[`efficiency${n}`] = { target: null, direction: 'min', meaning: `samples/s per tab with ${n} tabs / samples/s of 1 tab (ideal 1)` };
  }
  for (const r of runs) {
    ratios[`samplesPerSecPerTab${r.tabs}`] = num(r.samplesPerSecPerTab);
    ratioTargets[`samplesPerSecPerTab${r.tabs}`] = { target: null, direction: 'min', meaning: `training samples/s per tab with ${r.tabs} tab(s) (not a ratio: the per-tab throughput)` };
  }
  return { runs, ratios, ratioTargets, notes };
}
