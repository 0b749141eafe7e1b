/** What every suite gets from the runner, and what it gives back. */
import type { Browser } from '@playwright/test';
import type { BenchOptions } from './cli-args.ts';
import type { ProgressBar } from './progress-bar.ts';
import type { BenchRun, RatioTarget } from './result-types.ts';

/** Shared by the suites of one invocation: one browser, one server. */
export interface SuiteContext {
  readonly browser: Browser;
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly baseUrl: string;
  readonly options: BenchOptions;
  readonly progress: ProgressBar;
}

/** A suite's measurements; the runner adds machine, startedAt and command. */
export interface SuiteOutcome {
  readonly runs: readonly BenchRun[];
  readonly ratios: Readonly<Record<string, number | null>>;
  readonly ratioTargets: Readonly<Record<string, RatioTarget>>;
  readonly notes: readonly string[];
}

/** A suite: runs its measurements one after another (never in parallel: 2 cores). */
export type Suite = (ctx: SuiteContext) => Promise<SuiteOutcome>;

/** The common fields of a run that trains nothing; spread suite-specific fields over it. */
export function nonTrainingRun(method: string, name: string, seed: number, wallSeconds: number): BenchRun {
  return {
    method, name, dataset: null, model: null, tabs: 1, seed, wallSeconds,
    targetAccuracy: null, timeToTargetSeconds: null, stepsToTarget: null, finalTestAccuracy: null,
    bytesSent: 0, peakBytesPerTab: 0, curve: [],
  };
}
