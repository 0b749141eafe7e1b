/**
 * Suite `transport`: in one bench-transport.html page, alternate rounds of (a) a raw RTCDataChannel on
 * loopback and (b) the project's PeerJS transport carrying encoded gradient messages, then sweep the
 * project's chunk size (and the raw message size) over 16/64/256 KiB.
 * `transportVsRaw` = median project MB/s / median raw MB/s (target >= 0.85).
 */
import type { Page } from '@playwright/test';
import type { TransportRound, TransportRoundInit } from '../src/app/bench-transport-page.ts';
import { HeapTracker, openTab } from './browser-driver.ts';
import type { BenchRun } from './result-types.ts';
import { nonTrainingRun, type Suite, type SuiteContext } from './suite-context.ts';
import { SWEEP_BYTES, summariseTransport, type TransportPhase } from './transport-ratios.ts';

const KIB = 1024;
const MIB = 1024 * KIB;
/** Volume per round: 32 MiB takes ~2-4 s at this machine's ~10-20 MB/s. */
const FULL_BYTES = 32 * MIB;
const QUICK_BYTES = 8 * MIB;
/**
 * Rounds per method. Single rounds here vary by up to ±50% (other processes share the 2 cores), so the
 * main comparison takes the median of 7 alternating rounds each, the sweep the median of 3 per size.
 */
const FULL_ROUNDS = 7;
const FULL_SWEEP_ROUNDS = 3;
/** Raw message size of the main rounds: 64 KiB is the project's preferred chunk size. */
const RAW_MESSAGE_BYTES = 64 * KIB;

type Kind = 'raw' | 'project';

interface Slot {
  readonly kind: Kind;
  readonly init: TransportRoundInit;
  readonly name: string;
  readonly phase: TransportPhase;
  readonly round: number;
}

function toRun(r: TransportRound, slot: Slot, seed: number, wallSeconds: number): BenchRun {
  return {
    ...nonTrainingRun(r.method, slot.name, seed, wallSeconds),
    bytesSent: r.wireBytes, peakBytesPerTab: r.heapBytes, phase: slot.phase, round: slot.round,
    throughputMBps: r.throughputMBps, totalBytes: r.totalBytes, messages: r.messages, messageBytes: r.messageBytes,
    chunkBytes: r.chunkBytes, seconds: r.seconds, encodeMs: r.encodeMs, decodeMs: r.decodeMs, setupMs: r.setupMs,
  };
}

/** Runs one measured round and turns it into a run; a failure becomes a note, not a crash. */
async function measured(ctx: SuiteContext, page: Page, slot: Slot, notes: string[]): Promise<BenchRun | null> {
  ctx.progress.begin(`transport ${slot.name}`);
  const t0 = performance.now();
  try {
    const result = slot.kind === 'raw'
      ? await page.evaluate((i) => window.benchTransport!.raw(i), slot.init)
      : await page.evaluate((i) => window.benchTransport!.project(i), slot.init);
    ctx.progress.end(`${result.throughputMBps.toFixed(1)} MB/s`);
    return toRun(result, slot, ctx.options.seed, (performance.now() - t0) / 1000);
  } catch (e) {
    const text = `${slot.name} failed: ${e instanceof Error ? e.message : String(e)}`;
    ctx.progress.end(text);
    notes.push(text);
    return null;
  }
}

/** Every round in order: main rounds alternate raw/project; sweep rounds alternate sizes and methods. */
function schedule(quick: boolean): Slot[] {
  const totalBytes = quick ? QUICK_BYTES : FULL_BYTES;
  const slots: Slot[] = [];
  for (let r = 1; r <= (quick ? 1 : FULL_ROUNDS); r++) {
    slots.push({ kind: 'raw', init: { totalBytes, messageBytes: RAW_MESSAGE_BYTES }, name: `raw r${r}`, phase: 'main', round: r });
    slots.push({ kind: 'project', init: { totalBytes, messageBytes: 0 }, name: `project r${r}`, phase: 'main', round: r });
  }
  for (let r = 1; r <= (quick ? 1 : FULL_SWEEP_ROUNDS); r++) {
    for (const size of SWEEP_BYTES) {
      const kib = `${size / KIB} KiB`;
      slots.push({ kind: 'raw', init: { totalBytes, messageBytes: size }, name: `raw msg ${kib} s${r}`, phase: 'sweep', round: r });
      slots.push({ kind: 'project', init: { totalBytes, messageBytes: 0, chunkBytes: size }, name: `project chunk ${kib} s${r}`, phase: 'sweep', round: r });
    }
  }
  return slots;
}

/** The suite (see the module comment). */
export const transportSuite: Suite = async (ctx) => {
  const slots = schedule(ctx.options.quick);
  ctx.progress.grow(slots.length);
  const totalBytes = slots[0]?.init.totalBytes ?? 0;
  const notes: string[] = [
    `${totalBytes / MIB} MiB per round; raw main rounds send ${RAW_MESSAGE_BYTES / KIB} KiB messages; project rounds send one MLP gradient (~407 KB encoded) per message; backpressure 1 MiB high / 256 KiB low water on both`,
  ];
  const runs: BenchRun[] = [];
  const heap = new HeapTracker();
  const tab = await openTab(ctx.browser, `${ctx.baseUrl}/bench-transport.html`, 'transport');
  try {
    await tab.page.waitForFunction(() => window.benchTransport !== undefined);
    for (const slot of slots) {
      const run = await measured(ctx, tab.page, slot, notes);
      if (run !== null) runs.push(run);
      heap.record('transport', run?.peakBytesPerTab ?? 0);
      await heap.sample([tab]);
    }
  } finally {
    if (tab.errors.length > 0) notes.push(`page errors: ${tab.errors.slice(-3).join(' | ')}`);
    await tab.close();
  }
  return summariseTransport(runs, notes, heap.peakPerTab());
};
