/**
 * The shape of a benchmark result file (`bench-results/<suite>.json`). Plain JSON, read by the HTML
 * report and by people comparing runs; fields are only ever added.
 */

/** The suites the runner knows, in the order `--suite all` runs them. */
export const SUITE_NAMES = ['transport', 'backends', 'baseline', 'analytic', 'daso', 'dho2', 'chaos'] as const;
/** One of {@link SUITE_NAMES}. */
export type SuiteName = (typeof SUITE_NAMES)[number];

/** The machine the numbers were taken on. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memGiB: number;
  readonly node: string;
  readonly chromium: string;
  readonly os: string;
}

/** A JSON value a run may carry in a suite-specific field. */
export type Extra = string | number | boolean | null | readonly number[] | readonly string[];

/**
 * One measured run. Training fields are null / 0 where a suite does not train; suites add their own
 * fields (e.g. `throughputMBps`, `samplesPerSec`, `backend`) beside the common ones.
 */
export interface BenchRun {
  /** What was measured, e.g. 'dp', 'raw-datachannel', 'peerjs-transport', 'replica-loop', 'model-fit'. */
  readonly method: string;
  /** Short label for plots and tables, unique within the suite. */
  readonly name: string;
  readonly dataset: string | null;
  readonly model: string | null;
  readonly tabs: number;
  readonly seed: number;
  readonly wallSeconds: number;
  readonly targetAccuracy: number | null;
  readonly timeToTargetSeconds: number | null;
  readonly stepsToTarget: number | null;
  readonly finalTestAccuracy: number | null;
  readonly bytesSent: number;
  /** Max over tabs of the sampled JS heap (plus tfjs tensor bytes where the page exposes them). */
  readonly peakBytesPerTab: number;
  /** [seconds, accuracy] pairs; empty for non-training runs. */
  readonly curve: readonly (readonly [number, number])[];
  /** Suite-specific fields. */
  readonly [field: string]: Extra | readonly (readonly [number, number])[] | undefined;
}

/** What a ratio means and its target, so the report can say pass or miss without knowing the suite. */
export interface RatioTarget {
  /** The value the ratio should reach; null when there is no target. */
  readonly target: number | null;
  /** 'min': value >= target passes; 'max': value <= target passes. */
  readonly direction: 'min' | 'max';
  readonly meaning: string;
}

/** A whole result file. */
export interface SuiteResult {
  readonly suite: SuiteName;
  readonly machine: MachineInfo;
  /** ISO 8601. */
  readonly startedAt: string;
  /** The command line that produced the file. */
  readonly command: string;
  readonly runs: readonly BenchRun[];
  /** name → value; null when one side of the ratio could not be measured. */
  readonly ratios: Readonly<Record<string, number | null>>;
  /** name → target and meaning, for every key of `ratios`. */
  readonly ratioTargets: Readonly<Record<string, RatioTarget>>;
  /** Observations the suite wants in the report (bottlenecks, skipped backends, failures). */
  readonly notes: readonly string[];
}
