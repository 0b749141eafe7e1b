import { describe, expect, it } from 'vitest';
import { trainFedAcnnl } from '../src/core/analytic/fedacnnl.ts';
import { toFloatBatch } from '../src/core/data/batch.ts';
import { analyticPlan } from '../src/roles/analytic-plan.ts';
import { syntheticDataset } from '../src/testing/synthetic-dataset.ts';
import { testConfig } from '../src/testing/run-config.ts';
import { centralisedSolve, layerRelDiffs, localAccuracyGainPoints, summariseAnalytic, timeRatios, type LayerMatrix } from './analytic-ratios.ts';
import type { BenchRun } from './result-types.ts';

/** FedAvg reaches 0.89 (its final, on the full test split) first at 20 s; its best subset point is 0.90. */
const FEDAVG = { curve: [[10, 0.8], [20, 0.9], [30, 0.89]] as [number, number][], finalTestAccuracy: 0.89, totalSeconds: 31 };

describe('timeRatios', () => {
  it('divides FedACnnL time to FedAvg final by FedAvg time to its own final when FedACnnL gets there', () => {
    const r = timeRatios(FEDAVG, { curve: [[2, 0.95]], finalTestAccuracy: 0.95, totalSeconds: 3 });
    expect(r.timeVsFedAvg).toBeCloseTo(2 / 20, 12);
    expect(r.atFedacnnlAccuracy).toBeNull(); // FedAvg never reaches 0.95
  });

  it('is null below FedAvg final, and the companion uses FedACnnL total time and FedAvg first time at that accuracy', () => {
    const r = timeRatios(FEDAVG, { curve: [[1.5, 0.85]], finalTestAccuracy: 0.85, totalSeconds: 2 });
    expect(r.timeVsFedAvg).toBeNull();
    expect(r.atFedacnnlAccuracy).toBeCloseTo(2 / 20, 12); // 0.80 at 10 s is below 0.85; 0.90 at 20 s is the first above
    const low = timeRatios(FEDAVG, { curve: [[1, 0.7]], finalTestAccuracy: 0.7, totalSeconds: 4 });
    expect(low.atFedacnnlAccuracy).toBeCloseTo(4 / 10, 12);
  });

  it('counts a tie as reaching the accuracy, and gives null for missing finals or a zero FedAvg time', () => {
    expect(timeRatios(FEDAVG, { curve: [[3, 0.89]], finalTestAccuracy: 0.89, totalSeconds: 3 }).timeVsFedAvg).toBeCloseTo(3 / 20, 12);
    expect(timeRatios({ ...FEDAVG, finalTestAccuracy: null }, { curve: [[1, 0.9]], finalTestAccuracy: 0.9, totalSeconds: 1 })).toEqual({ timeVsFedAvg: null, atFedacnnlAccuracy: null });
    expect(timeRatios(FEDAVG, { curve: [], finalTestAccuracy: null, totalSeconds: null })).toEqual({ timeVsFedAvg: null, atFedacnnlAccuracy: null });
    expect(timeRatios({ curve: [[0, 0.9]], finalTestAccuracy: 0.9, totalSeconds: 1 }, { curve: [[1, 0.95]], finalTestAccuracy: 0.95, totalSeconds: 1 }).timeVsFedAvg).toBeNull();
  });
});

describe('localAccuracyGainPoints', () => {
  it('is the difference in points, null when a side is missing', () => {
    expect(localAccuracyGainPoints(0.95, 0.8)).toBeCloseTo(15, 10);
    expect(localAccuracyGainPoints(0.7, 0.75)).toBeCloseTo(-5, 10);
    expect(localAccuracyGainPoints(null, 0.8)).toBeNull();
  });
});

describe('centralisedSolve and layerRelDiffs', () => {
  const ds = syntheticDataset(400, 50, 5);
  const limit = 300;
  const central = centralisedSolve(ds, limit, 7);
  if (!central.ok) throw new Error(central.error);
  const layers = central.value;
  const asMatrices = (ws: readonly { features: number; dOut: number; w: Float64Array }[]): LayerMatrix[] => ws.map((l) => ({ rows: l.features + 1, cols: l.dOut, data: Array.from(l.w) }));

  it('matches a three-client solve of the same first rows (an independent partition of them)', () => {
    // Interleaved clients: every row once, in a different summation order from the centralised solve.
    const clients = [0, 1, 2].map((k) => {
      const idx = Int32Array.from({ length: limit / 3 }, (_, i) => 3 * i + k);
      const b = toFloatBatch(ds.train, idx, 0, idx.length);
      return { x: b.x, rows: idx.length, labels: b.y };
    });
    const swarm = trainFedAcnnl(clients, analyticPlan(testConfig({ seed: 7 }), 784, 10));
    if (!swarm.ok) throw new Error(swarm.error.message);
    const diffs = layerRelDiffs(asMatrices(swarm.value.model.layers), layers);
    expect(diffs).toHaveLength(2);
    for (const d of diffs ?? []) expect(d).toBeLessThan(1e-9);
    expect(layers[0]?.count).toBe(limit);
  });

  it('sees a change of the rows used, of the seed, and of one weight', () => {
    const all = centralisedSolve(ds, 0, 7);
    const reseeded = centralisedSolve(ds, limit, 8);
    if (!all.ok || !reseeded.ok) throw new Error('solve failed');
    expect(all.value[0]?.count).toBe(400);
    expect(Math.max(...(layerRelDiffs(asMatrices(all.value), layers) ?? [0]))).toBeGreaterThan(1e-3);
    expect(Math.max(...(layerRelDiffs(asMatrices(reseeded.value), layers) ?? [0]))).toBeGreaterThan(1e-3);
    const head = layers[1]!;
    const scale = Math.max(...Array.from(head.w, Math.abs));
    const bumped = asMatrices(layers).map((m, l) => (l === 1 ? { ...m, data: Array.from(head.w, (v, i) => (i === 5 ? v + 1e-4 * scale : v)) } : m));
    const diffs = layerRelDiffs(bumped, layers);
    expect(diffs?.[0]).toBe(0);
    expect(diffs?.[1]).toBeCloseTo(1e-4, 9);
  });

  it('is null for missing layers or other shapes', () => {
    expect(layerRelDiffs(null, layers)).toBeNull();
    expect(layerRelDiffs(asMatrices(layers).slice(0, 1), layers)).toBeNull();
    expect(layerRelDiffs(asMatrices(layers).map((m) => ({ ...m, rows: m.cols, cols: m.rows })), layers)).toBeNull();
  });
});

function run(method: string, split: string, extra: Record<string, number | null>, curve: [number, number][], final: number | null): BenchRun {
  return {
    method, name: `${split} ${method}`, dataset: 'mnist', model: null, tabs: 4, seed: 1, wallSeconds: 1, targetAccuracy: null,
    timeToTargetSeconds: null, stepsToTarget: null, finalTestAccuracy: final, bytesSent: 0, peakBytesPerTab: 0, curve, split, ...extra,
  };
}

describe('summariseAnalytic', () => {
  const runs = [
    run('fedavg', 'iid', { trainSeconds: 31 }, FEDAVG.curve, 0.89),
    run('fedacnnl', 'iid', { trainSeconds: 3, meanLocalAccuracy: 0.9, weightsMaxRelDiff: 2e-12 }, [[2, 0.95]], 0.95),
    run('pfedacnnl', 'iid', { trainSeconds: 4, meanPersonalAccuracy: 0.91 }, [[3, 0.94]], 0.94),
    run('fedavg', 'labels-2', { trainSeconds: 40 }, [[10, 0.5], [40, 0.7]], 0.7),
    run('fedacnnl', 'labels-2', { trainSeconds: 5, meanLocalAccuracy: 0.6, weightsMaxRelDiff: 5e-11 }, [[4, 0.65]], 0.65),
    run('pfedacnnl', 'labels-2', { trainSeconds: 6, meanPersonalAccuracy: 0.8 }, [[5, 0.6]], 0.6),
  ];

  it('computes per-split ratios, worst-case headlines and the per-data-set invariance', () => {
    const out = summariseAnalytic(runs, ['n']);
    expect(out.ratios['fedacnnlTimeVsFedAvg/mnist/iid']).toBeCloseTo(0.1, 12);
    expect(out.ratios['fedacnnlTimeVsFedAvg/mnist/labels-2']).toBeNull(); // 0.65 < 0.7
    expect(out.ratios['fedacnnlTimeVsFedAvgAtFedacnnlAccuracy/mnist/labels-2']).toBeCloseTo(5 / 40, 12);
    expect(out.ratios.fedacnnlTimeVsFedAvg).toBeCloseTo(0.1, 12); // the only measured run
    expect(out.ratios.fedacnnlTimeVsFedAvgAtFedacnnlAccuracy).toBeCloseTo(5 / 40, 12);
    expect(out.ratios['pfedacnnlLocalAccuracyGain/mnist']).toBeCloseTo(20, 10); // labels-2: 0.8 − 0.6
    expect(out.ratios['pfedacnnlLocalAccuracyGain/mnist/iid']).toBeCloseTo(1, 10);
    expect(out.ratioTargets['pfedacnnlLocalAccuracyGain/mnist']?.target).toBe(8);
    expect(out.ratioTargets['pfedacnnlLocalAccuracyGain/mnist/iid']?.target).toBeNull();
    expect(out.ratios['partitionInvarianceMaxRelDiff/mnist']).toBe(5e-11);
    expect(Object.keys(out.ratios)[0]).toBe('fedacnnlTimeVsFedAvg');
    expect(Object.keys(out.ratioTargets).sort()).toEqual(Object.keys(out.ratios).sort());
    expect(out.notes).toEqual(['n']);
  });

  it('takes the largest measured time ratio, and leaves invariance unproven when a split lacks weights', () => {
    const slower = runs.map((r) => (r.split === 'labels-2' && r.method === 'fedacnnl' ? { ...r, curve: [[8, 0.75]] as [number, number][], finalTestAccuracy: 0.75, weightsMaxRelDiff: null } : r));
    const out = summariseAnalytic(slower, []);
    expect(out.ratios['fedacnnlTimeVsFedAvg/mnist/labels-2']).toBeCloseTo(8 / 40, 12);
    expect(out.ratios.fedacnnlTimeVsFedAvg).toBeCloseTo(8 / 40, 12);
    expect(out.ratios['partitionInvarianceMaxRelDiff/mnist']).toBeNull();
  });
});
