/**
 * Composition root: read the URL, choose a backend, load the data, join the room (claiming the
 * coordinator id if it is free), start the role runtime(s), and render snapshots. `window.swarm` is the
 * automation surface used by the e2e tests and the benchmark runner.
 */
import { peerIdFrom, type PeerId } from '../core/ids.ts';
import type { Dataset } from '../core/data/dataset.ts';
import { toFloatBatch } from '../core/data/batch.ts';
import type { DeviceInfo, RunConfig } from '../protocol/messages.ts';
import { parseUrlConfig, coordinatorIdFor, type UrlConfig } from '../platform/url-config.ts';
import { chooseBackend, type BackendChoice } from '../platform/backend.ts';
import { loadDataset } from '../platform/load-dataset.ts';
import { newRoomKey, parseRoomKey, roomKeyFragment } from '../platform/room-key.ts';
import { mountDashboard } from '../ui/dashboard.ts';
import type { SwarmStatus } from '../ui/snapshot.ts';
import { joinRoom, type Membership } from './join-room.ts';
import { CHECKPOINTED_ALGOS, ModelPersistence, accuracyOf, downloadModel, readModelFiles } from './model-persistence.ts';
import type { RunSnapshot } from '../roles/coordinator/runtime.ts';
import { coordinatorView, dasoView, logLines, secondOrderView, workerView } from './status.ts';
import { failOver, type JoinOptions } from './failover.ts';
import { failoverPlan } from '../roles/failover.ts';

/** The solved layers of an analytic run, row-major. */
export interface AnalyticWeights {
  readonly layers: readonly { readonly rows: number; readonly cols: number; readonly data: readonly number[] }[];
}

declare global {
  interface Window {
    swarm: { status(): SwarmStatus; start(): void; analyticWeights(): AnalyticWeights | null };
  }
}

const q = new URLSearchParams(location.search);
const cfg: UrlConfig = parseUrlConfig(q);
const room = cfg.room ?? randomRoom();
// The room key travels in the fragment only (room-key.ts). A link without one makes a new key: right for
// the first tab of a room; a later tab without the key is refused by the room, and says so.
const parsedKey = parseRoomKey(location.hash);
const roomKey = parsedKey.ok && parsedKey.value !== null ? parsedKey.value : newRoomKey();
if (cfg.room === null) q.set('room', room);
if (cfg.room === null || !parsedKey.ok || parsedKey.value === null) history.replaceState(null, '', `${location.pathname}?${q.toString()}#${roomKeyFragment(roomKey)}`);

let choice: BackendChoice | null = null;
let dataset: Dataset | null = null;
let membership: Membership | null = null;
let phase: SwarmStatus['phase'] = 'starting';
let error: string | null = cfg.problems.length > 0 ? cfg.problems.join('; ') : null;
const bootLog: SwarmStatus['log'][number][] = cfg.problems.map((p) => ({ at: Date.now(), level: 'warn' as const, text: p }));
if (!parsedKey.ok) bootLog.push({ at: Date.now(), level: 'warn', text: `${parsedKey.error}; a new key was made` });
/** The run this tab takes part in: the URL's, or the checkpointed one it resumed. */
let runConfig: RunConfig | null = null;
/** True while this tab takes part in a coordinator failover (failover.ts). */
let failingOver = false;
/** Coordinator-side log lines go to the coordinator's log once it exists, to the boot log before. */
const appLog = (level: 'info' | 'warn' | 'error', text: string): void => {
  if (membership?.role === 'coordinator') membership.coordinator.host.log(level, text);
  else bootLog.push({ at: Date.now(), level, text }); // shown by the next periodic render
};
const persistence = ModelPersistence.open(room, appLog);
/** The model file the user loaded on this tab, and its test accuracy. */
let loadedModel: { readonly name: string; readonly accuracy: number | null; readonly error: string | null } | null = null;

function joinUrl(): string {
  const u = new URL(location.href);
  const keep = new URLSearchParams({ room });
  u.search = keep.toString();
  u.hash = roomKeyFragment(roomKey);
  return u.toString();
}

function modelFilesView(): NonNullable<SwarmStatus['modelFiles']> {
  const coordinating = membership?.role === 'coordinator' && runConfig !== null && CHECKPOINTED_ALGOS.includes(runConfig.algo);
  const phaseNow = membership?.role === 'coordinator' ? membership.coordinator.host.getState().phase : null;
  return {
    checkpoint: persistence.checkpoint, resumedFromEpoch: persistence.resumedFromEpoch,
    canExport: coordinating, canContinue: coordinating && phaseNow === 'recruiting', loaded: loadedModel,
  };
}

function status(): SwarmStatus {
  const base: SwarmStatus = {
    role: membership?.role ?? null, peerId: membership?.transport.self ?? null, room, joinUrl: joinUrl(),
    algo: cfg.algo, dataset: cfg.dataset, model: cfg.model,
    backend: choice?.backend ?? null, backendReason: choice?.reason ?? '', adapter: choice?.adapter ?? '',
    samplesPerSec: choice?.samplesPerSec ?? 0, memoryBytes: choice?.memoryBytes ?? 0, selfTestPassed: choice?.selfTestPassed ?? false,
    backendMeasurements: choice?.measurements ?? [], peers: membership ? [...membership.transport.peers()] : [],
    phase, epoch: 0, epochs: cfg.epochs, step: 0, stepsPerEpoch: 0, loss: null, testAccuracy: null,
    bytesSent: 0, bytesReceived: 0, devices: [], curve: [], lossCurve: [], startedAt: null, endedAt: null, error, log: bootLog,
    clients: [], analytic: null, meanLocalAccuracy: null, meanPersonalAccuracy: null,
    modelFiles: modelFilesView(),
  };
  if (membership === null) return base;
  const stats = membership.remoteStats();
  const withNet = { ...base, bytesSent: stats.bytesSent, bytesReceived: stats.bytesReceived };
  if (membership.role === 'coordinator') {
    const c = membership.coordinator;
    const view = coordinatorView(c.host.getState(), dataset?.train.labels ?? new Uint8Array(0), Date.now());
    return {
      ...withNet, ...view, error: c.host.getState().failure ?? error, daso: dasoView(c.host.getState(), membership.localWorker.dasoStatus()),
      secondOrder: secondOrderView(c.secondOrderStatus(), cfg.algo, membership.localWorker.curvatureFloats()),
      curve: c.curve.map((p) => [p.seconds, p.accuracy] as const), lossCurve: c.lossCurve.map((p) => [p.seconds, p.loss] as const),
      log: [...bootLog, ...logLines([...c.host.logs, ...membership.localWorker.host.logs.map((l) => ({ ...l, text: `[own worker] ${l.text}` }))].sort((a, b) => a.at - b.at))],
    };
  }
  const w = membership.worker;
  // The old worker failed with its coordinator; while this tab fails over it is reconnecting, not failed.
  if (failingOver) return { ...withNet, ...workerView(w.host.getState()), phase: 'connecting', error: null, log: [...bootLog, ...logLines(w.host.logs)] };
  return { ...withNet, ...workerView(w.host.getState()), log: [...bootLog, ...logLines(w.host.logs)], daso: dasoView(null, w.dasoStatus()), secondOrder: secondOrderView(null, cfg.algo, w.curvatureFloats()) };
}

const root = document.getElementById('app');
if (root === null) throw new Error('index.html lacks #app');
const ui = mountDashboard(root, { onStart: () => { start(); }, onExportModel: () => { void exportModel(); }, onLoadModel: (files) => { void loadModel(files); } });
let renderQueued = false;
function render(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; ui.render(status()); });
}
setInterval(render, 500);

function start(): void {
  if (membership?.role === 'coordinator') membership.coordinator.requestStart();
}

/** Coordinator of a step-based run: the swarm's model as a TF.js download. */
async function exportModel(): Promise<void> {
  if (membership?.role !== 'coordinator' || runConfig === null) return;
  try {
    await downloadModel(runConfig, await membership.coordinator.modelParams());
    appLog('info', `model downloaded (swarm-${runConfig.dataset}-${runConfig.model}.json + .weights.bin)`);
  } catch (e) {
    appLog('error', `download failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * A model file the user chose: validated against this run's model, its test accuracy measured here, and,
 * on a recruiting coordinator, made the model the run starts from.
 */
async function loadModel(files: readonly File[]): Promise<void> {
  const name = files.find((f) => f.name.endsWith('.json'))?.name ?? files[0]?.name ?? 'model';
  const model = runConfig?.model ?? cfg.model;
  loadedModel = { name, accuracy: null, error: null };
  render();
  const read = await readModelFiles(model, files);
  if (!read.ok || dataset === null) {
    loadedModel = { name, accuracy: null, error: read.ok ? 'the data set is still loading' : read.error };
    render();
    return;
  }
  const test = dataset.test;
  const all = Int32Array.from({ length: test.count }, (_, i) => i);
  const { x, y } = toFloatBatch(test, all, 0, all.length);
  loadedModel = { name, accuracy: await accuracyOf(model, read.params, x, y), error: null };
  if (membership?.role === 'coordinator' && CHECKPOINTED_ALGOS.includes(runConfig?.algo ?? 'dp')) membership.coordinator.useInitialParams(read.params);
  render();
}

/**
 * Coordinator of an analytic run: the solved layers (float64, each (inputs + 1) × outputs, bias row last) as
 * plain arrays, so the benchmark can compare them with a centralised solve; null elsewhere.
 */
function analyticWeights(): AnalyticWeights | null {
  if (membership?.role !== 'coordinator') return null;
  const solved = membership.coordinator.host.getState().analytic?.solved ?? [];
  return solved.length === 0 ? null : { layers: solved.map((l) => ({ rows: l.features + 1, cols: l.dOut, data: Array.from(l.w) })) };
}

window.swarm = { status, start, analyticWeights };

// A closing tab hangs up its links, so peers see it leave at once (the data channels close) instead of
// after a heartbeat timeout: a closed coordinator tab is then failed over in seconds.
addEventListener('pagehide', () => { void membership?.transport.close(); });

async function boot(): Promise<void> {
  render();
  choice = await chooseBackend({ override: cfg.backend });
  render();
  dataset = await loadDataset(cfg.dataset);
  phase = 'connecting';
  render();
  const device: DeviceInfo = {
    backend: choice.backend, adapter: choice.adapter.slice(0, 200), reason: choice.reason.slice(0, 1000), samplesPerSec: choice.samplesPerSec,
    memoryBytes: choice.memoryBytes, selfTestPassed: choice.selfTestPassed, userAgent: navigator.userAgent.slice(0, 200),
    machineId: machineId(), groupLabel: cfg.group ?? '',
  };
  const config: RunConfig = {
    runId: `run-${Date.now().toString(36)}`, algo: cfg.algo, dataset: cfg.dataset, model: cfg.model, optimizer: cfg.optimizer,
    learningRate: cfg.learningRate, epochs: cfg.epochs, globalBatch: cfg.globalBatch, seed: cfg.seed, partition: cfg.partition,
    alpha: cfg.alpha, labelsPerClient: cfg.labelsPerClient, clients: cfg.clients, trainLimit: cfg.trainLimit, groups: cfg.groups,
    localEpochs: cfg.localEpochs, localBatch: cfg.localBatch, masking: cfg.masking, aggregation: cfg.aggregation,
  };
  // Reopening a room continues its run from the newest checkpoint in this browser (if this tab coordinates).
  const resume = cfg.role === 'worker' ? null : await persistence.resumable(config);
  runConfig = resume?.config ?? config;
  const run = runConfig;
  const base = {
    room, roomKey, coordinatorId: peerIdFrom(coordinatorIdFor(room)) satisfies PeerId, device, dataset,
    onChange: render, daso: cfg.daso, emulateGlobalLink: cfg.emulateGlobalLink, dho2: cfg.dho2, kfac: cfg.kfac,
  };
  const checkpoints = (c: RunConfig) => (CHECKPOINTED_ALGOS.includes(c.algo) ? { onCheckpoint: (s: RunSnapshot) => { persistence.save(c, s); } } : {});
  membership = await joinRoom({
    ...base, role: cfg.role, config: run, minPeers: cfg.minPeers, autostart: cfg.autostart,
    ...(resume === null ? {} : { resume: resume.snapshot }), ...checkpoints(run),
  });
  if (resume !== null && membership.role === 'coordinator') persistence.noteResumed(resume);
  phase = membership.role === 'coordinator' ? 'recruiting' : 'connecting';
  render();
  if (membership.role === 'worker') watchForFailover(membership, (o, config) => joinRoom({ ...base, ...o, config, ...checkpoints(config) }));
}

/**
 * A worker of a run that can fail over (roles/failover.ts) takes part in it when its coordinator goes away
 * mid-run: it becomes the coordinator or joins the one that did, and this tab shows that membership.
 */
function watchForFailover(m: Extract<Membership, { role: 'worker' }>, join: (o: JoinOptions, config: RunConfig) => Promise<Membership>): void {
  let started = false;
  const unsubscribe = m.worker.host.subscribe(() => {
    const state = m.worker.host.getState();
    const plan = failoverPlan(state, m.transport.self);
    if (started || plan === null || state.config === null) return;
    started = true;
    failingOver = true;
    unsubscribe();
    const config = state.config;
    const carried = m.worker.host.logs.map((l) => ({ ...l, text: `[before failover] ${l.text}` }));
    failOver({ worker: m.worker, transport: m.transport, plan, join: (o) => join(o, config), log: (level, text) => { bootLog.push({ at: Date.now(), level, text }); } })
      .then((next) => {
        bootLog.push(...carried);
        bootLog.sort((a, b) => a.at - b.at);
        runConfig = config;
        membership = next;
        failingOver = false;
        phase = next.role === 'coordinator' ? 'recruiting' : 'connecting';
        if (next.role === 'worker') watchForFailover(next, join);
        render();
      })
      .catch((e: unknown) => { failingOver = false; bootLog.push({ at: Date.now(), level: 'error', text: `failover failed: ${e instanceof Error ? e.message : String(e)}` }); render(); });
  });
}

boot().catch((e: unknown) => {
  phase = 'failed';
  error = e instanceof Error ? e.message : String(e);
  bootLog.push({ at: Date.now(), level: 'error', text: error });
  render();
});

/**
 * A random id shared by every tab of this browser profile (localStorage is per origin and profile), so DASO
 * can group tabs of one machine. '' when storage is unavailable (e.g. blocked): the tab is then ungrouped.
 */
function machineId(): string {
  const key = 'swarm-machine-id';
  try {
    const known = localStorage.getItem(key);
    if (known !== null && /^[0-9a-f]{16}$/.test(known)) return known;
    const a = new Uint8Array(8);
    crypto.getRandomValues(a);
    const id = Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
    localStorage.setItem(key, id);
    return id;
  } catch {
    return '';
  }
}

function randomRoom(): string {
  const a = new Uint8Array(4);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}
