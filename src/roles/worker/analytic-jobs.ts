/**
 * The worker's analytic jobs (algos 'fedacnnl', 'pfedacnnl'), each a plain async function the runtime runs
 * detached: accumulate a layer's statistics over the hosted clients (per client group), mask them, and the
 * end-of-run client reports with pFedACnnL's closed-form personal heads. Float64 maths from core/analytic;
 * `pause` is awaited between chunks so heartbeats keep flowing.
 */
import { accuracy, argmaxRows } from '../../core/analytic/dense.ts';
import { forwardAnalytic } from '../../core/analytic/fedacnnl.ts';
import type { AnalyticModel } from '../../core/analytic/fedacnnl.ts';
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import { gramToVector, sumGramStats } from '../../core/analytic/gram.ts';
import { maskWithKeysInSlices } from '../../core/analytic/keyed-masking.ts';
import { chooseLambda } from '../../core/analytic/personalize.ts';
import { meanDiagonal, scaledGamma } from '../../core/analytic/ridge.ts';
import { toFloatBatch } from '../../core/data/batch.ts';
import type { Split } from '../../core/data/dataset.ts';
import { err, ok } from '../../core/result.ts';
import type { Result } from '../../core/result.ts';
import { CLIENT_REPORT_COLUMNS } from '../../protocol/messages.ts';
import type { AnalyticPlan } from '../analytic-plan.ts';
import { ANALYTIC_CHUNK_ROWS, layerAccumulator, layerCount, layerShape, modelFromWeights } from '../analytic-plan.ts';
import type { HostedClient } from './fedavg-job.ts';

/** Per-group sums of one layer, and (pFedACnnL's head) each client's own statistics. */
export interface LayerSums {
  readonly groups: GramStats[];
  readonly perClient: ReadonlyMap<number, GramStats>;
}

/** A client's rows as float64-ready inputs (pixels scaled to [0, 1]) and labels. */
function rowsOf(train: Split, indices: Int32Array, start: number, count: number) {
  return toFloatBatch(train, indices, start, count);
}

/**
 * Accumulates layer `layer` over every hosted client's train rows, into `groups` sums by client group
 * (a client's group outside [0, groups) counts in group 0). With `keepPerClient` also each client's own sum.
 */
export async function accumulateLayer(init: {
  plan: AnalyticPlan; layer: number; weights: readonly Float64Array[]; groups: number; clients: readonly HostedClient[];
  train: Split; keepPerClient: boolean; pause: () => Promise<void>;
}): Promise<LayerSums> {
  const { plan, layer, weights, clients, train } = init;
  const groups = Math.max(1, init.groups);
  // One pass per client (each row forwarded once); the group sums add the clients' sums.
  const own = new Map<number, GramStats>();
  for (const c of clients) {
    const acc = layerAccumulator(plan, layer, weights);
    for (let start = 0; start < c.rows.train.length; start += ANALYTIC_CHUNK_ROWS) {
      const { x, y, count } = rowsOf(train, c.rows.train, start, ANALYTIC_CHUNK_ROWS);
      acc.add(x, count, y);
      await init.pause();
    }
    own.set(c.id, acc.stats());
  }
  const shape = layerShape(plan, layer);
  const sums = Array.from({ length: groups }, (_, g) => {
    const members = clients.filter((c) => (c.group < groups ? c.group : 0) === g).flatMap((c) => own.get(c.id) ?? []);
    const sum = sumGramStats(shape, members);
    if (!sum.ok) throw new Error(`cannot sum this tab's statistics: ${sum.error.message}`); // our own sums: a bug, not bad input
    return sum.value;
  });
  return { groups: sums, perClient: init.keepPerClient ? own : new Map() };
}

/** The G group sums as one vector, [count, A, B] per group: what gets masked. */
export function layerSumsVector(groups: readonly GramStats[]): Float64Array {
  const parts = groups.map(gramToVector);
  const values = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { values.set(p, at); at += p.length; }
  return values;
}

/** The G group sums as one masked ring vector, masked with every roster pair key. */
export async function maskLayerSums(groups: readonly GramStats[], self: number, pairKeys: ReadonlyMap<number, Uint8Array>, label: string, rosterSize: number, pause: () => Promise<void>): Promise<Result<Float64Array, string>> {
  const values = layerSumsVector(groups);
  // In slices with pauses, so heartbeats and messages keep flowing while a large vector is masked.
  const masked = await maskWithKeysInSlices({ values, self, pairKeys, label, numClients: rosterSize, pause });
  return masked.ok ? ok(masked.value) : err(`cannot mask the statistics: ${masked.error.message}`);
}

function accuracyOf(model: AnalyticModel, x: Float32Array, rows: number, labels: Uint8Array, classes: number): number {
  if (rows === 0) return Number.NaN;
  return accuracy(argmaxRows(forwardAnalytic(model, x, rows), rows, classes), labels);
}

/**
 * Per hosted client, a report row (protocol ClientReportMsg): local test accuracy under the global model;
 * with group heads (pFedACnnL) the personal head W_k = (A_k + (λ+γ)I)⁻¹(B_k + λW_anchor), λ and the anchor
 * (group head or global head, ties to global) chosen on the client's validation rows.
 */
export async function clientReports(init: {
  plan: AnalyticPlan; weights: readonly Float64Array[]; groupHeads: Float64Array; groups: number; clients: readonly HostedClient[];
  train: Split; test: Split; headStats: ReadonlyMap<number, GramStats>; pause: () => Promise<void>;
}): Promise<Float64Array> {
  const { plan, clients, train } = init;
  const model = modelFromWeights(plan, init.weights);
  const head = layerCount(plan) - 1;
  const globalHead = init.weights[head] ?? new Float64Array(0);
  const headSize = globalHead.length;
  const out = new Float64Array(clients.length * CLIENT_REPORT_COLUMNS);
  for (const [i, c] of clients.entries()) {
    const test = rowsOf(init.test, c.rows.test, 0, c.rows.test.length);
    const globalAccuracy = accuracyOf(model, test.x, test.count, test.y, plan.numClasses);
    // A pause after each heavy piece (a forward pass, each λ search): a whole client at once held a loaded
    // tab's event loop for 2.0 s in CI, too close to the peers' silence timeout.
    await init.pause();
    let personal = Number.NaN;
    let lambda = Number.NaN;
    const local = init.headStats.get(c.id);
    if (init.groups > 0 && local !== undefined && c.rows.validation.length > 0) {
      const val = rowsOf(train, c.rows.validation, 0, c.rows.validation.length);
      const base = { local, gamma: scaledGamma(local, plan.gamma0), validation: { x: forwardAnalytic(model, val.x, val.count, head), rows: val.count, labels: val.y } };
      const groupHead = c.group < init.groups ? init.groupHeads.subarray(c.group * headSize, (c.group + 1) * headSize) : globalHead;
      await init.pause();
      const toGlobal = chooseLambda({ ...base, groupW: globalHead });
      await init.pause();
      const toGroup = chooseLambda({ ...base, groupW: Float64Array.from(groupHead) });
      await init.pause();
      if (toGlobal.ok && toGroup.ok) {
        const pick = toGroup.value.accuracy > toGlobal.value.accuracy ? toGroup.value : toGlobal.value;
        const personalModel: AnalyticModel = { layers: model.layers.map((l, k) => (k === head ? { ...l, w: pick.w } : l)) };
        personal = accuracyOf(personalModel, test.x, test.count, test.y, plan.numClasses);
        lambda = pick.lambda === Infinity ? Infinity : pick.lambda / Math.max(meanDiagonal(local), Number.MIN_VALUE);
      }
    }
    out.set([c.id, c.rows.train.length, globalAccuracy, personal, lambda, c.group], i * CLIENT_REPORT_COLUMNS);
    await init.pause();
  }
  return out;
}
