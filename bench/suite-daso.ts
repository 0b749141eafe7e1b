/**
 * Suite `daso`: 4 tabs in 2 groups (`?group=g0` for the coordinator tab and worker 1, `g1` for workers 2
 * and 3) with an emulated 50 ms, 10 MB/s link between the groups train the MNIST MLP (SGD momentum 0.9,
 * lr 0.05, global batch 128 = 32 per tab, the same seed and epochs) three ways, one swarm after another:
 *  - flat-sync: synchronous data-parallel (algo=dp), every batch's gradients through the coordinator tab.
 *    dp ignores `?emulateGlobalLink` (the app applies it to DASO workers only), so the bench slows the link
 *    itself: daso-link-shim.ts in the two g1 tabs delays everything they send to and receive from the
 *    coordinator (g0), with link-emulation.ts's model. Half the workers reach the parameter server over the
 *    slow link every batch, as between two laptops;
 *  - hier-sync: algo=daso, gradients averaged inside each group every batch and a blocking global parameter
 *    average every batch (dasoWarmup = epochs, so every epoch is warmup: gs = ls = B = 0; dasoMaxGs=1 too);
 *  - daso: algo=daso with the default cycling schedule, warmup = cooldown = dasoPhaseEpochs(epochs).
 * Driven only through URL parameters and `window.swarm.status()`; each tab is its own browser context.
 */
import { loadavg } from 'node:os';
import type { Browser } from '@playwright/test';
import type { SwarmStatus } from '../src/ui/snapshot.ts';
import { HeapTracker, type Tab } from './browser-driver.ts';
import { linkShimScript, SHIM_STATS_KEY, type ShimStats } from './daso-link-shim.ts';
import { dasoPhaseEpochs, summariseDaso, usableRun, type DasoMethod } from './daso-ratios.ts';
import type { BenchRun } from './result-types.ts';
import type { Suite, SuiteContext } from './suite-context.ts';
import { keptLog, pollUntil, readStatus, urlOf, type Query } from './swarm-poll.ts';

/** The slow link, as the app's URL parameter and as the shim's profile. */
const LINK_PARAM = '50ms,10MBps';
const LINK = { latencyMs: 50, bytesPerSecond: 10e6 };
/** Tab i's group; tab 0 is the coordinator (its own worker trains in g0). */
const GROUPS = ['g0', 'g0', 'g1', 'g1'] as const;
const GROUP_SIZE = 2;
/** ALGORITHMS.md 3.9's optimizer for all three methods (dp's default Adam would make accuracies incomparable). */
const OPTIMIZER = { optimizer: 'sgd-momentum', lr: 0.05 } as const;
const RECRUIT_TIMEOUT_MS = 120_000;
/**
 * The default epochs: ALGORITHMS.md 3.9's small-scale reproduction (15 epochs, warmup = cooldown = 2). Fewer
 * epochs make the blocking warmup and cooldown most of a DASO run (4 epochs: half of it).
 */
const DEFAULT_EPOCHS = 15;
const QUICK_EPOCHS = 2;
/** 15 epochs of flat sync over the slow link on 2 shared cores take ~4-5 minutes; --quick (2 epochs) less. */
const RUN_TIMEOUT_MS = 900_000;
const QUICK_RUN_TIMEOUT_MS = 360_000;
/** Workers finish their last epoch a moment after the coordinator; their DASO counters are final then. */
const WORKER_DONE_TIMEOUT_MS = 30_000;
const MILESTONE = /DASO starts|epoch \d+ loss|finished|failed|left|joined/;
/** A swarm that failed or lost a tab is run once more (a loaded machine can drop a tab at start-up). */
const MAX_ATTEMPTS = 2;

interface MethodSpec {
  readonly id: DasoMethod;
  readonly label: string;
  readonly query: (epochs: number) => Query;
  /** Tabs whose data channels the bench slows down itself (flat sync only). */
  readonly shimmedTabs: readonly number[];
}

const METHODS: readonly MethodSpec[] = [
  { id: 'flat-sync', label: 'flat sync (dp)', query: () => ({ algo: 'dp' }), shimmedTabs: [2, 3] },
  { id: 'hier-sync', label: 'hierarchical sync', query: (e) => ({ algo: 'daso', emulateGlobalLink: LINK_PARAM, dasoWarmup: e, dasoCooldown: 0, dasoMaxGs: 1 }), shimmedTabs: [] },
  { id: 'daso', label: 'DASO', query: (e) => ({ algo: 'daso', emulateGlobalLink: LINK_PARAM, dasoWarmup: dasoPhaseEpochs(e), dasoCooldown: dasoPhaseEpochs(e) }), shimmedTabs: [] },
];

const readShim = (tab: Tab): Promise<ShimStats | null> =>
  tab.page.evaluate((key) => ((globalThis as unknown as Record<string, ShimStats | undefined>)[key] ?? null), SHIM_STATS_KEY).catch(() => null);

/** browser-driver.ts openTab, with an optional init script that runs before the app in every page of the context. */
async function openTabWith(browser: Browser, url: string, name: string, initScript: string | null): Promise<Tab> {
  const context = await browser.newContext();
  if (initScript !== null) await context.addInitScript({ content: initScript });
  const page = await context.newPage();
  const errors: string[] = [];
  const keep = (text: string): void => { errors.push(text); if (errors.length > 20) errors.shift(); };
  page.on('console', (m) => { if (m.type() === 'error') keep(m.text()); });
  page.on('pageerror', (e) => { keep(`${e.name}: ${e.message}`); });
  await page.goto(url);
  return { name, context, page, errors, close: () => context.close().catch(() => undefined) };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Bytes over the slow link and over the cheap ones, both directions, from what each method can see. */
function traffic(spec: MethodSpec, all: readonly (SwarmStatus | null)[], shims: readonly (ShimStats | null)[]): { globalBytes: number | null; localBytes: number | null } {
  if (spec.id === 'flat-sync') {
    // The g1 tabs' only data channel is the one to the coordinator: the shim counted all of it. Worker 1 (g0)
    // reaches the coordinator over a cheap link; the coordinator tab's own worker is in-process (no bytes).
    const far = spec.shimmedTabs.map((i) => shims[i] ?? null);
    const near = all[1] ?? null;
    return {
      globalBytes: far.every((s) => s !== null) ? sum(far.map((s) => s.bytesSent + s.bytesReceived)) : null,
      localBytes: near === null ? null : near.bytesSent + near.bytesReceived,
    };
  }
  // DASO counts payload bytes each tab sent (both directions summed over tabs); control traffic excluded.
  const workers = all.map((s) => s?.daso?.worker ?? null);
  if (workers.some((w) => w === null)) return { globalBytes: null, localBytes: null };
  return { globalBytes: sum(workers.map((w) => w?.bytesGlobal ?? 0)), localBytes: sum(workers.map((w) => w?.bytesLocal ?? 0)) };
}

/** Bench-side measurements of one swarm: its peak heap and fields recorded as they are. */
interface SwarmExtra { readonly peak: number; readonly benchSeconds: number; readonly loadAvgStart: number; readonly loadAvgEnd: number }

function toRun(ctx: SuiteContext, spec: MethodSpec, epochs: number, end: { status: SwarmStatus | null; outcome: string }, all: readonly (SwarmStatus | null)[], shims: readonly (ShimStats | null)[], extra: SwarmExtra): BenchRun {
  const { peak, ...fields } = extra;
  const coord = end.status;
  const done = coord?.phase === 'done';
  const trainSeconds = done && coord.startedAt !== null && coord.endedAt !== null ? (coord.endedAt - coord.startedAt) / 1000 : null;
  const trace = coord?.daso?.trace ?? [];
  const w = all.map((s) => s?.daso?.worker ?? null);
  const far = shims.filter((s): s is ShimStats => s !== null);
  const farMessages = sum(far.map((s) => s.messagesSent + s.messagesReceived));
  return {
    method: spec.id, name: spec.label, dataset: ctx.options.dataset, model: 'mlp', tabs: GROUPS.length, seed: ctx.options.seed,
    wallSeconds: trainSeconds ?? extra.benchSeconds, targetAccuracy: null, timeToTargetSeconds: null, stepsToTarget: null,
    finalTestAccuracy: done ? coord.testAccuracy : null, bytesSent: sum(all.map((s) => s?.bytesSent ?? 0)), peakBytesPerTab: peak,
    curve: coord?.curve ?? [], outcome: end.outcome, epochs, trainSeconds, steps: coord?.step ?? 0, ...fields,
    ...traffic(spec, all, shims), groupSize: GROUP_SIZE, tabGroups: [...GROUPS],
    linkEmulation: spec.shimmedTabs.length > 0
      ? `bench shim in tabs ${spec.shimmedTabs.join(', ')} (g1): every data channel message to/from the coordinator (g0) crosses a ${LINK_PARAM} wire each way`
      : `app ?emulateGlobalLink=${LINK_PARAM} on every tab: sends to workers of the other group`,
    slowLinkMessages: far.length > 0 ? farMessages : null,
    slowLinkMeanDelayMs: farMessages > 0 ? sum(far.map((s) => s.delayMs)) / farMessages : null,
    groups: (coord?.daso?.groups ?? []).map((g) => `${g.key} (${g.source}): ${g.members.join(' ')}`),
    globalSkips: trace.map((t) => t.globalSkip),
    scheduleTrace: trace.map((t) => `epoch ${t.epoch} ${t.phase} gs ${t.globalSkip} ls ${t.localSkip} B ${t.batchesToWait}`),
    workerBytesLocal: w.map((x) => x?.bytesLocal ?? 0), workerBytesGlobal: w.map((x) => x?.bytesGlobal ?? 0),
    workerGlobalSyncs: w.map((x) => x?.globalSyncs ?? 0), workerMerges: w.map((x) => x?.merges ?? 0), workerIgnored: w.map((x) => x?.ignored ?? 0),
    workerFailures: w.flatMap((x) => (x?.failure == null ? [] : [x.failure])),
    backends: all.map((s) => s?.backend ?? '?'), tabPhases: all.map((s) => s?.phase ?? '?'),
    tabsNotDone: all.filter((s) => s?.phase !== 'done').length, error: coord?.error ?? null, coordinatorLog: keptLog(coord, MILESTONE),
  };
}

/** Runs one swarm of 4 tabs to the end, with notes on what went wrong; always closes its tabs. */
async function runSwarm(ctx: SuiteContext, spec: MethodSpec, epochs: number, timeoutMs: number): Promise<{ run: BenchRun; notes: string[] }> {
  const o = ctx.options;
  const room = `daso-${spec.id}-${Date.now().toString(36)}`;
  const common: Query = { room, dataset: o.dataset, model: 'mlp', seed: o.seed, epochs, ...OPTIMIZER, ...spec.query(epochs), ...(o.backend === 'auto' ? {} : { backend: o.backend }) };
  const shim = linkShimScript(LINK);
  const heap = new HeapTracker();
  const tabs: Tab[] = [];
  const load0 = loadavg()[0] ?? 0;
  const t0 = performance.now();
  try {
    tabs.push(await openTabWith(ctx.browser, urlOf(ctx.baseUrl, { ...common, group: GROUPS[0], role: 'coordinator', minPeers: GROUPS.length - 1, autostart: 1 }), 'coordinator', null));
    const recruiting = await pollUntil(tabs[0] as Tab, () => tabs, heap, (s) => s.phase !== 'starting' && s.phase !== 'connecting', RECRUIT_TIMEOUT_MS);
    if (recruiting.outcome === 'ok') {
      for (let i = 1; i < GROUPS.length; i++) {
        const script = spec.shimmedTabs.includes(i) ? shim : null;
        tabs.push(await openTabWith(ctx.browser, urlOf(ctx.baseUrl, { ...common, group: GROUPS[i] ?? 'g1', role: 'worker' }), `worker ${i}`, script));
      }
    }
    const coord = tabs[0] as Tab;
    const end = recruiting.outcome === 'ok' ? await pollUntil(coord, () => tabs, heap, (s) => s.phase === 'done', timeoutMs) : recruiting;
    if (end.outcome === 'ok') for (const t of tabs.slice(1)) await pollUntil(t, () => [], heap, (s) => s.phase === 'done', WORKER_DONE_TIMEOUT_MS);
    const benchSeconds = (performance.now() - t0) / 1000;
    const statuses = await Promise.all(tabs.map((t) => readStatus(t)));
    const shims = await Promise.all(tabs.map((t, i) => (spec.shimmedTabs.includes(i) ? readShim(t) : Promise.resolve(null))));
    const run = toRun(ctx, spec, epochs, end, statuses, shims, { benchSeconds, peak: heap.peakPerTab(), loadAvgStart: load0, loadAvgEnd: loadavg()[0] ?? 0 });
    const notes: string[] = [];
    if (end.outcome !== 'ok') notes.push(`${end.outcome} in phase ${end.status?.phase ?? '?'}; ${end.status?.error ?? ''} ${keptLog(end.status, MILESTONE).slice(-8).join(' | ')}`.trim());
    // A tab that did not finish: its own log says why (the coordinator only sees the link go).
    tabs.forEach((t, i) => { if (statuses[i]?.phase !== 'done') notes.push(`${t.name} ended in phase ${statuses[i]?.phase ?? '?'}: ${keptLog(statuses[i] ?? null, MILESTONE).slice(-6).join(' | ')}`); });
    for (const t of tabs) if (t.errors.length > 0) notes.push(`${t.name} console errors: ${t.errors.slice(-2).join(' | ')}`);
    return { run, notes };
  } finally {
    await Promise.all(tabs.map((t) => t.close()));
  }
}

/** Checks that each run did what its name says; a note per surprise. */
function sanityNotes(runs: readonly BenchRun[]): string[] {
  const out: string[] = [];
  for (const r of runs) {
    const trace = Array.isArray(r.scheduleTrace) ? r.scheduleTrace : [];
    if (r.method === 'hier-sync' && trace.some((t) => typeof t === 'string' && !t.includes('warmup'))) out.push(`hier-sync: not every epoch was a blocking warmup epoch: ${trace.join('; ')}`);
    if (r.method === 'daso' && !trace.some((t) => typeof t === 'string' && t.includes('cycling'))) out.push(`daso: no cycling epoch, so DASO ran fully blocking: ${trace.join('; ')}`);
    if (r.method === 'flat-sync' && r.outcome === 'ok' && !(typeof r.slowLinkMessages === 'number' && r.slowLinkMessages > 0)) out.push('flat-sync: the link shim saw no messages: the slow link was NOT emulated');
    if (Array.isArray(r.workerFailures) && r.workerFailures.length > 0) out.push(`${r.name}: worker failures: ${r.workerFailures.join(' | ')}`);
    if (!usableRun(r)) out.push(`${r.name}: outcome ${String(r.outcome)}, tabs ${Array.isArray(r.tabPhases) ? r.tabPhases.join(', ') : '?'}: left out of the ratios`);
  }
  return out;
}

/** The suite (see the module comment). */
export const dasoSuite: Suite = async (ctx) => {
  const o = ctx.options;
  const epochs = o.epochs ?? (o.quick ? QUICK_EPOCHS : DEFAULT_EPOCHS);
  const timeoutMs = o.quick ? QUICK_RUN_TIMEOUT_MS : RUN_TIMEOUT_MS;
  const phases = dasoPhaseEpochs(epochs);
  ctx.progress.grow(METHODS.length);
  const notes: string[] = [
    `${o.dataset}, MLP, ${epochs} epoch(s), seed ${o.seed}, SGD momentum 0.9 lr ${OPTIMIZER.lr}, global batch 128 (32 per tab), backend ${o.backend}; 2 groups x 2 tabs (coordinator tab + worker 1 in g0, workers 2-3 in g1), slow link ${LINK_PARAM} between the groups`,
    'flat-sync: algo=dp ignores ?emulateGlobalLink (src/app/join-room.ts emulates only for algo=daso), so the bench injects the same link model (link-emulation.ts: FIFO wire, bytes/rate, pipelined latency, per link and direction) into the two g1 tabs\' RTCDataChannels: each g1 tab\'s link to the coordinator (the parameter server, in g0) is slow both ways; worker 1 and the coordinator tab\'s in-process worker are not. Each g1 tab gets its own 10 MB/s (not one shared link), which favours flat sync',
    `hier-sync: dasoWarmup=${epochs}, dasoCooldown=0, dasoMaxGs=1: every epoch warmup, (gs, ls, B) = (0, 0, 0): local gradient average every batch + a blocking bf16 global parameter average every batch between one rotating member per group. daso: dasoWarmup=dasoCooldown=${phases} (ALGORITHMS.md 3.9: 2 + 2; fewer in runs under 8 epochs, where the app's 2 + 2 would leave little or no cycling), dasoMaxGs 8, bf16`,
    'wallSeconds = trainSeconds = the coordinator\'s endedAt − startedAt; benchSeconds adds tab start-up. globalBytes = bytes over the slow link, both directions (flat-sync: the shim\'s count of the g1 tabs\' data channel bytes incl. chunk headers and control messages; DASO: the sum of the tabs\' daso.worker.bytesGlobal, payload only); localBytes likewise for the cheap links. The dp coordinator also evaluates every 10 steps (DASO once per epoch), on the same 2 cores',
  ];
  const runs: BenchRun[] = [];
  for (const spec of METHODS) {
    ctx.progress.begin(`daso ${spec.label}`);
    let attempt = 0;
    let run: BenchRun | undefined;
    while (attempt < MAX_ATTEMPTS && (run === undefined || !usableRun(run))) {
      attempt += 1;
      const r = await runSwarm(ctx, spec, epochs, timeoutMs);
      notes.push(...r.notes.map((n) => `${spec.label}, attempt ${attempt}: ${n}`));
      if (!usableRun(r.run) && attempt < MAX_ATTEMPTS) notes.push(`${spec.label}, attempt ${attempt} discarded (outcome ${String(r.run.outcome)}, tabs ${String(r.run.tabPhases)}, ${String(r.run.trainSeconds)} s): run again`);
      run = { ...r.run, attempt };
    }
    if (run === undefined) continue; // MAX_ATTEMPTS ≥ 1: never
    const secs = typeof run.trainSeconds === 'number' ? `${run.trainSeconds.toFixed(1)} s` : '—';
    const gb = typeof run.globalBytes === 'number' ? `${(run.globalBytes / 1e6).toFixed(1)} MB global` : 'global bytes ?';
    ctx.progress.end(`${String(run.outcome)}, ${secs}, test ${run.finalTestAccuracy?.toFixed(3) ?? '—'}, ${gb}`);
    runs.push(run);
  }
  return summariseDaso(runs, [...notes, ...sanityNotes(runs)]);
};
