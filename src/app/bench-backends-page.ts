/**
 * bench-backends.html?backend=X: training throughput on one tfjs backend, driven by `npm run bench --
 * --suite backends` through `window.benchBackends` (one fresh page per backend).
 *
 * - `measure`: (a) the project's loop, src/compute/replica.ts `Replica.gradients` + `applyGradients`
 *   (Adam 0.002) on batches of 128 real MNIST samples; (b) tfjs `model.fit` of the same 784-128-10
 *   relu/softmax model on the same data, for a comparable number of samples. Samples/s of each.
 * - `choose` (with ?backend=auto): the app's own choice, `chooseBackend({ override: null })`.
 */
import { createRng } from '../core/rng.ts';
import { toFloatBatch, type FloatBatch } from '../core/data/batch.ts';
import type { Dataset } from '../core/data/dataset.ts';
import { getModel, initialParams, IMAGE_PIXELS, NUM_CLASSES } from '../compute/models.ts';
import { Replica } from '../compute/replica.ts';
import { parseBackendName } from '../platform/backend-name.ts';
import { chooseBackend } from '../platform/backend.ts';
import { registerBackends } from '../platform/backend-register.ts';
import { withTimeout } from '../platform/backend-timeout.ts';
import { loadDataset } from '../platform/load-dataset.ts';

/** Throughput of one method on this page's backend. */
export interface MethodResult {
  readonly samplesPerSec: number;
  readonly samples: number;
  readonly seconds: number;
  readonly warmupMs: number;
}

/** What `measure` found; `available: false` when the backend could not be initialised. */
export interface BackendMeasureResult {
  readonly backend: string;
  readonly available: boolean;
  readonly note: string;
  readonly loop: (MethodResult & { readonly gradientsMs: number; readonly applyMs: number }) | null;
  readonly fit: (MethodResult & { readonly epochs: number }) | null;
  /** tf.memory().numBytes at its largest (after the loop, with the replica alive). */
  readonly tfBytes: number;
  readonly heapBytes: number;
}

/** Options of `measure`. */
export interface BackendMeasureInit {
  /** Timed seconds of the project's loop, after warm-up. */
  readonly loopSeconds: number;
  readonly batch: number;
  readonly seed: number;
}

/** What `choose` found. */
export interface BackendChoiceResult {
  readonly backend: string;
  readonly reason: string;
  readonly samplesPerSec: number;
  readonly measurements: readonly { readonly backend: string; readonly samplesPerSec: number | null; readonly note: string }[];
}

/** The page's automation surface. */
export interface BenchBackendsApi {
  measure(init: BackendMeasureInit): Promise<BackendMeasureResult>;
  choose(): Promise<BackendChoiceResult>;
}

declare global {
  interface Window {
    benchBackends?: BenchBackendsApi;
  }
}

/** WebGPU on SwiftShader initialises in ~1-2 s; 20 s only catches a hung driver. */
const INIT_TIMEOUT_MS = 20_000;
/** Warm-up: at least this many steps and this long (shader compilation, wasm tiering, allocator pools). */
const WARMUP_STEPS = 3;
const WARMUP_MS = 1000;
/** At least this many timed steps even on a slow backend (one step alone is noise). */
const MIN_TIMED_STEPS = 3;
/** The app's default Adam learning rate (src/platform/url-config.ts); it does not affect the timing. */
const LEARNING_RATE = 0.002;

const tf = registerBackends();
const heap = (): number => (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0;

/** Activates the requested backend; null on success, else why not. */
async function activate(name: string): Promise<string | null> {
  if (!(name in tf.engine().registryFactory)) return `${name} is not registered in this tab`;
  try {
    const ok = await withTimeout(tf.setBackend(name), INIT_TIMEOUT_MS, () => 'timeout' as const);
    if (ok === 'timeout') return `initialisation took over ${INIT_TIMEOUT_MS} ms`;
    if (!ok) return 'tf.setBackend returned false';
    await tf.ready();
    return null;
  } catch (e) {
    return `initialisation threw: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Every full batch of the shuffled training split, as float batches. */
function allBatches(ds: Dataset, batch: number, seed: number): FloatBatch[] {
  const order = createRng(seed).shuffle(Int32Array.from({ length: ds.train.count }, (_, i) => i));
  const out: FloatBatch[] = [];
  for (let start = 0; start + batch <= order.length; start += batch) out.push(toFloatBatch(ds.train, order, start, batch));
  return out;
}

async function runLoop(batches: readonly FloatBatch[], init: BackendMeasureInit): Promise<NonNullable<BackendMeasureResult['loop']> & { tfBytes: number }> {
  const model = getModel('mlp');
  const replica = new Replica(model, { name: 'adam', learningRate: LEARNING_RATE }, initialParams(model, init.seed), null, 0);
  let i = 0;
  let gradientsMs = 0;
  let applyMs = 0;
  const step = async (): Promise<void> => {
    const b = batches[i++ % batches.length];
    if (b === undefined) throw new Error('no batches');
    const t = performance.now();
    const g = await replica.gradients(b.x, b.y);
    const t2 = performance.now();
    replica.applyGradients(g.grads);
    gradientsMs += t2 - t;
    applyMs += performance.now() - t2;
  };
  try {
    const w0 = performance.now();
    for (let n = 0; n < WARMUP_STEPS || performance.now() - w0 < WARMUP_MS; n++) await step();
    const warmupMs = performance.now() - w0;
    gradientsMs = 0;
    applyMs = 0;
    const t0 = performance.now();
    let steps = 0;
    while (steps < MIN_TIMED_STEPS || performance.now() - t0 < init.loopSeconds * 1000) {
      await step();
      steps++;
    }
    // Wait for queued GPU work of the last update, so it is inside the timed window.
    await replica.snapshot();
    const seconds = (performance.now() - t0) / 1000;
    const samples = steps * init.batch;
    return { samplesPerSec: samples / seconds, samples, seconds, warmupMs, gradientsMs, applyMs, tfBytes: tf.memory().numBytes };
  } finally {
    replica.dispose();
  }
}

/** The same MLP as a tf.sequential, compiled like the project's replica (Adam 0.002, cross-entropy). */
function sequentialMlp(): ReturnType<typeof tf.sequential> {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [IMAGE_PIXELS], units: 128, activation: 'relu' }),
      tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy' });
  return m;
}

/** model.fit over about `samples` samples of `batches` (several epochs when the split is smaller). */
async function runFit(batches: readonly FloatBatch[], samples: number, batch: number): Promise<NonNullable<BackendMeasureResult['fit']>> {
  const perEpochBatches = Math.max(1, Math.min(batches.length, Math.round(samples / batch)));
  const epochs = Math.max(1, Math.round(samples / (perEpochBatches * batch)));
  const used = batches.slice(0, perEpochBatches);
  const n = used.length * batch;
  const xAll = new Float32Array(n * IMAGE_PIXELS);
  const yAll = new Int32Array(n);
  used.forEach((b, k) => { xAll.set(b.x, k * batch * IMAGE_PIXELS); yAll.set(b.y, k * batch); });
  const xs = tf.tensor2d(xAll, [n, IMAGE_PIXELS]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(yAll, 'int32'), NUM_CLASSES));
  const model = sequentialMlp();
  // yieldEvery 'never': no per-batch yield to the event loop, i.e. model.fit at its fastest.
  const options = { batchSize: batch, shuffle: false, verbose: 0, yieldEvery: 'never' as const };
  try {
    const w0 = performance.now();
    const warmX = xs.slice([0, 0], [Math.min(n, WARMUP_STEPS * batch), IMAGE_PIXELS]);
    const warmY = ys.slice([0, 0], [Math.min(n, WARMUP_STEPS * batch), NUM_CLASSES]);
    await model.fit(warmX, warmY, { ...options, epochs: 1 });
    tf.dispose([warmX, warmY]);
    const warmupMs = performance.now() - w0;
    const t0 = performance.now();
    await model.fit(xs, ys, { ...options, epochs });
    await model.getWeights()[0]?.data(); // all queued GPU work is done
    const seconds = (performance.now() - t0) / 1000;
    return { samplesPerSec: (n * epochs) / seconds, samples: n * epochs, seconds, warmupMs, epochs };
  } finally {
    model.dispose();
    tf.dispose([xs, ys]);
  }
}

async function measure(init: BackendMeasureInit): Promise<BackendMeasureResult> {
  const requested = new URLSearchParams(location.search).get('backend') ?? '';
  const name = parseBackendName(requested);
  const empty = { loop: null, fit: null, tfBytes: 0, heapBytes: heap() };
  if (!name.ok) return { backend: requested, available: false, note: `?backend=${requested} is not a backend name`, ...empty };
  const failed = await activate(name.value);
  if (failed !== null) return { backend: name.value, available: false, note: failed, ...empty };
  const ds = await loadDataset('mnist');
  const batches = allBatches(ds, init.batch, init.seed);
  const loop = await runLoop(batches, init);
  const heapAfterLoop = heap();
  const fit = await runFit(batches, loop.samples, init.batch);
  const { tfBytes, ...loopResult } = loop;
  return { backend: tf.getBackend(), available: true, note: '', loop: loopResult, fit, tfBytes, heapBytes: Math.max(heapAfterLoop, heap()) };
}

async function choose(): Promise<BackendChoiceResult> {
  const c = await chooseBackend({ override: null });
  return {
    backend: c.backend, reason: c.reason, samplesPerSec: c.samplesPerSec,
    measurements: c.measurements.map((m) => ({ backend: m.backend, samplesPerSec: m.samplesPerSec, note: m.note })),
  };
}

window.benchBackends = { measure, choose };
document.body.dataset.state = 'ready';
