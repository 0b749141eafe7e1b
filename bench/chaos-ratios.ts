/**
 * The `chaos` suite's arithmetic, pure: a clean data-parallel run and a chaos run of the same task and seed
 * (worker churn every epoch, the coordinator closed mid-run, a rogue tab with a wrong key, a barrage of hostile
 * frames and a x100 poisoning worker; e2e/chaos.spec.ts) become ratios with targets and notes. The suite
 * (suite-chaos.ts) measures; this only computes.
 *
 * @example
 * const out = summariseChaos(runs, measurements, notes);
 * out.ratios.accuracyDeltaVsClean; // e.g. -0.004: the chaos run ended 0.4 points below the clean one
 */
import type { BenchRun, RatioTarget } from './result-types.ts';
import type { SuiteOutcome } from './suite-context.ts';

/** `name` of the two runs. */
export const CLEAN_RUN = 'clean';
export const CHAOS_RUN = 'chaos';

/** Hostile frames the rogue writes (the e2e test's figure); also the hostileFramesSent target. */
export const HOSTILE_FRAMES = 10_000;
/** The chaos run's final test accuracy may be at most this far below the clean run's. */
export const ACCURACY_TOLERANCE = 0.01;
/** Targets of the issue: a lost worker costs at most 3 s, a lost coordinator at most 15 s. */
export const WORKER_RECOVERY_TARGET_SECONDS = 3;
export const FAILOVER_TARGET_SECONDS = 15;
/** A refused wrong key (the e2e test's checks): this reason, and fewer bytes than this received all the same. */
export const WRONG_KEY_REFUSAL = /^unauthenticated: wrong room key/;
export const MAX_BYTES_BEFORE_REFUSAL = 500;

/** One worker tab closed at an epoch boundary of the chaos run. */
export interface WorkerClosure {
  readonly epoch: number;
  readonly tab: string;
  /** The worker's peer id just before it was closed; null when its status could not be read. */
  readonly peerId: string | null;
  /** The coordinating tab's step when the worker was closed; null when it could not be read. */
  readonly stepAtClose: number | null;
  /** Seconds until the coordinator dropped the peer and stepped past stepAtClose; null when not measured or not recovered. */
  readonly recoverySeconds: number | null;
}

/** What the rogue's wrong-key attempt got (rogue-page.ts `wrongKey()`); `refused` is '' when it was let in. */
export interface WrongKeyAttempt {
  readonly refused: string;
  readonly bytesReceived: number;
}

/** The chaos run's measurements beside its BenchRun. Null: not measured (the run stopped before). */
export interface ChaosMeasurements {
  readonly workerClosures: readonly WorkerClosure[];
  readonly coordinatorFailoverSeconds: number | null;
  readonly hostileFramesSent: number | null;
  /** Hostile frames by kind (rogue-chaos.ts BarrageReport.kinds). */
  readonly hostileKinds: Readonly<Record<string, number>> | null;
  readonly poisonedUpdatesSent: number | null;
  readonly wrongKey: WrongKeyAttempt | null;
  /** Renderer crashes over every page of both runs. */
  readonly tabCrashes: number;
}

/** 1 when the wrong key was refused before the rogue received anything worth mentioning, 0 when not, null when not tried. */
export function wrongKeyRefused(a: WrongKeyAttempt | null): number | null {
  if (a === null) return null;
  return WRONG_KEY_REFUSAL.test(a.refused) && a.bytesReceived < MAX_BYTES_BEFORE_REFUSAL ? 1 : 0;
}

/** The slowest recovery over the closures; null when there were none or any was not measured (a miss is not a pass). */
export function slowestRecovery(closures: readonly WorkerClosure[]): number | null {
  const seconds = closures.map((c) => c.recoverySeconds);
  if (seconds.length === 0 || seconds.some((s) => s === null)) return null;
  return Math.max(...(seconds as number[]));
}

/** Chaos final test accuracy − clean final test accuracy (signed); null when either run did not finish. */
export function accuracyDeltaVsClean(runs: readonly BenchRun[]): number | null {
  const clean = runs.find((r) => r.name === CLEAN_RUN)?.finalTestAccuracy ?? null;
  const chaos = runs.find((r) => r.name === CHAOS_RUN)?.finalTestAccuracy ?? null;
  return clean === null || chaos === null ? null : chaos - clean;
}

const fmt = (v: number | null, digits: number): string => (v === null ? '—' : v.toFixed(digits));

function closureNote(c: WorkerClosure): string {
  const what = `worker closure at epoch ${c.epoch}: ${c.tab} (peer ${c.peerId ?? 'unknown'}), the coordinator at step ${c.stepAtClose ?? 'unknown'}`;
  if (c.peerId === null || c.stepAtClose === null) return `${what}: recovery not measured (its peer id or the coordinator's step could not be read)`;
  return c.recoverySeconds === null
    ? `${what}: NOT recovered (the coordinator kept the peer or did not step past ${c.stepAtClose} within the suite's wait)`
    : `${what}: peer dropped and training past step ${c.stepAtClose} after ${c.recoverySeconds.toFixed(2)} s`;
}

/** What happened, for the report: one line per closure, the failover, the rogue's attacks, crashes. */
function measurementNotes(m: ChaosMeasurements): string[] {
  const notes = m.workerClosures.length === 0
    ? ['no worker tab was closed (the run has one epoch, or it stopped before the first epoch boundary): workerLossRecoverySeconds null']
    : m.workerClosures.map(closureNote);
  notes.push(m.coordinatorFailoverSeconds === null
    ? 'coordinator failover: not measured (the coordinator was not closed, or no worker tab took over and trained)'
    : `coordinator failover: a worker tab coordinated and trained ${m.coordinatorFailoverSeconds.toFixed(2)} s after the coordinator tab was closed`);
  notes.push(m.wrongKey === null
    ? 'wrong room key: not tried'
    : `wrong room key: ${m.wrongKey.refused === '' ? 'ADMITTED' : `refused ("${m.wrongKey.refused}")`}, ${m.wrongKey.bytesReceived} bytes received by the rogue`);
  const kinds = m.hostileKinds === null ? '' : `: ${Object.entries(m.hostileKinds).map(([k, n]) => `${k} ${n}`).join(', ')}`;
  notes.push(`hostile frames sent: ${m.hostileFramesSent ?? 'not measured'}${kinds}; x100 gradients sent by the poisoning worker: ${m.poisonedUpdatesSent ?? 'not measured'}; renderer crashes: ${m.tabCrashes}`);
  return notes;
}

type Entry = readonly [string, number | null, RatioTarget];

/**
 * The suite's outcome. `runs` holds the clean and chaos runs (names CLEAN_RUN, CHAOS_RUN; finalTestAccuracy null
 * when a run did not finish). Ratios: accuracyDeltaVsClean, workerLossRecoverySeconds, coordinatorFailoverSeconds,
 * hostileFramesSent, poisonedUpdatesSent, wrongKeyRefused, tabCrashes; null where not measured.
 */
export function summariseChaos(runs: readonly BenchRun[], m: ChaosMeasurements, notes: readonly string[]): SuiteOutcome {
  const delta = accuracyDeltaVsClean(runs);
  const entries: Entry[] = [
    // RatioTarget is one-sided: the e2e test's |delta| <= 0.01 is checked as delta >= -0.01 (a chaos run that ends more accurate passes).
    ['accuracyDeltaVsClean', delta, { target: -ACCURACY_TOLERANCE, direction: 'min', meaning: `chaos run's final test accuracy − the clean run's (same seed), signed; the e2e bound is |delta| ≤ ${ACCURACY_TOLERANCE}, checked here one-sided` }],
    ['workerLossRecoverySeconds', slowestRecovery(m.workerClosures), { target: WORKER_RECOVERY_TARGET_SECONDS, direction: 'max', meaning: 'slowest over the worker tabs closed at epoch boundaries: seconds from closing the tab until the coordinator no longer lists its peer and has stepped past its step at the close (null when any was not measured or not recovered)' }],
    ['coordinatorFailoverSeconds', m.coordinatorFailoverSeconds, { target: FAILOVER_TARGET_SECONDS, direction: 'max', meaning: 'seconds from closing the coordinator tab mid epoch 1 until a worker tab reports role coordinator and phase training' }],
    ['hostileFramesSent', m.hostileFramesSent, { target: HOSTILE_FRAMES, direction: 'min', meaning: 'malformed, oversized, out-of-order and forbidden frames the rogue insider wrote to the coordinator (not a ratio: a count)' }],
    ['poisonedUpdatesSent', m.poisonedUpdatesSent, { target: 1, direction: 'min', meaning: 'gradient messages the x100 poisoning worker sent (at least one, or the clipping rule was not exercised)' }],
    ['wrongKeyRefused', wrongKeyRefused(m.wrongKey), { target: 1, direction: 'min', meaning: `1 when the rogue's wrong room key was refused (unauthenticated) with fewer than ${MAX_BYTES_BEFORE_REFUSAL} bytes received, else 0` }],
    ['tabCrashes', m.tabCrashes, { target: 0, direction: 'max', meaning: 'renderer crashes (page "crash" events) over every page of both runs' }],
  ];
  const ratios: Record<string, number | null> = {};
  const ratioTargets: Record<string, RatioTarget> = {};
  for (const [key, value, t] of entries) { ratios[key] = value; ratioTargets[key] = t; }
  const clean = runs.find((r) => r.name === CLEAN_RUN)?.finalTestAccuracy ?? null;
  const chaos = runs.find((r) => r.name === CHAOS_RUN)?.finalTestAccuracy ?? null;
  const accuracy = `final test accuracy: clean ${fmt(clean, 4)}, chaos ${fmt(chaos, 4)}${delta === null ? ' (a run did not finish: accuracyDeltaVsClean null)' : ''}; accuracyDeltaVsClean is checked one-sided (≥ −${ACCURACY_TOLERANCE}) because a ratio target has one direction; |delta| ≤ ${ACCURACY_TOLERANCE} is the e2e bound`;
  return { runs, ratios, ratioTargets, notes: [...notes, accuracy, ...measurementNotes(m)] };
}
