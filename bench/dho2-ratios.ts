/**
 * The `dho2` suite's arithmetic, pure: DHO2 (distributed FOSI with sharded curvature) against data-parallel
 * first-order training and distributed K-FAC on the same task, seed, batch and epochs, plus DHO2's curvature
 * memory per device at N devices. The suite (suite-dho2.ts) measures; this only computes.
 *
 * Per data set: target accuracy = 0.99 × the best first-order method's final test accuracy (so that method
 * reaches it by construction); a run's time to target = its first curve point at or above it (no
 * interpolation). Targets from the issue: the best DHO2 variant reaches the target ≥ 1.4× sooner than the best
 * first-order baseline and than K-FAC, with equal or better final accuracy; per-device curvature memory at N
 * devices ≤ 1.15 / N of the one-device figure.
 *
 * @example
 * const out = summariseDho2(runs, notes);
 * out.ratios['dho2VsBestFirstOrder/fashion-mnist']; // e.g. 1.6: DHO2 reached the target 1.6× sooner
 */
import type { BenchRun, RatioTarget } from './result-types.ts';
import { ratio, timeToTarget } from './stats.ts';
import type { SuiteOutcome } from './suite-context.ts';

/**
 * The training runs of one data set, in the order the suite runs them. 'dho2-extrapolate' is DHO2 sync with the
 * released code's ADMM-like extrapolation; 'dho2-admm' is our consensus ADMM variant (ALGORITHMS.md §2.4).
 */
export const DHO2_SUITE_METHODS = ['dp-adam', 'dp-sgdm', 'kfac', 'dho2-sync', 'dho2-parallel', 'dho2-extrapolate', 'dho2-admm'] as const;
export type Dho2SuiteMethod = (typeof DHO2_SUITE_METHODS)[number];
export const FIRST_ORDER_METHODS: readonly Dho2SuiteMethod[] = ['dp-adam', 'dp-sgdm'];
/** Every DHO2 variant: the headlines take the best of them. */
export const DHO2_VARIANTS: readonly Dho2SuiteMethod[] = ['dho2-sync', 'dho2-parallel', 'dho2-extrapolate', 'dho2-admm'];
/** The method of the short N-device runs that read DHO2's curvature memory (field `maxPeakFloats`). */
export const MEMORY_METHOD = 'curvature-memory';

/** Target accuracy = this × the best first-order final test accuracy. */
export const TARGET_FRACTION = 0.99;
/** DHO2 must reach the target at least this many times sooner (dho2VsBestFirstOrder, dho2VsSecondOrder). */
export const SPEEDUP_TARGET = 1.4;
/** Best DHO2 final accuracy − best baseline's, in points: at least 0. */
export const ACCURACY_DELTA_TARGET = 0;
/** Per-device curvature memory at N devices ≤ this / N of the one-device figure. */
export const MEMORY_SLACK = 1.15;

/** The memory target for N devices: 1.15 / N (0.575 for 2, 0.2875 for 4). */
export const memoryTarget = (n: number): number => MEMORY_SLACK / n;

/** Whether a run measured what its method names: finished (`outcome` 'ok') with every tab done. */
export function usableRun(r: BenchRun): boolean {
  return r.outcome === 'ok' && r.tabsNotDone === 0;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The fastest of `runs` whose method is in `methods` to reach `target`, or null when none does. */
export function fastestTo(runs: readonly BenchRun[], methods: readonly string[], target: number): { readonly seconds: number; readonly run: BenchRun } | null {
  let best: { seconds: number; run: BenchRun } | null = null;
  for (const run of runs) {
    if (!methods.includes(run.method)) continue;
    const seconds = timeToTarget(run.curve, target);
    if (seconds !== null && (best === null || seconds < best.seconds)) best = { seconds, run };
  }
  return best;
}

/** The run with the highest final test accuracy among `methods`, or null. */
export function mostAccurate(runs: readonly BenchRun[], methods: readonly string[]): BenchRun | null {
  let best: BenchRun | null = null;
  for (const r of runs) {
    if (!methods.includes(r.method) || r.finalTestAccuracy === null) continue;
    if (best?.finalTestAccuracy == null || r.finalTestAccuracy > best.finalTestAccuracy) best = r;
  }
  return best;
}

/** One data set's target accuracy (null when no first-order run finished) and the run it came from. */
export function datasetTarget(runs: readonly BenchRun[]): { readonly target: number; readonly from: BenchRun } | null {
  const best = mostAccurate(runs.filter(usableRun), FIRST_ORDER_METHODS);
  return best?.finalTestAccuracy == null ? null : { target: TARGET_FRACTION * best.finalTestAccuracy, from: best };
}

/** Worst (smallest) of per-data-set values; null when there are none or any is null (a miss is not a pass). */
export function worstOrNull(values: readonly (number | null)[]): number | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  return Math.min(...(values as number[]));
}

type Entry = readonly [string, number | null, RatioTarget];
const fmt = (v: number | null): string => (v === null ? '—' : v.toFixed(3));

/** The per-data-set ratios and notes; also the runs with their target accuracy and time to it filled in. */
function datasetEntries(dataset: string, all: readonly BenchRun[]): { entries: Entry[]; notes: string[]; runs: Map<BenchRun, BenchRun> } {
  const runs = all.filter(usableRun);
  const entries: Entry[] = [];
  const notes: string[] = [];
  const filled = new Map<BenchRun, BenchRun>();
  const t = datasetTarget(runs);
  const deltaKey = `dho2FinalAccuracyDelta/${dataset}`;
  const bestDho2 = mostAccurate(runs, DHO2_VARIANTS);
  const bestBase = mostAccurate(runs, [...FIRST_ORDER_METHODS, 'kfac']);
  const delta = bestDho2?.finalTestAccuracy == null || bestBase?.finalTestAccuracy == null ? null : 100 * (bestDho2.finalTestAccuracy - bestBase.finalTestAccuracy);
  const deltaEntry: Entry = [deltaKey, delta, { target: ACCURACY_DELTA_TARGET, direction: 'min', meaning: `${dataset}: best DHO2 variant's final test accuracy (${bestDho2?.name ?? 'none finished'}) − best baseline's (first-order or K-FAC: ${bestBase?.name ?? 'none finished'}), in points` }];
  if (t === null) {
    notes.push(`${dataset}: no first-order run finished, so there is no target accuracy: time ratios null`);
    return { entries: [[`dho2VsBestFirstOrder/${dataset}`, null, speedupTarget(dataset, 'first-order', null)], [`dho2VsSecondOrder/${dataset}`, null, speedupTarget(dataset, 'K-FAC', null)], deltaEntry], notes, runs: filled };
  }
  for (const r of all) filled.set(r, { ...r, targetAccuracy: t.target, timeToTargetSeconds: usableRun(r) ? timeToTarget(r.curve, t.target) : null });
  const fo = fastestTo(runs, FIRST_ORDER_METHODS, t.target);
  const dho2 = fastestTo(runs, DHO2_VARIANTS, t.target);
  const kfac = fastestTo(runs, ['kfac'], t.target);
  if (fo === null) notes.push(`${dataset}: no first-order curve point reached ${t.target.toFixed(4)} (0.99 × ${t.from.name}'s final ${fmt(t.from.finalTestAccuracy)}, which came from the final full evaluation): dho2VsBestFirstOrder null`);
  if (dho2 === null) notes.push(`${dataset}: no DHO2 variant reached the target ${t.target.toFixed(4)}: dho2VsBestFirstOrder and dho2VsSecondOrder null`);
  if (!runs.some((r) => r.method === 'kfac')) notes.push(`${dataset}: no finished K-FAC run: dho2VsSecondOrder null`);
  else if (kfac === null) {
    const k = runs.find((r) => r.method === 'kfac');
    notes.push(`${dataset}: K-FAC never reached the target ${t.target.toFixed(4)} (its final test accuracy ${fmt(k?.finalTestAccuracy ?? null)}): dho2VsSecondOrder null`);
  }
  const bestVariant = dho2 === null ? 'none reached it' : `${dho2.run.name} at ${dho2.seconds.toFixed(1)} s`;
  entries.push(
    [`dho2VsBestFirstOrder/${dataset}`, ratio(fo?.seconds, dho2?.seconds), speedupTarget(dataset, `the fastest first-order run (${fo === null ? 'none reached it' : `${fo.run.name} at ${fo.seconds.toFixed(1)} s`})`, `${t.target.toFixed(4)}; best DHO2: ${bestVariant}`)],
    [`dho2VsSecondOrder/${dataset}`, ratio(kfac?.seconds, dho2?.seconds), speedupTarget(dataset, `K-FAC (${kfac === null ? 'never reached it' : `${kfac.seconds.toFixed(1)} s`})`, `${t.target.toFixed(4)}; best DHO2: ${bestVariant}`)],
    deltaEntry,
  );
  for (const v of DHO2_VARIANTS) {
    const own = fastestTo(runs, [v], t.target);
    if (runs.some((r) => r.method === v)) entries.push([`variantVsBestFirstOrder/${dataset}/${v}`, ratio(fo?.seconds, own?.seconds), { target: null, direction: 'min', meaning: `${dataset}: the fastest first-order run's seconds to the target / ${v}'s (reference; null: one side never reached it)` }]);
  }
  return { entries, notes, runs: filled };
}

function speedupTarget(dataset: string, against: string, target: string | null): RatioTarget {
  return { target: SPEEDUP_TARGET, direction: 'min', meaning: `${dataset}: seconds to the target accuracy${target === null ? '' : ` ${target}`}, ${against} / the fastest DHO2 variant's (first curve point ≥ target; 0.99 × the best first-order final accuracy)` };
}

/**
 * curvatureMemoryPerTab/N<n> = max over shards of peakFloats with n devices / the same with 1 device, for
 * every memory run with n > 1. Memory runs carry `maxPeakFloats` (number or null).
 */
export function memoryEntries(runs: readonly BenchRun[]): { entries: Entry[]; notes: string[] } {
  const mem = runs.filter((r) => r.method === MEMORY_METHOD && r.outcome === 'ok');
  const floatsAt = (n: number): number | null => num(mem.find((r) => r.tabs === n)?.maxPeakFloats);
  const one = floatsAt(1);
  const notes: string[] = [];
  const ns = [...new Set(runs.filter((r) => r.method === MEMORY_METHOD && r.tabs > 1).map((r) => r.tabs))].sort((a, b) => a - b);
  if (ns.length > 0 && one === null) notes.push('curvature memory: no one-device figure (the 1-tab run did not install curvature): curvatureMemoryPerTab null');
  const entries: Entry[] = ns.map((n) => [`curvatureMemoryPerTab/N${n}`, ratio(floatsAt(n), one), {
    target: memoryTarget(n), direction: 'max',
    meaning: `max over devices of peak curvature floats (ShardRow.peakFloats, float64 counted twice) with ${n} devices / with 1 device, after the first installed refresh; target ${MEMORY_SLACK} / ${n}`,
  }]);
  return { entries, notes };
}

/**
 * The suite's ratios from its runs. Training runs carry `method` (a Dho2SuiteMethod), `dataset`, `outcome`,
 * `tabsNotDone` and the coordinator's curve; memory runs carry `tabs` and `maxPeakFloats`. Keys: per data set
 * `dho2VsBestFirstOrder/<dataset>`, `dho2VsSecondOrder/<dataset>`, `dho2FinalAccuracyDelta/<dataset>` (and
 * reference `variantVsBestFirstOrder/<dataset>/<variant>`), headlines without the suffix (the worst data set;
 * null when any data set's is null), and `curvatureMemoryPerTab/N<n>`. The returned runs have
 * `targetAccuracy` and `timeToTargetSeconds` filled in where their data set has a target.
 */
export function summariseDho2(runs: readonly BenchRun[], notes: readonly string[]): SuiteOutcome {
  const training = runs.filter((r) => r.method !== MEMORY_METHOD && r.dataset !== null);
  const datasets = [...new Set(training.map((r) => r.dataset as string))];
  const perDataset = datasets.map((d) => ({ dataset: d, ...datasetEntries(d, training.filter((r) => r.dataset === d)) }));
  const valueOf = (key: string): number | null => {
    for (const p of perDataset) for (const [k, v] of p.entries) if (k === key) return v;
    return null;
  };
  const headline = (name: string, target: number, meaning: string): Entry =>
    [name, worstOrNull(datasets.map((d) => valueOf(`${name}/${d}`))), { target, direction: 'min', meaning: `worst over ${datasets.length} data set(s) (${datasets.join(', ')}) of ${meaning}; null when any data set's is null` }];
  const entries: Entry[] = datasets.length === 0 ? [] : [
    headline('dho2VsBestFirstOrder', SPEEDUP_TARGET, 'the fastest first-order run\'s seconds to the target accuracy / the fastest DHO2 variant\'s'),
    headline('dho2VsSecondOrder', SPEEDUP_TARGET, 'K-FAC\'s seconds to the target accuracy / the fastest DHO2 variant\'s'),
    headline('dho2FinalAccuracyDelta', ACCURACY_DELTA_TARGET, 'best DHO2 final test accuracy − best baseline\'s, in points'),
  ];
  for (const p of perDataset) entries.push(...p.entries);
  const memory = memoryEntries(runs);
  entries.push(...memory.entries);
  const ratios: Record<string, number | null> = {};
  const ratioTargets: Record<string, RatioTarget> = {};
  for (const [key, value, t] of entries) { ratios[key] = value; ratioTargets[key] = t; }
  const filled = runs.map((r) => perDataset.find((p) => p.dataset === r.dataset)?.runs.get(r) ?? r);
  return { runs: filled, ratios, ratioTargets, notes: [...notes, ...perDataset.flatMap((p) => p.notes), ...memory.notes] };
}
