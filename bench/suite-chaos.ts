/**
 * Suite `chaos`: e2e/chaos.spec.ts as a measurement. Data-parallel MLP training with norm clipping
 * (`aggregate=clip`), the same seed twice:
 * 1. clean: a coordinator (`minPeers=4&autostart=1`, it trains too) and 4 worker tabs, to the end;
 * 2. chaos, in a new room: a coordinator (`minPeers=5`), a rogue page (rogue.html with the room's key) that
 *    first tries a wrong key, 4 worker tabs, then the rogue's x100 poisoning worker as the fifth contributor;
 *    once training runs the rogue writes 10,000 hostile frames; at every epoch boundary a worker tab is closed
 *    and a new one opened, and in epoch 1 (at 1.5 epochs of steps) the coordinator tab is closed and a worker
 *    takes over.
 * Measured: the slowest worker-loss recovery, the failover time, final accuracy against the clean run, the
 * rogue's counts and renderer crashes; ratios in chaos-ratios.ts. Every tab is its own browser context.
 *
 * @example npm run bench -- --suite chaos --quick
 */
import type { BarrageReport } from '../src/app/rogue-chaos.ts';
import type { SwarmPhase, SwarmStatus } from '../src/ui/snapshot.ts';
import { HeapTracker, openTab, type Tab } from './browser-driver.ts';
import { CHAOS_RUN, CLEAN_RUN, HOSTILE_FRAMES, summariseChaos, type ChaosMeasurements, type WorkerClosure, type WrongKeyAttempt } from './chaos-ratios.ts';
import type { BenchRun, Extra } from './result-types.ts';
import type { Suite, SuiteContext } from './suite-context.ts';
import { keptLog, pollUntil, readStatus, urlOf, type Query } from './swarm-poll.ts';

/** Worker tabs beside the coordinator (the e2e test's swarm: 5 tabs, plus the rogue's worker in the chaos run). */
const WORKERS = 4;
const POISON_FACTOR = 100;
const EPOCHS = 3;
const QUICK_EPOCHS = 2;
/** Backend choice + data load + PeerServer registration: seconds normally, a minute under load. */
const RECRUIT_TIMEOUT_MS = 120_000;
/** One whole run (each of the two); 5-6 tabs share the machine's cores. */
const RUN_TIMEOUT_MS = 900_000;
const QUICK_RUN_TIMEOUT_MS = 300_000;
/** Poll period of the two clocks (failover, worker loss): a reading is late by up to this plus one status read. */
const FAST_POLL_MS = 250;
/** failover.ts gives up after 30 s (FAILOVER_GIVE_UP_MS) and the new coordinator waits up to 6 s for the rest. */
const FAILOVER_TIMEOUT_MS = 60_000;
const RECOVERY_TIMEOUT_MS = 60_000;
/** The barrage (10 links of 1,000 frames) takes seconds; at the end of the run it is not waited on longer than this. */
const BARRAGE_WAIT_MS = 60_000;
const MILESTONE = /training starts|took over|coordinator lost|joined|left|link to .* closed|epoch \d+ loss|run ended|finished|failed/i;
/** Phases a coordinator reaches only once training has begun. */
const TRAINING_OR_LATER: ReadonlySet<SwarmPhase> = new Set(['training', 'evaluating-final', 'done']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secondsSince = (t: number): number => (performance.now() - t) / 1000;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const isUp = (s: SwarmStatus): boolean => s.phase !== 'starting' && s.phase !== 'connecting';

/** Counts renderer crashes of every page it watches. */
class CrashWatch {
  readonly crashed: string[] = [];
  watch(tab: Tab): Tab {
    tab.page.on('crash', () => { this.crashed.push(tab.name); });
    return tab;
  }
}

/** A stage of the chaos run failed or ran out of time: the run ends there, with what it measured so far. */
class Stopped extends Error {
  constructor(readonly outcome: string, text: string) { super(text); }
}

/** The rogue page of `room`, holding the same `#key=` fragment as the room's tabs. */
function rogueUrl(base: string, room: string): string {
  const app = urlOf(base, { room });
  return `${base}/rogue.html?room=${encodeURIComponent(room)}${app.slice(app.indexOf('#'))}`;
}

function commonQuery(ctx: SuiteContext, room: string, epochs: number): Query {
  const o = ctx.options;
  return { room, algo: 'dp', dataset: o.dataset, model: 'mlp', seed: o.seed, epochs, aggregate: 'clip', ...(o.backend === 'auto' ? {} : { backend: o.backend }) };
}

/**
 * Polls `read` every FAST_POLL_MS until it yields a value or `timeoutMs` after `since` (a performance.now()
 * reading); resolves with the value and the seconds from `since` to the read that found it, or null.
 */
async function fastPoll<T>(read: () => Promise<T | null>, since: number, timeoutMs: number): Promise<{ value: T; seconds: number } | null> {
  while (performance.now() - since < timeoutMs) {
    const value = await read();
    if (value !== null) return { value, seconds: secondsSince(since) };
    await sleep(FAST_POLL_MS);
  }
  return null;
}

/** How a run ended, for toRun. */
interface RunEnd {
  readonly status: SwarmStatus | null;
  readonly outcome: string;
  readonly wallSeconds: number;
  /** Final statuses of the tabs still open at the end. */
  readonly statuses: readonly (SwarmStatus | null)[];
  readonly peak: number;
  readonly tabsOpened: number;
}

function toRun(ctx: SuiteContext, name: string, epochs: number, end: RunEnd, extra: Readonly<Record<string, Extra>>): BenchRun {
  const coord = end.status;
  const done = coord?.phase === 'done';
  return {
    method: 'dp', name, dataset: ctx.options.dataset, model: 'mlp', tabs: WORKERS + 1, seed: ctx.options.seed, wallSeconds: end.wallSeconds,
    targetAccuracy: null, timeToTargetSeconds: null, stepsToTarget: null, finalTestAccuracy: done ? coord.testAccuracy : null,
    bytesSent: end.statuses.reduce((sum, s) => sum + (s?.bytesSent ?? 0), 0), peakBytesPerTab: end.peak, curve: coord?.curve ?? [],
    outcome: end.outcome, aggregate: 'clip', epochs, steps: coord?.step ?? 0, expectedSteps: coord === null ? null : epochs * coord.stepsPerEpoch,
    // After a failover these are the new coordinator's clock (startedAt = when it took over).
    trainSeconds: done && coord.startedAt !== null && coord.endedAt !== null ? (coord.endedAt - coord.startedAt) / 1000 : null,
    tabsOpened: end.tabsOpened, backends: end.statuses.map((s) => s?.backend ?? '?'), tabPhases: end.statuses.map((s) => s?.phase ?? '?'),
    error: coord?.error ?? null, coordinatorLog: keptLog(coord, MILESTONE), ...extra,
  };
}

/**
 * Failure notes of a run: how it ended (with the coordinator's kept log), worker tabs that failed or do not
 * answer (or, when the run did not end well, are not done: workers finish a moment after the coordinator), console errors.
 */
function endNotes(label: string, end: RunEnd, tabs: readonly Tab[]): string[] {
  const notes: string[] = [];
  if (end.outcome !== 'ok') notes.push(`${label}: ${end.outcome} in phase ${end.status?.phase ?? '?'}; ${end.status?.error ?? ''} ${keptLog(end.status, MILESTONE).slice(-8).join(' | ')}`.trim());
  tabs.forEach((t, i) => {
    const s = end.statuses[i] ?? null;
    const suspicious = s === null || s.phase === 'failed' || (end.outcome !== 'ok' && s.phase !== 'done');
    if (suspicious && s?.role !== 'coordinator') notes.push(`${label}, ${t.name} ended in phase ${s?.phase ?? '?'}: ${keptLog(s, MILESTONE).slice(-6).join(' | ')}`);
  });
  for (const t of tabs) if (t.errors.length > 0) notes.push(`${label}, ${t.name} console errors: ${t.errors.slice(-2).join(' | ')}`);
  return notes;
}

/** The clean run: a coordinator and WORKERS worker tabs to the end; always closes its tabs. */
async function cleanRun(ctx: SuiteContext, epochs: number, timeoutMs: number, crashes: CrashWatch, notes: string[]): Promise<BenchRun> {
  const common = commonQuery(ctx, `chaos-clean-${Date.now().toString(36)}`, epochs);
  const heap = new HeapTracker();
  const tabs: Tab[] = [];
  const t0 = performance.now();
  try {
    const coord = crashes.watch(await openTab(ctx.browser, urlOf(ctx.baseUrl, { ...common, role: 'coordinator', minPeers: WORKERS, autostart: 1 }), 'clean coordinator'));
    tabs.push(coord);
    const up = await pollUntil(coord, () => tabs, heap, isUp, RECRUIT_TIMEOUT_MS);
    if (up.outcome === 'ok') {
      for (let i = 1; i <= WORKERS; i++) tabs.push(crashes.watch(await openTab(ctx.browser, urlOf(ctx.baseUrl, { ...common, role: 'worker' }), `clean worker ${i}`)));
    }
    const end = up.outcome === 'ok' ? await pollUntil(coord, () => tabs, heap, (s) => s.phase === 'done', timeoutMs) : up;
    const wallSeconds = secondsSince(t0);
    const statuses = await Promise.all(tabs.map((t) => readStatus(t)));
    const runEnd: RunEnd = { status: end.status, outcome: end.outcome, wallSeconds, statuses, peak: heap.peakPerTab(), tabsOpened: tabs.length };
    notes.push(...endNotes('clean run', runEnd, tabs));
    return toRun(ctx, CLEAN_RUN, epochs, runEnd, {});
  } finally {
    await Promise.all(tabs.map((t) => t.close()));
  }
}

/** The chaos run's tabs and what it measured so far. */
class ChaosRun {
  private readonly heap = new HeapTracker();
  private readonly t0 = performance.now();
  private readonly deadline: number;
  private readonly common: Query;
  /** Every tab opened (rogue included), closed ones too: all are closed at the end. */
  private readonly opened: Tab[] = [];
  /** Open worker tabs, oldest first; the coordinating tab is not among them. */
  private readonly workers: Tab[] = [];
  private coordinator: Tab | null = null;
  private rogue: Tab | null = null;
  private workersOpened = 0;
  private barrage: Promise<BarrageReport | string> | null = null;
  /** The coordinating tab's last status. */
  private last: SwarmStatus | null = null;
  private outcome = 'ok';
  private wallSeconds: number | null = null;
  private readonly closures: WorkerClosure[] = [];
  private failoverSeconds: number | null = null;
  private wrongKey: WrongKeyAttempt | null = null;
  private poisonerAdmitted: boolean | null = null;
  private hostile: BarrageReport | null = null;
  private poisoned: number | null = null;

  constructor(private readonly ctx: SuiteContext, private readonly epochs: number, timeoutMs: number, private readonly crashes: CrashWatch, private readonly notes: string[]) {
    this.deadline = this.t0 + timeoutMs;
    this.common = commonQuery(ctx, `chaos-${Date.now().toString(36)}`, epochs);
  }

  /** Runs the scenario; a stage that fails ends it with a note (what was measured stays). */
  async run(): Promise<void> {
    try {
      await this.drive();
    } catch (e) {
      this.outcome = e instanceof Stopped ? e.outcome : 'error';
      this.notes.push(`chaos run stopped: ${message(e)}`);
    }
    this.wallSeconds = secondsSince(this.t0);
    await this.collectRogue();
  }

  private async drive(): Promise<void> {
    const coord = await this.open(urlOf(this.ctx.baseUrl, { ...this.common, role: 'coordinator', minPeers: WORKERS + 1, autostart: 1 }), 'coordinator');
    this.coordinator = coord;
    await this.wait(coord, isUp, RECRUIT_TIMEOUT_MS, 'the coordinator to come up');
    const rogue = await this.open(rogueUrl(this.ctx.baseUrl, String(this.common.room)), 'rogue');
    this.rogue = rogue;
    const refusal = await rogue.page.evaluate(() => window.rogue.wrongKey());
    this.wrongKey = { refused: refusal.refused, bytesReceived: refusal.bytesReceived };
    for (let i = 0; i < WORKERS; i++) this.workers.push(await this.openWorker());
    const poisoner = await rogue.page.evaluate((f) => window.rogue.poison(f), POISON_FACTOR); // the fifth contributor
    const started = await this.wait(coord, (s) => TRAINING_OR_LATER.has(s.phase), RECRUIT_TIMEOUT_MS, 'training to start');
    this.poisonerAdmitted = started.devices.some((d) => d.id === poisoner.id);
    if (!this.poisonerAdmitted) this.notes.push(`the poisoning worker ${poisoner.id} is not among the coordinator's devices at the start`);
    this.barrage = rogue.page.evaluate((n) => window.rogue.barrage(n), HOSTILE_FRAMES).catch((e: unknown) => `barrage failed: ${message(e)}`);
    for (let epoch = 1; epoch < this.epochs; epoch++) {
      await this.wait(this.coordinating(), (s) => s.epoch >= epoch, this.left(), `epoch ${epoch}`);
      await this.closeWorker(epoch);
      if (epoch === 1) await this.failOver(started.stepsPerEpoch);
    }
    const final = await this.wait(this.coordinating(), (s) => s.phase === 'done', this.left(), 'the run to finish');
    if (final.step !== this.epochs * final.stepsPerEpoch) this.notes.push(`chaos run ended at step ${final.step}, not ${this.epochs} x ${final.stepsPerEpoch}`);
  }

  /** Closes the oldest worker tab and opens a new one; times the coordinator's recovery from the loss. */
  private async closeWorker(epoch: number): Promise<void> {
    const coord = this.coordinating();
    const victim = this.workers.shift();
    if (victim === undefined) throw new Stopped('failed', `epoch ${epoch}: no worker tab to close`);
    const peerId = (await readStatus(victim))?.peerId ?? null;
    const stepAtClose = (await readStatus(coord))?.step ?? null;
    const t = performance.now();
    await victim.close();
    const recovered = async (): Promise<SwarmStatus | null> => {
      const s = await readStatus(coord);
      return s !== null && peerId !== null && stepAtClose !== null && !s.peers.includes(peerId) && s.step > stepAtClose ? s : null;
    };
    // The replacement opens while the clock runs, as in the e2e test.
    const [rec, replacement] = await Promise.all([
      peerId === null || stepAtClose === null ? Promise.resolve(null) : fastPoll(recovered, t, RECOVERY_TIMEOUT_MS),
      this.openWorker(),
    ]);
    this.workers.push(replacement);
    this.closures.push({ epoch, tab: victim.name, peerId, stepAtClose, recoverySeconds: rec?.seconds ?? null });
  }

  /** Closes the coordinating tab at 1.5 epochs of steps; times until a worker tab coordinates and trains. */
  private async failOver(stepsPerEpoch: number): Promise<void> {
    const old = this.coordinating();
    const at = await this.wait(old, (s) => s.step >= Math.floor(1.5 * stepsPerEpoch), this.left(), 'the middle of epoch 1');
    const t = performance.now();
    await old.close();
    this.coordinator = null;
    const found = await fastPoll(async () => {
      for (const w of this.workers) {
        const s = await readStatus(w);
        if (s?.role === 'coordinator' && isUp(s) && s.phase !== 'recruiting') return { tab: w, s };
      }
      return null;
    }, t, FAILOVER_TIMEOUT_MS);
    if (found === null) throw new Stopped('failed', `no worker tab took over within ${FAILOVER_TIMEOUT_MS / 1000} s of closing the coordinator at step ${at.step}`);
    const { tab, s } = found.value;
    this.workers.splice(this.workers.indexOf(tab), 1);
    this.coordinator = tab;
    this.last = s;
    const tookOver = s.log.find((l) => /took over as coordinator/.test(l.text))?.text ?? 'no "took over" line in its log';
    this.notes.push(`coordinator tab closed at step ${at.step} (epoch ${at.epoch}); ${tab.name} coordinates after ${found.seconds.toFixed(2)} s in phase ${s.phase} at step ${s.step} (${tookOver})`);
    if (!TRAINING_OR_LATER.has(s.phase)) throw new Stopped('failed', `${tab.name} took over but is in phase ${s.phase}: ${s.error ?? ''}`);
    this.failoverSeconds = found.seconds;
  }

  /** What the rogue counted; runs even when the run stopped early. */
  private async collectRogue(): Promise<void> {
    if (this.barrage !== null) {
      const b = await Promise.race([this.barrage, sleep(BARRAGE_WAIT_MS).then(() => `barrage still running ${BARRAGE_WAIT_MS / 1000} s after the run`)]);
      if (typeof b === 'string') {
        this.notes.push(b);
      } else {
        this.hostile = b;
        this.notes.push(`barrage: ${b.framesSent} frames over ${b.links} admitted links`);
      }
    }
    const rogue = this.rogue;
    if (rogue !== null) this.poisoned = await rogue.page.evaluate(() => window.rogue.poisoned()).catch(() => null);
  }

  /** The chaos BenchRun and the measurements (call after `run`). */
  async result(): Promise<{ run: BenchRun; measurements: Omit<ChaosMeasurements, 'tabCrashes'> }> {
    const open = [this.coordinator, ...this.workers].filter((t): t is Tab => t !== null);
    const statuses = await Promise.all(open.map((t) => readStatus(t)));
    const final = (this.coordinator === null ? null : statuses[0] ?? null) ?? this.last;
    const end: RunEnd = { status: final, outcome: this.outcome, wallSeconds: this.wallSeconds ?? secondsSince(this.t0), statuses, peak: this.heap.peakPerTab(), tabsOpened: this.opened.length };
    this.notes.push(...endNotes('chaos run', end, open));
    if (this.rogue !== null && this.rogue.errors.length > 0) this.notes.push(`rogue console errors (expected: refused links): ${this.rogue.errors.slice(-2).join(' | ')}`);
    const run = toRun(this.ctx, CHAOS_RUN, this.epochs, end, {
      workerClosures: this.closures.length, workerRecoverySeconds: this.closures.flatMap((c) => (c.recoverySeconds === null ? [] : [c.recoverySeconds])),
      failoverSeconds: this.failoverSeconds, poisonerAdmitted: this.poisonerAdmitted,
      hostileFramesSent: this.hostile?.framesSent ?? null, hostileLinks: this.hostile?.links ?? null, poisonedUpdatesSent: this.poisoned,
    });
    return {
      run,
      measurements: {
        workerClosures: this.closures, coordinatorFailoverSeconds: this.failoverSeconds, hostileFramesSent: this.hostile?.framesSent ?? null,
        hostileKinds: this.hostile?.kinds ?? null, poisonedUpdatesSent: this.poisoned, wrongKey: this.wrongKey,
      },
    };
  }

  /** Closes every tab this run opened. */
  async close(): Promise<void> {
    await Promise.all(this.opened.map((t) => t.close()));
  }

  private coordinating(): Tab {
    if (this.coordinator === null) throw new Stopped('failed', 'no coordinating tab');
    return this.coordinator;
  }

  private left(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  private async open(url: string, name: string): Promise<Tab> {
    const tab = this.crashes.watch(await openTab(this.ctx.browser, url, name));
    this.opened.push(tab);
    return tab;
  }

  private openWorker(): Promise<Tab> {
    this.workersOpened += 1;
    return this.open(urlOf(this.ctx.baseUrl, { ...this.common, role: 'worker' }), `worker ${this.workersOpened}`);
  }

  /** Polls `tab` until `pred` (sampling the heap of the open app tabs); a failure or timeout stops the run. */
  private async wait(tab: Tab, pred: (s: SwarmStatus) => boolean, timeoutMs: number, what: string): Promise<SwarmStatus> {
    const live = (): readonly Tab[] => [this.coordinator, ...this.workers].filter((t): t is Tab => t !== null);
    const r = await pollUntil(tab, live, this.heap, pred, Math.min(timeoutMs, this.left()));
    if (r.status !== null) this.last = r.status;
    if (r.outcome !== 'ok' || r.status === null) throw new Stopped(r.outcome, `waiting for ${what}: ${r.outcome} in phase ${r.status?.phase ?? '?'}; ${r.status?.error ?? ''}`);
    return r.status;
  }
}

/** The suite (see the module comment). */
export const chaosSuite: Suite = async (ctx) => {
  const o = ctx.options;
  const epochs = o.epochs ?? (o.quick ? QUICK_EPOCHS : EPOCHS);
  const timeoutMs = o.quick ? QUICK_RUN_TIMEOUT_MS : RUN_TIMEOUT_MS;
  const crashes = new CrashWatch();
  const notes: string[] = [
    `${o.dataset}, MLP, algo dp, aggregate clip, ${epochs} epoch(s), seed ${o.seed}, backend ${o.backend}; ${WORKERS + 1} tabs (the coordinator trains too), each its own browser context; the two runs one after another`,
    `chaos: wrong key, then ${WORKERS} workers and a x${POISON_FACTOR} poisoning worker (the rogue page's, always MNIST on wasm), ${HOSTILE_FRAMES} hostile frames once training runs, a worker closed and a new one opened at each epoch boundary, the coordinator closed at 1.5 epochs of steps; clocks poll every ${FAST_POLL_MS} ms (readings late by up to that plus one status read)`,
  ];
  if (epochs < 2) notes.push('with 1 epoch there is no epoch boundary: no worker is closed and the coordinator is not closed');
  ctx.progress.grow(2);
  ctx.progress.begin('chaos: clean run');
  const clean = await cleanRun(ctx, epochs, timeoutMs, crashes, notes);
  ctx.progress.end(`${String(clean.outcome)}, final ${clean.finalTestAccuracy?.toFixed(4) ?? '—'}`);
  ctx.progress.begin('chaos: chaos run');
  const chaos = new ChaosRun(ctx, epochs, timeoutMs, crashes, notes);
  try {
    await chaos.run();
    const { run, measurements } = await chaos.result();
    ctx.progress.end(`${String(run.outcome)}, final ${run.finalTestAccuracy?.toFixed(4) ?? '—'}, failover ${measurements.coordinatorFailoverSeconds?.toFixed(1) ?? '—'} s`);
    if (crashes.crashed.length > 0) notes.push(`renderer crashes: ${crashes.crashed.join(', ')}`);
    return summariseChaos([clean, run], { ...measurements, tabCrashes: crashes.crashed.length }, notes);
  } finally {
    await chaos.close();
  }
};
