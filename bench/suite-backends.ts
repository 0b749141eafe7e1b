/**
 * Suite `backends`: for webgpu, webgl, wasm and cpu (unavailable ones skipped), a fresh
 * bench-backends.html?backend=X page measures the project's training loop (Replica) and tfjs model.fit on
 * the same MNIST batches; a fresh ?backend=auto page reports the app's own choice.
 * Ratios: chosenVsFastest (target >= 0.9) and loopVsModelFit on the chosen backend (target >= 0.8).
 */
import type { BackendChoiceResult, BackendMeasureInit, BackendMeasureResult } from '../src/app/bench-backends-page.ts';
import { HeapTracker, openTab, type Tab } from './browser-driver.ts';
import { summariseBackends } from './backends-ratios.ts';
import type { BenchRun } from './result-types.ts';
import { median, ratio } from './stats.ts';
import { nonTrainingRun, type Suite, type SuiteContext } from './suite-context.ts';

/** The app's preference order (src/platform/backend-name.ts). */
const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
type Backend = (typeof BACKENDS)[number];
/** The app's global batch. */
const BATCH = 128;
/** Timed seconds of the loop per backend, after warm-up. */
const FULL_LOOP_SECONDS = 3;
const QUICK_LOOP_SECONDS = 1.5;

async function inPage<T>(ctx: SuiteContext, query: string, name: string, fn: (tab: Tab) => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const tab = await openTab(ctx.browser, `${ctx.baseUrl}/bench-backends.html?${query}`, name);
  try {
    await tab.page.waitForFunction(() => window.benchBackends !== undefined);
    return { value: await fn(tab), seconds: (performance.now() - t0) / 1000 };
  } finally {
    await tab.close();
  }
}

function runsOf(r: BackendMeasureResult, round: number, seed: number, wallSeconds: number, peak: number): BenchRun[] {
  const common = { dataset: 'mnist', model: 'mlp', backend: r.backend, round, peakBytesPerTab: peak };
  const loopVsModelFit = ratio(r.loop?.samplesPerSec, r.fit?.samplesPerSec);
  const loop: BenchRun = {
    ...nonTrainingRun('replica-loop', `${r.backend} loop r${round}`, seed, wallSeconds), ...common,
    samplesPerSec: r.loop?.samplesPerSec ?? null, samples: r.loop?.samples ?? null, seconds: r.loop?.seconds ?? null,
    warmupMs: r.loop?.warmupMs ?? null, gradientsMs: r.loop?.gradientsMs ?? null, applyMs: r.loop?.applyMs ?? null,
    tfBytes: r.tfBytes, loopVsModelFit,
  };
  const fit: BenchRun = {
    ...nonTrainingRun('model-fit', `${r.backend} model.fit r${round}`, seed, wallSeconds), ...common,
    samplesPerSec: r.fit?.samplesPerSec ?? null, samples: r.fit?.samples ?? null, seconds: r.fit?.seconds ?? null,
    warmupMs: r.fit?.warmupMs ?? null, epochs: r.fit?.epochs ?? null,
  };
  return [loop, fit];
}

async function measureBackend(ctx: SuiteContext, backend: Backend, round: number, init: BackendMeasureInit): Promise<{ result: BackendMeasureResult; runs: BenchRun[] }> {
  ctx.progress.begin(`backends ${backend} r${round}`);
  const heap = new HeapTracker();
  const { value, seconds } = await inPage(ctx, `backend=${backend}`, backend, async (tab) => {
    const r = await tab.page.evaluate((i) => window.benchBackends!.measure(i), init);
    await heap.sample([tab]);
    return r;
  });
  heap.record(backend, value.heapBytes + value.tfBytes);
  const summary = value.available
    ? `loop ${Math.round(value.loop?.samplesPerSec ?? 0)} samples/s, model.fit ${Math.round(value.fit?.samplesPerSec ?? 0)} samples/s`
    : `unavailable: ${value.note}`;
  ctx.progress.end(summary);
  return { result: value, runs: value.available ? runsOf(value, round, ctx.options.seed, seconds, heap.peakPerTab()) : [] };
}

async function autoChoice(ctx: SuiteContext): Promise<{ choice: BackendChoiceResult; run: BenchRun }> {
  ctx.progress.begin('backends auto choice');
  const heap = new HeapTracker();
  const { value, seconds } = await inPage(ctx, 'backend=auto', 'auto', async (tab) => {
    const choice = await tab.page.evaluate(() => window.benchBackends!.choose());
    await heap.sample([tab]);
    return choice;
  });
  ctx.progress.end(`chose ${value.backend}: ${value.reason}`);
  const run: BenchRun = {
    ...nonTrainingRun('auto-choice', 'auto choice', ctx.options.seed, seconds), peakBytesPerTab: heap.peakPerTab(),
    backend: value.backend, reason: value.reason,
    microBenchSamplesPerSec: value.samplesPerSec,
    measured: value.measurements.map((m) => `${m.backend}: ${m.samplesPerSec === null ? m.note : Math.round(m.samplesPerSec)}`),
  };
  return { choice: value, run };
}

/** The suite (see the module comment). */
export const backendsSuite: Suite = async (ctx) => {
  const rounds = ctx.options.quick ? 1 : 2;
  const init: BackendMeasureInit = { loopSeconds: ctx.options.quick ? QUICK_LOOP_SECONDS : FULL_LOOP_SECONDS, batch: BATCH, seed: ctx.options.seed };
  ctx.progress.grow(1 + BACKENDS.length * rounds);
  const runs: BenchRun[] = [];
  const notes: string[] = [`batch ${BATCH}, Adam 0.002, MLP 784-128-10 on MNIST; loop timed for ${init.loopSeconds} s after warm-up; model.fit with yieldEvery 'never'`];
  const { choice, run } = await autoChoice(ctx);
  runs.push(run);
  const unavailable = new Set<Backend>();
  const samples = new Map<Backend, { loop: number[]; fit: number[] }>();
  for (let r = 1; r <= rounds; r++) {
    // Alternate the order between rounds, so no backend always runs first (cold caches) or last.
    const order = r % 2 === 1 ? BACKENDS : [...BACKENDS].reverse();
    for (const b of order) {
      if (unavailable.has(b)) { ctx.progress.begin(`backends ${b} r${r}`); ctx.progress.end('skipped (unavailable)'); continue; }
      const { result, runs: got } = await measureBackend(ctx, b, r, init).catch((e: unknown) => {
        notes.push(`${b} round ${r} failed: ${e instanceof Error ? e.message : String(e)}`);
        ctx.progress.end('failed');
        return { result: null, runs: [] };
      });
      if (result !== null && !result.available) { unavailable.add(b); notes.push(`${b} skipped: ${result.note}`); }
      runs.push(...got);
      const s = samples.get(b) ?? { loop: [], fit: [] };
      if (result?.loop) s.loop.push(result.loop.samplesPerSec);
      if (result?.fit) s.fit.push(result.fit.samplesPerSec);
      samples.set(b, s);
    }
  }
  const measured = BACKENDS.map((b) => ({ backend: b, loop: median(samples.get(b)?.loop ?? []), fit: median(samples.get(b)?.fit ?? []) }));
  notes.push(`auto choice: ${choice.backend} (${choice.reason})`);
  return summariseBackends(choice.backend, measured, runs, notes);
};
