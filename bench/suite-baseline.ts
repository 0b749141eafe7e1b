/**
 * Suite `baseline`: synchronous data-parallel training (algo=dp) of the MLP with 1, 2 and 4 tabs (capped
 * by --tabs). Each swarm = one coordinator tab (which also trains) + N-1 worker tabs, each in its own
 * browser context, driven only through the app's URL parameters and `window.swarm.status()`.
 * Ratios: speedup2 / speedup4 = time-to-target of 1 tab / of N tabs, and per-tab throughput.
 */
import type { SwarmStatus } from '../src/ui/snapshot.ts';
import { HeapTracker, openTab, type Tab } from './browser-driver.ts';
import { summariseBaseline } from './baseline-ratios.ts';
import type { BenchRun } from './result-types.ts';
import { stepsBy, timeToTarget } from './stats.ts';
import type { Suite, SuiteContext } from './suite-context.ts';
import { pollUntil, readStatus, urlOf, type Query } from './swarm-poll.ts';

const TAB_COUNTS: readonly number[] = [1, 2, 4];
/** The app's default global batch (README: `batch`, default 128); samples/s = steps x this. */
const GLOBAL_BATCH = 128;
/** Backend choice + data load + PeerServer registration: seconds normally, a minute under load. */
const RECRUIT_TIMEOUT_MS = 120_000;
/** A whole run: 3 epochs of MNIST take ~1-3 min here; quick runs (1 epoch) far less. */
const RUN_TIMEOUT_MS = 900_000;
const QUICK_RUN_TIMEOUT_MS = 240_000;

interface SwarmPlan {
  readonly tabs: number;
  readonly epochs: number;
  readonly target: number;
  readonly timeoutMs: number;
}

/** Turns the final statuses into a run. */
function toRun(ctx: SuiteContext, plan: SwarmPlan, coord: SwarmStatus | null, all: readonly (SwarmStatus | null)[], wallSeconds: number, outcome: string, peak: number): BenchRun {
  const curve = coord?.curve ?? [];
  const ttt = timeToTarget(curve, plan.target);
  const trainSeconds = coord?.startedAt != null && coord.endedAt != null ? (coord.endedAt - coord.startedAt) / 1000 : null;
  const steps = coord?.step ?? 0;
  const samplesPerSec = trainSeconds !== null && trainSeconds > 0 ? (steps * GLOBAL_BATCH) / trainSeconds : null;
  return {
    method: 'dp', name: `${plan.tabs} tab${plan.tabs === 1 ? '' : 's'}`, dataset: ctx.options.dataset, model: 'mlp',
    tabs: plan.tabs, seed: ctx.options.seed, wallSeconds, targetAccuracy: plan.target, timeToTargetSeconds: ttt,
    stepsToTarget: stepsBy(coord?.lossCurve ?? [], ttt), finalTestAccuracy: coord?.phase === 'done' ? coord.testAccuracy : null,
    bytesSent: all.reduce((sum, s) => sum + (s?.bytesSent ?? 0), 0), peakBytesPerTab: peak, curve,
    outcome, epochs: plan.epochs, steps, trainSeconds, samplesPerSec,
    samplesPerSecPerTab: samplesPerSec === null ? null : samplesPerSec / plan.tabs,
    bytesSentPerTab: all.map((s) => s?.bytesSent ?? 0),
    backends: all.map((s) => s?.backend ?? '?'),
    error: coord?.error ?? null,
  };
}

/** Runs one swarm of `plan.tabs` tabs to the end; always closes its tabs. */
async function runSwarm(ctx: SuiteContext, plan: SwarmPlan, notes: string[]): Promise<BenchRun> {
  const o = ctx.options;
  const room = `bench-${plan.tabs}-${Date.now().toString(36)}`;
  const common: Query = { room, algo: 'dp', dataset: o.dataset, model: 'mlp', seed: o.seed, ...(o.backend === 'auto' ? {} : { backend: o.backend }) };
  const heap = new HeapTracker();
  const tabs: Tab[] = [];
  const t0 = performance.now();
  try {
    const coordQuery = { ...common, role: 'coordinator', epochs: plan.epochs, minPeers: plan.tabs - 1, autostart: 1 };
    const coord = await openTab(ctx.browser, urlOf(ctx.baseUrl, coordQuery), 'coordinator');
    tabs.push(coord);
    const recruiting = await pollUntil(coord, () => tabs, heap, (s) => s.phase !== 'starting' && s.phase !== 'connecting', RECRUIT_TIMEOUT_MS);
    if (recruiting.outcome === 'ok') {
      for (let i = 1; i < plan.tabs; i++) tabs.push(await openTab(ctx.browser, urlOf(ctx.baseUrl, { ...common, role: 'worker' }), `worker ${i}`));
    }
    const end = recruiting.outcome === 'ok'
      ? await pollUntil(coord, () => tabs, heap, (s) => s.phase === 'done', plan.timeoutMs)
      : recruiting;
    const wallSeconds = (performance.now() - t0) / 1000;
    const statuses = await Promise.all(tabs.map((t) => readStatus(t)));
    if (end.outcome !== 'ok') {
      const log = end.status?.log.slice(-5).map((l) => l.text).join(' | ') ?? '';
      notes.push(`${plan.tabs} tabs: ${end.outcome} in phase ${end.status?.phase ?? '?'}; ${end.status?.error ?? ''} ${log}`.trim());
      for (const t of tabs) if (t.errors.length > 0) notes.push(`${t.name} errors: ${t.errors.slice(-2).join(' | ')}`);
    }
    return toRun(ctx, plan, end.status, statuses, wallSeconds, end.outcome, heap.peakPerTab());
  } finally {
    await Promise.all(tabs.map((t) => t.close()));
  }
}

/** The suite (see the module comment). */
export const baselineSuite: Suite = async (ctx) => {
  const o = ctx.options;
  const counts = TAB_COUNTS.filter((n) => n <= o.tabs);
  const epochs = o.epochs ?? (o.quick ? 1 : 3);
  const target = o.target ?? (o.dataset === 'mnist' ? 0.9 : 0.8);
  const timeoutMs = o.quick ? QUICK_RUN_TIMEOUT_MS : RUN_TIMEOUT_MS;
  ctx.progress.grow(counts.length);
  const notes: string[] = [`${o.dataset}, MLP, ${epochs} epoch(s), global batch ${GLOBAL_BATCH}, target ${target}, backend ${o.backend}; the coordinator tab trains too`];
  const runs: BenchRun[] = [];
  for (const n of counts) {
    ctx.progress.begin(`baseline ${n} tab${n === 1 ? '' : 's'}`);
    const run = await runSwarm(ctx, { tabs: n, epochs, target, timeoutMs }, notes);
    const ttt = run.timeToTargetSeconds === null ? 'target not reached' : `${run.timeToTargetSeconds.toFixed(1)} s to ${target}`;
    ctx.progress.end(`${String(run.outcome)}, ${ttt}, final ${run.finalTestAccuracy?.toFixed(3) ?? '—'}`);
    runs.push(run);
  }
  return summariseBaseline(runs, target, notes);
};
