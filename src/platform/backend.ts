/**
 * Per-tab backend choice: detect what this tab can use, self-test and briefly benchmark each candidate
 * (WebGPU first), pick by {@link pickBackend}, and leave the winner active in tfjs.
 *
 * ```mermaid
 * flowchart LR
 *   caps[detectCapabilities] --> loop{{for webgpu, webgl, wasm, cpu}}
 *   loop --> init[tf.setBackend] --> test[runSelfTest] --> bench[measureTrainingThroughput]
 *   bench --> pick[pickBackend] --> active[tf.setBackend winner]
 * ```
 */
import type { BackendName } from '../protocol/messages.ts';
import { BACKEND_NAMES } from './backend-name.ts';
import { formatRate, pickBackend, type BackendMeasurement } from './backend-policy.ts';
import { registerBackends } from './backend-register.ts';
import { withTimeout } from './backend-timeout.ts';
import { detectCapabilities, type BackendCapability, type Capabilities, type CapabilityScope } from './capabilities.ts';
import { measureTrainingThroughput } from './micro-bench.ts';
import { runSelfTest, type SelfTestResult, type Tf } from './self-test.ts';

/** The backend this tab will train on, and how it was chosen. */
export interface BackendChoice {
  readonly backend: BackendName;
  /** GPU adapter / renderer description for webgpu and webgl, '' for wasm and cpu. */
  readonly adapter: string;
  /** Why this backend, in words, e.g. "webgpu adapter is software (swiftshader): wasm measured 2,310 samples/s vs webgpu 290". */
  readonly reason: string;
  /** Device memory estimate in bytes, 0 if unknown. */
  readonly memoryBytes: number;
  readonly selfTestPassed: boolean;
  readonly selfTestDetail: string;
  /** Measured training throughput of the benchmark MLP on the chosen backend; 0 if not measured. */
  readonly samplesPerSec: number;
  /** One entry per backend considered, in the order tried. */
  readonly measurements: readonly BackendMeasurement[];
}

/** Options of {@link chooseBackend}. */
export interface ChooseBackendInit {
  /** Use this backend if it works (from `?backend=`); otherwise fall back to the normal choice. */
  readonly override?: BackendName | null;
  /** Backends to consider, in order. Default: webgpu, webgl, wasm, cpu. */
  readonly candidates?: readonly BackendName[];
  /**
   * Soft measuring budget for all backends together, ms, initialisation and warm-ups included; past it,
   * each remaining backend gets only the minimum timed budget. ~3 s keeps a tab's start snappy.
   */
  readonly totalBudgetMs?: number;
  /** Timed budget per backend, ms (see measureTrainingThroughput). */
  readonly perBackendMs?: number;
  /** Benchmark batch size. */
  readonly batch?: number;
  /** Give up on one backend's initialisation after this long, ms. */
  readonly initTimeoutMs?: number;
  /** Globals to detect capabilities from (tests); `globalThis` by default. */
  readonly scope?: CapabilityScope;
}

const DEFAULT_TOTAL_BUDGET_MS = 3000;
const DEFAULT_PER_BACKEND_MS = 600;
/** Below this a measurement is mostly noise; every backend gets at least this, budget spent or not. */
const MIN_PER_BACKEND_MS = 250;
/** WebGPU on SwiftShader took ~1-2 s to initialise here; 10 s only catches a hung driver. */
const DEFAULT_INIT_TIMEOUT_MS = 10_000;
/** Plain-JS cpu backend training the benchmark MLP on a 2-core laptop-class CPU (docs: PLATFORM-FACTS). */
const CPU_TYPICAL_SAMPLES_PER_SEC = 500;

interface Trial {
  readonly measurement: BackendMeasurement;
  /** Null when the backend never got as far as the self-test. */
  readonly selfTest: SelfTestResult | null;
}

interface Settings {
  readonly candidates: readonly BackendName[];
  readonly totalBudgetMs: number;
  readonly perBackendMs: number;
  readonly batch: number;
  readonly initTimeoutMs: number;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Makes `name` the active backend; returns null on success, else why it failed. Never throws. */
async function activate(tf: Tf, name: BackendName, timeoutMs: number): Promise<string | null> {
  if (!(name in tf.engine().registryFactory)) return 'not registered with tfjs in this tab';
  try {
    const done = await withTimeout(tf.setBackend(name), timeoutMs, () => 'timeout' as const);
    if (done === 'timeout') return `initialisation did not finish within ${timeoutMs} ms`;
    if (!done) return 'initialisation failed (tf.setBackend returned false; see the console)';
    await tf.ready();
    return null;
  } catch (e) {
    return `initialisation threw: ${message(e)}`;
  }
}

/** Initialises, self-tests and benchmarks one backend. Never throws. */
async function tryBackend(tf: Tf, cap: BackendCapability, budgetMs: number, s: Settings): Promise<Trial> {
  const base = { backend: cap.backend, available: cap.available, samplesPerSec: null };
  if (!cap.available) return { measurement: { ...base, note: cap.reason }, selfTest: null };
  const failed = await activate(tf, cap.backend, s.initTimeoutMs);
  if (failed !== null) return { measurement: { ...base, note: failed }, selfTest: null };
  const selfTest = await runSelfTest(tf);
  if (!selfTest.passed) return { measurement: { ...base, note: `self-test failed: ${selfTest.detail}` }, selfTest };
  try {
    const r = await measureTrainingThroughput(tf, { budgetMs, batch: s.batch });
    const note = `${r.steps} steps of batch ${s.batch} in ${Math.round(r.elapsedMs)} ms after a ${Math.round(r.warmupMs)} ms warm-up`;
    return { measurement: { ...base, samplesPerSec: r.samplesPerSec, note }, selfTest };
  } catch (e) {
    return { measurement: { ...base, note: `benchmark failed: ${message(e)}` }, selfTest };
  }
}

/** Why cpu is not worth measuring given what is already known, or null to measure it. */
function cpuSkipReason(trials: readonly Trial[]): string | null {
  const best = Math.max(0, ...trials.map((t) => t.measurement.samplesPerSec ?? 0));
  if (best <= 2 * CPU_TYPICAL_SAMPLES_PER_SEC) return null;
  return `skipped: ${formatRate(best)} samples/s already measured, over 2x a typical cpu (${CPU_TYPICAL_SAMPLES_PER_SEC})`;
}

/**
 * Tries every candidate in order. The total budget is soft: once it is spent, the remaining backends get
 * the minimum timed budget instead of being skipped, because a slow software WebGPU's warm-up alone
 * (~2 s on SwiftShader) would otherwise crowd out the backends that win on such machines.
 */
async function measureCandidates(tf: Tf, caps: Capabilities, s: Settings): Promise<Trial[]> {
  const started = performance.now();
  const trials: Trial[] = [];
  for (const name of s.candidates) {
    const cap = caps.backends[name];
    const skip = name === 'cpu' && cap.available ? cpuSkipReason(trials) : null;
    if (skip !== null) {
      trials.push({ measurement: { backend: name, available: true, samplesPerSec: null, note: skip }, selfTest: null });
      continue;
    }
    const remainingMs = s.totalBudgetMs - (performance.now() - started);
    const budgetMs = Math.max(MIN_PER_BACKEND_MS, Math.min(s.perBackendMs, remainingMs));
    trials.push(await tryBackend(tf, cap, budgetMs, s));
  }
  return trials;
}

function choiceOf(caps: Capabilities, trial: Trial, reason: string, measurements: readonly BackendMeasurement[]): BackendChoice {
  const { backend, samplesPerSec } = trial.measurement;
  return {
    backend,
    adapter: caps.backends[backend].adapter,
    reason,
    memoryBytes: caps.memoryBytes,
    selfTestPassed: trial.selfTest?.passed ?? false,
    selfTestDetail: trial.selfTest?.detail ?? 'not run',
    samplesPerSec: samplesPerSec ?? 0,
    measurements,
  };
}

/** Honours `?backend=`: the choice, or why it cannot be honoured. */
async function tryForced(tf: Tf, caps: Capabilities, name: BackendName, s: Settings): Promise<BackendChoice | string> {
  const trial = await tryBackend(tf, caps.backends[name], s.perBackendMs, s);
  if (trial.selfTest === null) return `?backend=${name} not usable (${trial.measurement.note})`;
  const others = s.candidates.filter((n) => n !== name);
  const measurements = [
    trial.measurement,
    ...others.map((n) => ({ backend: n, available: caps.backends[n].available, samplesPerSec: null, note: `not measured: forced by ?backend=${name}` })),
  ];
  return choiceOf(caps, trial, `forced by ?backend=${name}`, measurements);
}

/** Nothing could be measured: run on cpu (always registered) and say so. */
async function lastResort(tf: Tf, caps: Capabilities, trials: readonly Trial[], prefix: string): Promise<BackendChoice> {
  const failed = await activate(tf, 'cpu', DEFAULT_INIT_TIMEOUT_MS);
  const selfTest = failed === null ? await runSelfTest(tf) : { passed: false, detail: `cpu: ${failed}` };
  const trial: Trial = { measurement: { backend: 'cpu', available: true, samplesPerSec: null, note: 'last resort' }, selfTest };
  const why = trials.map((t) => `${t.measurement.backend}: ${t.measurement.note}`).join('; ');
  return choiceOf(caps, trial, `${prefix}no backend could be measured (${why}); cpu as the last resort`, trials.map((t) => t.measurement));
}

/**
 * Frees backends this call initialised but did not choose (a WebGL context, a WebGPU device, a WASM
 * heap), keeping each registered so that it can be set again later.
 */
function releaseUnused(tf: Tf, chosen: BackendName, initialisedBefore: ReadonlySet<string>): void {
  const engine = tf.engine();
  for (const name of Object.keys(engine.registry)) {
    const entry = engine.registryFactory[name];
    if (name === chosen || initialisedBefore.has(name) || entry === undefined) continue;
    try {
      tf.removeBackend(name);
      tf.registerBackend(name, entry.factory, entry.priority);
    } catch (e) {
      console.warn(`could not release the unused ${name} backend`, e);
    }
  }
}

function settingsOf(init: ChooseBackendInit): Settings {
  return {
    candidates: [...new Set(init.candidates ?? BACKEND_NAMES)],
    totalBudgetMs: init.totalBudgetMs ?? DEFAULT_TOTAL_BUDGET_MS,
    perBackendMs: init.perBackendMs ?? DEFAULT_PER_BACKEND_MS,
    batch: init.batch ?? 64,
    initTimeoutMs: init.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS,
  };
}

/**
 * Chooses this tab's tfjs backend and leaves it active (`tf.getBackend()` is the choice). Never throws
 * for an unavailable or broken backend: each failure becomes a measurement note. Takes about
 * `totalBudgetMs` plus initialisation time.
 *
 * @example
 * const choice = await chooseBackend({ override: 'wasm' }); // from ?backend=wasm
 * console.log(choice.backend, choice.reason, choice.samplesPerSec);
 */
export async function chooseBackend(init: ChooseBackendInit = {}): Promise<BackendChoice> {
  const tf = registerBackends();
  const initialisedBefore = new Set(Object.keys(tf.engine().registry));
  const choice = await decide(tf, settingsOf(init), await detectCapabilities(init.scope), init.override ?? null);
  releaseUnused(tf, choice.backend, initialisedBefore);
  return choice;
}

async function decide(tf: Tf, s: Settings, caps: Capabilities, override: BackendName | null): Promise<BackendChoice> {
  let prefix = '';
  if (override !== null) {
    const forced = await tryForced(tf, caps, override, s);
    if (typeof forced !== 'string') return forced;
    prefix = `${forced}; `;
  }
  const trials = await measureCandidates(tf, caps, s);
  const webgpu = caps.backends.webgpu;
  const pick = pickBackend(
    trials.map((t) => t.measurement),
    { software: webgpu.software, reason: webgpu.reason },
  );
  const winner = pick === null ? undefined : trials.find((t) => t.measurement.backend === pick.backend);
  if (pick === null || winner === undefined) return lastResort(tf, caps, trials, prefix);
  const failed = await activate(tf, pick.backend, s.initTimeoutMs);
  if (failed !== null) return lastResort(tf, caps, trials, `${prefix}${pick.backend} won but then ${failed}; `);
  return choiceOf(caps, winner, `${prefix}${pick.reason}`, trials.map((t) => t.measurement));
}
