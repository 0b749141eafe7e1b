/** A small, valid result for the tests of the validator, the report and the writer. */
import type { BenchRun, SuiteResult } from './result-types.ts';

const run = (name: string, tabs: number, curve: [number, number][], extra: Record<string, number | string | null>): BenchRun => ({
  method: 'dp', name, dataset: 'mnist', model: 'mlp', tabs, seed: 1, wallSeconds: 12.5, targetAccuracy: 0.9,
  timeToTargetSeconds: 3, stepsToTarget: 40, finalTestAccuracy: 0.93, bytesSent: 1_000_000, peakBytesPerTab: 40_000_000,
  curve, ...extra,
});

/** Builds a fresh copy each call, so tests may mutate it. */
export function sampleResult(): SuiteResult {
  return {
    suite: 'baseline',
    machine: { cpus: 2, cpuModel: 'Test CPU', memGiB: 8, node: 'v20.0.0', chromium: '156.0', os: 'Linux' },
    startedAt: '2025-01-01T00:00:00.000Z',
    command: 'npm run bench -- --suite baseline --tabs 2',
    runs: [
      run('1 tab', 1, [[1, 0.8], [3, 0.91]], { samplesPerSec: 4000, outcome: 'ok' }),
      run('2 tabs <b>', 2, [[2, 0.7], [6, 0.9]], { samplesPerSec: 800, outcome: 'ok' }),
    ],
    ratios: { speedup2: 0.5, efficiency2: null },
    ratioTargets: {
      speedup2: { target: 1, direction: 'min', meaning: 'time to target, 1 tab / 2 tabs' },
      efficiency2: { target: null, direction: 'min', meaning: 'per-tab throughput share' },
    },
    notes: ['a note & more'],
  };
}
