/**
 * Suite `analytic`: the one-pass analytic methods against FedAvg on the same federated task. Per data set
 * (MNIST all 8,000 training rows; Fashion-MNIST its first 10,000, to keep the run time near MNIST's) and
 * split (IID, Dirichlet 0.5, Dirichlet 0.1, 2 labels per client), three swarms of 4 tabs (--tabs caps it)
 * hosting 20 clients: FedAvg (SGD 0.05, 1 local epoch, batch 32, 20 rounds; 3 with --quick), FedACnnL and
 * pFedACnnL (4 groups), all with the same seed. One swarm at a time, fresh tabs each, driven only through
 * URL parameters and `window.swarm.status()`; FedACnnL's solved layers (`window.swarm.analyticWeights()`)
 * are compared with a centralised solve of the same rows in Node. --quick: MNIST, IID and 2 labels only.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AnalyticLayer } from '../src/core/analytic/fedacnnl.ts';
import { parseDatasetAsset, type DatasetName } from '../src/core/data/dataset.ts';
import type { SwarmStatus } from '../src/ui/snapshot.ts';
import { centralisedSolve, layerRelDiffs, summariseAnalytic, type AnalyticMethod, type LayerMatrix } from './analytic-ratios.ts';
import { HeapTracker, openTab, type Tab } from './browser-driver.ts';
import type { BenchRun } from './result-types.ts';
import { maxOf, timeToTarget } from './stats.ts';
import type { Suite, SuiteContext } from './suite-context.ts';
import { pollUntil, readStatus, urlOf, type Query } from './swarm-poll.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** Federated clients in every run, hosted several per tab. */
const CLIENTS = 20;
const MAX_TABS = 4;
/** FedAvg's communication rounds (the app's `epochs` for algo=fedavg). */
const ROUNDS = 20;
const QUICK_ROUNDS = 3;
const PFED_GROUPS = 4;
/** Backend choice + data load (Fashion-MNIST is 55 MB) + PeerServer registration. */
const RECRUIT_TIMEOUT_MS = 180_000;
/** One swarm: 20 FedAvg rounds with 4 tabs on 2 shared cores take minutes; an analytic run far less. */
const RUN_TIMEOUT_MS = 900_000;
const QUICK_RUN_TIMEOUT_MS = 300_000;

interface DatasetSpec { readonly name: DatasetName; readonly trainLimit: number }
interface SplitSpec { readonly id: string; readonly query: Query }
interface MethodSpec { readonly id: AnalyticMethod; readonly label: string; readonly query: (rounds: number) => Query }

const DATASETS: readonly DatasetSpec[] = [{ name: 'mnist', trainLimit: 0 }, { name: 'fashion-mnist', trainLimit: 10_000 }];
const SPLITS: readonly SplitSpec[] = [
  { id: 'iid', query: { partition: 'iid' } },
  { id: 'dirichlet-0.5', query: { partition: 'dirichlet', alpha: 0.5 } },
  { id: 'dirichlet-0.1', query: { partition: 'dirichlet', alpha: 0.1 } },
  { id: 'labels-2', query: { partition: 'labels', labels: 2 } },
];
const QUICK_SPLITS = new Set(['iid', 'labels-2']);
const METHODS: readonly MethodSpec[] = [
  { id: 'fedavg', label: 'FedAvg', query: (rounds) => ({ algo: 'fedavg', model: 'mlp', optimizer: 'sgd', lr: 0.05, localEpochs: 1, localBatch: 32, epochs: rounds }) },
  { id: 'fedacnnl', label: 'FedACnnL', query: () => ({ algo: 'fedacnnl' }) },
  { id: 'pfedacnnl', label: 'pFedACnnL', query: () => ({ algo: 'pfedacnnl', groups: PFED_GROUPS }) },
];

const readWeights = (tab: Tab): Promise<LayerMatrix[] | null> =>
  tab.page.evaluate(() => window.swarm.analyticWeights()?.layers.map((l) => ({ rows: l.rows, cols: l.cols, data: [...l.data] })) ?? null).catch(() => null);

interface SwarmPlan {
  readonly dataset: DatasetSpec;
  readonly split: SplitSpec;
  readonly method: MethodSpec;
  readonly tabs: number;
  readonly rounds: number;
  readonly timeoutMs: number;
}

/** What one swarm left behind: its run record and, for FedACnnL, the solved layers. */
interface SwarmResult { readonly run: BenchRun; readonly weights: LayerMatrix[] | null }

/** Coordinator log lines kept per run: warnings, errors, and the milestones that say which tabs and rows took part. */
const KEPT_LOG_LINES = 20;
const MILESTONE = /starts:|solved from|rounds done|averaged|finished|left|joined mid-run|failed/;

/** `+1.23 s`: a log line's time since the run started at `t0` (both epoch ms). */
const sinceStart = (t0: number, ms: number): string => `+${((ms - t0) / 1000).toFixed(2)} s`;

/** Each kept line starts with its time since the run started (`+1.23 s`), which breaks a run's time down by phase. */
const keptLog = (s: SwarmStatus | null): string[] => {
  const t0 = s?.startedAt ?? null;
  const at = (ms: number): string => (t0 === null ? '' : `${sinceStart(t0, ms)} `);
  return (s?.log ?? []).filter((l) => l.level !== 'info' || MILESTONE.test(l.text)).slice(-KEPT_LOG_LINES).map((l) => `${at(l.at)}${l.level}: ${l.text}`);
};

/** Worker lines that time a run's phases (worker/runtime.ts), per tab, as seconds since the coordinator's start. */
const TIMING = /statistics of|client reports of|stalled|resumed|resume of/;
function tabTimings(coord: SwarmStatus | null, all: readonly (SwarmStatus | null)[]): string[] {
  const t0 = coord?.startedAt ?? null;
  if (t0 === null) return [];
  return all.flatMap((s, tab) => (s?.log ?? []).filter((l) => TIMING.test(l.text)).map((l) => `tab ${tab} ${sinceStart(t0, l.at)}: ${l.text}`));
}

/** Per client, its hosting tab: 0 = the coordinator tab's own worker, then 1, 2, ... in order of first appearance. */
function hostTabs(coord: SwarmStatus | null): number[] {
  const order: string[] = [`${coord?.peerId ?? ''}-w`];
  return (coord?.clients ?? []).map((c) => {
    if (!order.includes(c.host)) order.push(c.host);
    return order.indexOf(c.host);
  });
}

/** Client accuracies as numbers; NaN (null in the JSON) where the client reported none. */
const orNaN = (v: number | null): number => v ?? Number.NaN;

function toRun(ctx: SuiteContext, plan: SwarmPlan, coord: SwarmStatus | null, all: readonly (SwarmStatus | null)[], benchSeconds: number, outcome: string, peak: number): BenchRun {
  const done = coord?.phase === 'done';
  const trainSeconds = done && coord.startedAt !== null && coord.endedAt !== null ? (coord.endedAt - coord.startedAt) / 1000 : null;
  const clients = coord?.clients ?? [];
  return {
    method: plan.method.id, name: `${plan.dataset.name} ${plan.split.id} ${plan.method.label}`, dataset: plan.dataset.name,
    model: plan.method.id === 'fedavg' ? 'mlp 784-128-10' : 'analytic mlp 784-256-10', tabs: plan.tabs, seed: ctx.options.seed,
    // The brief's wall time: the coordinator's startedAt → endedAt; the bench's own clock if the run never ended.
    wallSeconds: trainSeconds ?? benchSeconds, targetAccuracy: null, timeToTargetSeconds: null, stepsToTarget: null,
    finalTestAccuracy: done ? coord.testAccuracy : null, bytesSent: coord?.bytesSent ?? 0, peakBytesPerTab: peak, curve: coord?.curve ?? [],
    split: plan.split.id, outcome, trainSeconds, benchSeconds, bytesReceived: coord?.bytesReceived ?? 0,
    clients: CLIENTS, trainLimit: plan.dataset.trainLimit, rounds: plan.method.id === 'fedavg' ? (coord?.step ?? 0) : null,
    groups: plan.method.id === 'pfedacnnl' ? PFED_GROUPS : null,
    meanLocalAccuracy: coord?.meanLocalAccuracy ?? null, meanPersonalAccuracy: coord?.meanPersonalAccuracy ?? null,
    backends: all.map((s) => s?.backend ?? '?'), tabPhases: all.map((s) => s?.phase ?? '?'),
    tabsNotDone: all.filter((s) => s?.phase !== 'done').length, error: coord?.error ?? null,
    coordinatorLog: keptLog(coord),
    tabTimings: tabTimings(coord, all),
    clientIds: clients.map((c) => c.id), clientTabs: hostTabs(coord), clientRows: clients.map((c) => c.rows),
    clientGroups: clients.map((c) => c.group), clientLabelHistograms: clients.map((c) => c.labelHistogram.join(' ')),
    clientGlobalAccuracy: clients.map((c) => orNaN(c.globalAccuracy)), clientPersonalAccuracy: clients.map((c) => orNaN(c.personalAccuracy)),
    clientLambda: clients.map((c) => orNaN(c.lambda)),
  };
}

/** Runs one swarm to the end; always closes its tabs. */
async function runSwarm(ctx: SuiteContext, plan: SwarmPlan, notes: string[]): Promise<SwarmResult> {
  const o = ctx.options;
  const room = `an-${plan.method.id}-${Date.now().toString(36)}`;
  const common: Query = { room, dataset: plan.dataset.name, seed: o.seed, clients: CLIENTS, trainLimit: plan.dataset.trainLimit, ...plan.split.query, ...plan.method.query(plan.rounds) };
  const heap = new HeapTracker();
  const tabs: Tab[] = [];
  const t0 = performance.now();
  try {
    const coord = await openTab(ctx.browser, urlOf(ctx.baseUrl, { ...common, role: 'coordinator', minPeers: plan.tabs - 1, autostart: 1 }), 'coordinator');
    tabs.push(coord);
    const recruiting = await pollUntil(coord, () => tabs, heap, (s) => s.phase !== 'starting' && s.phase !== 'connecting', RECRUIT_TIMEOUT_MS);
    if (recruiting.outcome === 'ok') {
      for (let i = 1; i < plan.tabs; i++) tabs.push(await openTab(ctx.browser, urlOf(ctx.baseUrl, { ...common, role: 'worker' }), `worker ${i}`));
    }
    const end = recruiting.outcome === 'ok' ? await pollUntil(coord, () => tabs, heap, (s) => s.phase === 'done', plan.timeoutMs) : recruiting;
    const benchSeconds = (performance.now() - t0) / 1000;
    const statuses = await Promise.all(tabs.map((t) => readStatus(t)));
    const weights = end.outcome === 'ok' && plan.method.id === 'fedacnnl' ? await readWeights(coord) : null;
    const run = toRun(ctx, plan, end.status, statuses, benchSeconds, end.outcome, heap.peakPerTab());
    if (end.outcome !== 'ok') {
      const log = end.status?.log.slice(-8).map((l) => `${l.level}: ${l.text}`).join(' | ') ?? '';
      notes.push(`${run.name}: ${end.outcome} in phase ${end.status?.phase ?? '?'}; ${end.status?.error ?? ''} ${log}`.trim());
    }
    // A run can end 'done' after evicting a tab (e.g. missed heartbeats under load): its clients' rows are then
    // missing from the solve, which the invariance and accuracy figures must be read against.
    if (end.outcome === 'ok' && run.tabsNotDone !== 0) {
      const warnings = end.status?.log.filter((l) => l.level !== 'info').slice(-4).map((l) => l.text).join(' | ') ?? '';
      notes.push(`${run.name}: ${String(run.tabsNotDone)} of ${plan.tabs} tabs did not finish (${statuses.map((st) => st?.phase ?? '?').join(', ')}); coordinator warnings: ${warnings}`);
    }
    // Console errors even on success: a tab that dropped out of a finished run explains odd numbers.
    for (const t of tabs) if (t.errors.length > 0) notes.push(`${run.name}, ${t.name} console errors: ${t.errors.slice(-2).join(' | ')}`);
    return { run, weights };
  } finally {
    await Promise.all(tabs.map((t) => t.close()));
  }
}

/** The centralised solve of a data set's first `trainLimit` rows, from public/data/<name>.bin. */
async function centralLayers(spec: DatasetSpec, seed: number): Promise<AnalyticLayer[] | string> {
  const bytes = await readFile(join(ROOT, 'public', 'data', `${spec.name}.bin`)).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  if (typeof bytes === 'string') return `cannot read ${spec.name}.bin: ${bytes}`;
  const ds = parseDatasetAsset(bytes);
  if (!ds.ok) return `${spec.name}.bin: ${ds.error}`;
  const solved = centralisedSolve(ds.value, spec.trainLimit, seed);
  return solved.ok ? solved.value : solved.error;
}

const fmt = (v: unknown, digits = 3): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');

/** One line per (data set, split): what the three methods reached and when (the report's table of curves). */
function cellNote(runs: readonly BenchRun[]): string {
  const parts = runs.map((r) => {
    const final = r.finalTestAccuracy;
    const reached = final === null ? null : timeToTarget(r.curve, final);
    const local = `local ${fmt(r.meanLocalAccuracy)}${r.method === 'pfedacnnl' ? `, personalised ${fmt(r.meanPersonalAccuracy)}` : ''}`;
    return `${r.method} ${fmt(final)} (first reached at ${fmt(reached, 1)} s, run ${fmt(r.trainSeconds, 1)} s; ${local})`;
  });
  return `${runs[0]?.dataset ?? '?'} ${String(runs[0]?.split ?? '?')}: ${parts.join('; ')}`;
}

/** The suite (see the module comment). */
export const analyticSuite: Suite = async (ctx) => {
  const o = ctx.options;
  const tabs = Math.min(MAX_TABS, o.tabs);
  const rounds = o.quick ? QUICK_ROUNDS : ROUNDS;
  const timeoutMs = o.quick ? QUICK_RUN_TIMEOUT_MS : RUN_TIMEOUT_MS;
  const datasets = o.quick ? DATASETS.filter((d) => d.name === 'mnist') : DATASETS;
  const splits = o.quick ? SPLITS.filter((s) => QUICK_SPLITS.has(s.id)) : SPLITS;
  ctx.progress.grow(datasets.length * splits.length * METHODS.length);
  const notes: string[] = [
    `${tabs} tabs (coordinator included), ${CLIENTS} clients, seed ${o.seed}; FedAvg: SGD lr 0.05, 1 local epoch, local batch 32, ${rounds} rounds, curve on 2,000 test rows per round and the full test split at the end; FedACnnL / pFedACnnL (${PFED_GROUPS} groups): one pass, one curve point at the end`,
    'wallSeconds = trainSeconds = the coordinator\'s endedAt − startedAt (client reports included); benchSeconds adds tab start-up. bytesSent / bytesReceived are the coordinator tab\'s. Client arrays: null accuracy = no local test rows',
  ];
  const runs: BenchRun[] = [];
  for (const dataset of datasets) {
    let central: AnalyticLayer[] | string | null = null;
    const diffs: string[] = [];
    for (const split of splits) {
      const cell: BenchRun[] = [];
      for (const method of METHODS) {
        ctx.progress.begin(`analytic ${dataset.name} ${split.id} ${method.label}`);
        const { run, weights } = await runSwarm(ctx, { dataset, split, method, tabs, rounds, timeoutMs }, notes);
        let withDiff = run;
        if (method.id === 'fedacnnl') {
          // Solved once per data set, after the first FedACnnL swarm's tabs are closed (not competing for the cores).
          central ??= await centralLayers(dataset, o.seed);
          const perLayer = typeof central === 'string' ? null : layerRelDiffs(weights, central);
          if (typeof central === 'string') notes.push(`${dataset.name}: ${central}`);
          withDiff = { ...run, weightsMaxRelDiff: perLayer === null ? null : maxOf(perLayer), weightsLayerMaxRelDiff: perLayer ?? [] };
          diffs.push(`${split.id} ${perLayer === null ? 'not compared (no weights or other shapes)' : perLayer.map((d) => d.toExponential(2)).join(' / ')}`);
        }
        ctx.progress.end(`${String(withDiff.outcome)}, test ${fmt(withDiff.finalTestAccuracy)}, local ${fmt(withDiff.meanLocalAccuracy)}, personal ${fmt(withDiff.meanPersonalAccuracy)}, ${fmt(withDiff.trainSeconds, 1)} s`);
        cell.push(withDiff);
        runs.push(withDiff);
      }
      notes.push(cellNote(cell));
    }
    notes.push(`${dataset.name}: FedACnnL weights vs a centralised solve of ${dataset.trainLimit === 0 ? 'all' : `the first ${dataset.trainLimit}`} training rows, maxRelDiff per layer: ${diffs.join('; ')}`);
  }
  return summariseAnalytic(runs, notes);
};
