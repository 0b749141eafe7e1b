/**
 * The `analytic` suite's arithmetic, pure: FedACnnL's time against FedAvg's on the same (data set, split),
 * pFedACnnL's personalised local-accuracy gain, and partition invariance (the swarm's solved layers against
 * a centralised solve of the same rows in Node). The suite (suite-analytic.ts) measures; this only computes.
 */
import { maxRelDiff } from '../src/core/analytic/dense.ts';
import { trainFedAcnnl, type AnalyticLayer } from '../src/core/analytic/fedacnnl.ts';
import { toFloatBatch } from '../src/core/data/batch.ts';
import type { Dataset } from '../src/core/data/dataset.ts';
import { err, ok, type Result } from '../src/core/result.ts';
import { analyticPlan } from '../src/roles/analytic-plan.ts';
import { testConfig } from '../src/testing/run-config.ts';
import type { BenchRun, RatioTarget } from './result-types.ts';
import { maxOf, ratio, timeToTarget } from './stats.ts';
import type { SuiteOutcome } from './suite-context.ts';

/** The three methods of every (data set, split). */
export type AnalyticMethod = 'fedavg' | 'fedacnnl' | 'pfedacnnl';

/** The split whose pFedACnnL gain has a target (spec: pathological non-IID, 2 labels per client). */
export const TARGET_SPLIT = 'labels-2';
/** Targets from the spec: FedACnnL needs ≤ 5 % of FedAvg's time; pFedACnnL gains ≥ 8 points; invariance to 1e-6. */
export const TIME_TARGET = 0.05;
export const GAIN_TARGET_POINTS = 8;
export const INVARIANCE_TARGET = 1e-6;

/** What the time ratio needs of a run: its curve ([seconds since start, test accuracy]), final accuracy, total seconds. */
export interface TimedRun {
  readonly curve: readonly (readonly [number, number])[];
  readonly finalTestAccuracy: number | null;
  /** The coordinator's endedAt − startedAt, or null when the run did not finish. */
  readonly totalSeconds: number | null;
}

/** fedacnnlTimeVsFedAvg of one (data set, split) and its companion (module comment of the suite). */
export interface TimeRatios {
  /** FedACnnL's time to FedAvg's final accuracy / FedAvg's time to its own final; null when FedACnnL ends below it. */
  readonly timeVsFedAvg: number | null;
  /** FedACnnL's total time / FedAvg's time to first reach FedACnnL's final accuracy; null when FedAvg never does. */
  readonly atFedacnnlAccuracy: number | null;
}

/**
 * Both time ratios for one (data set, split). "Time to reach a" is the first curve point with accuracy ≥ a.
 * @example timeRatios({ curve: [[10, 0.8], [20, 0.9]], finalTestAccuracy: 0.9, totalSeconds: 21 }, { curve: [[1, 0.9]], finalTestAccuracy: 0.9, totalSeconds: 1.5 }) // timeVsFedAvg 0.05
 */
export function timeRatios(fedavg: TimedRun, fedacnnl: TimedRun): TimeRatios {
  const avgFinal = fedavg.finalTestAccuracy;
  const accFinal = fedacnnl.finalTestAccuracy;
  if (avgFinal === null || accFinal === null) return { timeVsFedAvg: null, atFedacnnlAccuracy: null };
  const timeVsFedAvg = accFinal >= avgFinal ? ratio(timeToTarget(fedacnnl.curve, avgFinal), timeToTarget(fedavg.curve, avgFinal)) : null;
  const atFedacnnlAccuracy = ratio(fedacnnl.totalSeconds, timeToTarget(fedavg.curve, accFinal));
  return { timeVsFedAvg, atFedacnnlAccuracy };
}

/** pFedACnnL's mean personalised local accuracy − FedACnnL's mean local accuracy, in points (×100). */
export function localAccuracyGainPoints(pfedacnnlMeanPersonal: number | null, fedacnnlMeanLocal: number | null): number | null {
  if (pfedacnnlMeanPersonal === null || fedacnnlMeanLocal === null) return null;
  return 100 * (pfedacnnlMeanPersonal - fedacnnlMeanLocal);
}

/** A solved layer as `window.swarm.analyticWeights()` returns it: rows = inputs + 1 (bias row last), cols = outputs. */
export interface LayerMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: ArrayLike<number>;
}

/**
 * Per layer, maxRelDiff(swarm, central) (relative to the centralised layer's largest entry); null when the
 * swarm's layers are missing or do not have the centralised shapes.
 */
export function layerRelDiffs(swarm: readonly LayerMatrix[] | null, central: readonly AnalyticLayer[]): number[] | null {
  if (swarm?.length !== central.length) return null;
  const out: number[] = [];
  for (const [l, c] of central.entries()) {
    const s = swarm[l];
    if (s?.rows !== c.features + 1 || s.cols !== c.dOut || s.data.length !== c.w.length) return null;
    out.push(maxRelDiff(s.data, c.w));
  }
  return out;
}

/**
 * The centralised FedACnnL solve the swarm must match: one "client" holding the first `trainLimit` training
 * rows (all when 0), pixels scaled as the tabs scale them (`toFloatBatch`), the app's network for `seed`.
 */
export function centralisedSolve(ds: Dataset, trainLimit: number, seed: number): Result<AnalyticLayer[], string> {
  const rows = trainLimit > 0 ? Math.min(trainLimit, ds.train.count) : ds.train.count;
  const { x, y } = toFloatBatch(ds.train, Int32Array.from({ length: rows }, (_, i) => i), 0, rows);
  const plan = analyticPlan(testConfig({ algo: 'fedacnnl', dataset: ds.name, seed, trainLimit }), ds.width * ds.height, ds.numClasses);
  const solved = trainFedAcnnl([{ x, rows, labels: y }], plan);
  return solved.ok ? ok([...solved.value.model.layers]) : err(`centralised solve failed at layer ${solved.error.layer}: ${solved.error.message}`);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A run's TimedRun view (`trainSeconds` is the coordinator's endedAt − startedAt). */
const timed = (r: BenchRun): TimedRun => ({ curve: r.curve, finalTestAccuracy: r.finalTestAccuracy, totalSeconds: num(r.trainSeconds) });

/**
 * The suite's ratios from its runs. Runs carry `method` (an AnalyticMethod), `dataset`, `split` (e.g. 'iid',
 * 'labels-2'), `trainSeconds`, `meanLocalAccuracy`, `meanPersonalAccuracy` and, on FedACnnL runs,
 * `weightsMaxRelDiff` (number or null). Keys: `NAME` (headline) and `NAME/<dataset>[/<split>]`.
 */
export function summariseAnalytic(runs: readonly BenchRun[], notes: readonly string[]): SuiteOutcome {
  const entries: [string, number | null, RatioTarget][] = [];
  const put = (key: string, value: number | null, t: RatioTarget): void => { entries.push([key, value, t]); };
  const find = (dataset: string, split: string, method: AnalyticMethod): BenchRun | undefined =>
    runs.find((r) => r.dataset === dataset && str(r.split) === split && r.method === method);
  const cells: { dataset: string; split: string }[] = [];
  for (const r of runs) if (r.dataset !== null && !cells.some((c) => c.dataset === r.dataset && c.split === str(r.split))) cells.push({ dataset: r.dataset, split: str(r.split) });

  const times: (number | null)[] = [];
  const companions: (number | null)[] = [];
  for (const { dataset, split } of cells) {
    const avg = find(dataset, split, 'fedavg');
    const acc = find(dataset, split, 'fedacnnl');
    const pfed = find(dataset, split, 'pfedacnnl');
    if (avg !== undefined && acc !== undefined) {
      const t = timeRatios(timed(avg), timed(acc));
      times.push(t.timeVsFedAvg);
      companions.push(t.atFedacnnlAccuracy);
      put(`fedacnnlTimeVsFedAvg/${dataset}/${split}`, t.timeVsFedAvg, { target: TIME_TARGET, direction: 'max', meaning: `${dataset}, ${split}: FedACnnL's seconds to FedAvg's final test accuracy / FedAvg's seconds to its own final (null: FedACnnL ended below FedAvg)` });
      put(`fedacnnlTimeVsFedAvgAtFedacnnlAccuracy/${dataset}/${split}`, t.atFedacnnlAccuracy, { target: null, direction: 'max', meaning: `${dataset}, ${split}: FedACnnL's total seconds / FedAvg's seconds to first reach FedACnnL's final test accuracy (null: FedAvg never did)` });
    }
    if (acc !== undefined && pfed !== undefined) {
      const gain = localAccuracyGainPoints(num(pfed.meanPersonalAccuracy), num(acc.meanLocalAccuracy));
      const headline = split === TARGET_SPLIT;
      put(`pfedacnnlLocalAccuracyGain/${dataset}${headline ? '' : `/${split}`}`, gain, {
        target: headline ? GAIN_TARGET_POINTS : null, direction: 'min',
        meaning: `${dataset}, ${split}: pFedACnnL's mean personalised local test accuracy − FedACnnL's mean local test accuracy, in points`,
      });
    }
  }
  // Headlines first (the report lists ratios in key order). A null run is left out of the max: its
  // companion ratio covers it, and the meaning says how many runs the headline spans.
  const measured = (vs: readonly (number | null)[]): number => vs.filter((v) => v !== null).length;
  entries.unshift(
    ['fedacnnlTimeVsFedAvg', maxOf(times), { target: TIME_TARGET, direction: 'max', meaning: `worst (largest) fedacnnlTimeVsFedAvg over the ${measured(times)} of ${times.length} (data set, split) runs where FedACnnL reached FedAvg's final accuracy` }],
    ['fedacnnlTimeVsFedAvgAtFedacnnlAccuracy', maxOf(companions), { target: null, direction: 'max', meaning: `worst (largest) fedacnnlTimeVsFedAvgAtFedacnnlAccuracy over the ${measured(companions)} of ${companions.length} runs where FedAvg reached FedACnnL's final accuracy` }],
  );
  for (const dataset of [...new Set(cells.map((c) => c.dataset))]) {
    const diffs = runs.filter((r) => r.dataset === dataset && r.method === 'fedacnnl').map((r) => num(r.weightsMaxRelDiff));
    // One split without a comparison (weights missing, shapes wrong) leaves invariance unproven: null.
    const value = diffs.length === 0 || diffs.includes(null) ? null : maxOf(diffs);
    put(`partitionInvarianceMaxRelDiff/${dataset}`, value, { target: INVARIANCE_TARGET, direction: 'max', meaning: `${dataset}: max over ${diffs.length} splits and every layer of maxRelDiff(FedACnnL swarm weights, centralised solve of the same rows)` });
  }
  const ratios: Record<string, number | null> = {};
  const ratioTargets: Record<string, RatioTarget> = {};
  for (const [key, value, t] of entries) { ratios[key] = value; ratioTargets[key] = t; }
  return { runs, ratios, ratioTargets, notes };
}
