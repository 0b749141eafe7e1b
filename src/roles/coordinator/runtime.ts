/**
 * Coordinator runtime: the coordinator reducer hosted on a transport. It keeps its own replica (to serve
 * late joiners and to measure test accuracy) and applies every update the workers apply.
 */
import { accuracy, argmaxRows } from '../../core/analytic/dense.ts';
import { forwardAnalytic } from '../../core/analytic/fedacnnl.ts';
import type { PeerId } from '../../core/ids.ts';
import type { Dataset } from '../../core/data/dataset.ts';
import { toFloatBatch } from '../../core/data/batch.ts';
import { getModel, initialParams, IMAGE_PIXELS } from '../../compute/models.ts';
import { Replica } from '../../compute/replica.ts';
import type { AdmmCurvatureMsg, RunConfig } from '../../protocol/messages.ts';
import type { WireTensor } from '../../protocol/wire-tensor.ts';
import type { Transport } from '../../transport/transport.ts';
import { RoleHost } from '../role-host.ts';
import { createCoordinatorReducer, initialCoordinatorState, type CoordinatorCommand, type CoordinatorEvent } from './reducer.ts';
import type { CoordinatorState } from './state.ts';
import type { DasoOptions } from './daso-reducer.ts';
import { PeerRpc } from '../rpc.ts';
import type { AdmmOptions } from './admm-reducer.ts';
import { baseKindOf, DHO2_DEFAULTS, KFAC_DEFAULTS, replicaOptimizer, type Dho2Options, type KfacOptions } from '../second-order-options.ts';
import { Dho2Conductor, type ConductorHost, type Dho2Status } from './dho2-conductor.ts';
import { KfacConductor, type KfacStatus } from './kfac-conductor.ts';
import { BadPeerResultError, SecondOrderLinks } from './second-order-links.ts';

export interface CoordinatorRuntimeInit {
  readonly transport: Transport;
  readonly room: string;
  readonly config: RunConfig;
  readonly minPeers: number;
  readonly autostart: boolean;
  readonly dataset: Dataset;
  /** Clock in ms (tests pass a frozen or virtual one so CPU starvation cannot look like a dead peer). */
  readonly now?: () => number;
  /** Called once when the run ends. */
  readonly onFinished?: (ok: boolean, reason: string) => void;
  /** DASO's schedule and wire options (algo 'daso'). */
  readonly daso?: DasoOptions;
  /** Second-order options (algos 'dho2' and 'kfac'); defaults DHO2_DEFAULTS and KFAC_DEFAULTS. */
  readonly dho2?: Dho2Options;
  readonly kfac?: KfacOptions;
  /** Continue a checkpointed step-based run (dp, dho2, kfac) from this snapshot instead of the seeded model. */
  readonly resume?: RunSnapshot;
  /** Step-based runs: called at each epoch's end with the coordinator's replica (the app stores it). */
  readonly onCheckpoint?: (snapshot: RunSnapshot) => void;
}

/**
 * The coordinator replica of a step-based run at an epoch boundary: everything needed to continue it.
 * DHO2's and K-FAC's curvature and their shard owners' base-optimizer moments are not in it: a resumed run
 * rebuilds curvature by its refresh rule and restarts those moments from zero.
 */
export interface RunSnapshot {
  readonly step: number;
  readonly epoch: number;
  readonly optimizerStep: number;
  readonly params: readonly Float32Array[];
  readonly slots: readonly Float32Array[];
}

/** The reducer's consensus-ADMM options from the DHO2 run options (FOSI's clip default: 1 for Adam, else 3). */
function admmOptions(config: RunConfig, o: Dho2Options): AdmmOptions {
  // FOSI's scale clip is at least 1 (the wire refuses less); 0 = FOSI's default.
  const clip = o.clip > 0 ? Math.max(1, o.clip) : baseKindOf(config.optimizer) === 'adam' ? 1 : 3;
  return { localSteps: o.admmLocalSteps, rho: o.admmRho, refreshEvery: o.refreshEvery, warmup: o.warmup, newtonRate: o.newtonRate, clip };
}

/** Attempts at a second-order update before the step is skipped (each failure re-plans the shards). */
const SECOND_ORDER_ATTEMPTS = 3;

/** Intermediate evaluations use this many test samples (the final one uses the whole test split). */
const QUICK_EVAL_SAMPLES = 2000;

/** Test rows forwarded per chunk by the FedACnnL evaluation (about 50 ms of work in a browser). */
const EVAL_CHUNK_ROWS = 1000;

export interface AccuracyPoint {
  readonly seconds: number;
  readonly step: number;
  readonly accuracy: number;
}

export class CoordinatorRuntime {
  readonly host: RoleHost<CoordinatorState, CoordinatorEvent, CoordinatorCommand>;
  private readonly replica: Replica;
  private readonly testX: Float32Array;
  private readonly testY: Uint8Array;
  readonly curve: AccuracyPoint[] = [];
  readonly lossCurve: { seconds: number; step: number; loss: number }[] = [];
  private readonly rpc: PeerRpc;
  private readonly conductor: Dho2Conductor | KfacConductor | null = null;
  /** Consensus ADMM: the last eigen-information sent, for tabs that join later. */
  private lastAdmmCurvature: AdmmCurvatureMsg | null = null;

  constructor(private readonly init: CoordinatorRuntimeInit) {
    const model = getModel(init.config.model);
    const initial = init.resume?.params ?? initialParams(model, init.config.seed);
    this.replica = new Replica(model, replicaOptimizer(init.config), initial, init.resume?.slots ?? null, init.resume?.optimizerStep ?? 0);
    this.rpc = new PeerRpc((to, m) => this.host.sendMessage(to, m));
    const test = init.dataset.test;
    const all = Int32Array.from({ length: test.count }, (_, i) => i);
    ({ x: this.testX, y: this.testY } = toFloatBatch(test, all, 0, all.length));
    const reduce = createCoordinatorReducer({
      self: init.transport.self,
      room: init.room,
      trainLabels: init.dataset.train.labels,
      paramSizes: model.params.map((p) => p.shape.reduce((a, b) => a * b, 1)),
      features: init.dataset.width * init.dataset.height,
      numClasses: init.dataset.numClasses,
      initialParams: initial,
      ...(init.daso === undefined ? {} : { daso: init.daso }),
      ...(init.config.algo === 'dho2' && init.dho2?.variant === 'admm' ? { admm: admmOptions(init.config, init.dho2) } : {}),
    });
    this.host = new RoleHost<CoordinatorState, CoordinatorEvent, CoordinatorCommand>({
      transport: init.transport,
      initial: initialCoordinatorState(init.config, init.minPeers, init.autostart, init.dataset.train.count, init.resume?.step ?? 0),
      reduce,
      execute: (c) => this.execute(c),
      now: init.now,
      intercept: (from, msg) => (msg.type === 'shard-reply' || msg.type === 'curvature-reply') && this.rpc.onReply(from, msg),
      observe: (before, after) => { this.onMembership(before, after); },
    });
    const algo = init.config.algo;
    if (algo === 'dho2' || algo === 'kfac') {
      const links = new SecondOrderLinks(this.rpc, init.config.runId, () => this.conductor?.epochOfPlan ?? 0, (peer, floats) => { this.conductor?.noteHeld(peer, floats); });
      const host = this.conductorHost(links, model.params.map((p) => p.shape));
      this.conductor = algo === 'dho2' ? new Dho2Conductor(host, init.dho2 ?? DHO2_DEFAULTS) : new KfacConductor(host, init.kfac ?? KFAC_DEFAULTS);
    }
  }

  /** Second-order runs: the conductor's status for the dashboard; null otherwise. */
  secondOrderStatus(): { readonly algo: 'dho2'; readonly status: Dho2Status } | { readonly algo: 'kfac'; readonly status: KfacStatus } | null {
    const c = this.conductor;
    if (c instanceof Dho2Conductor) return { algo: 'dho2', status: { ...c.status(), admm: this.host.getState().admm?.residuals ?? null } };
    if (c instanceof KfacConductor) return { algo: 'kfac', status: c.status() };
    return null;
  }

  private conductorHost(links: SecondOrderLinks, paramShapes: readonly (readonly number[])[]): ConductorHost {
    return {
      config: this.init.config, links, paramShapes,
      members: () => Object.values(this.host.getState().members).filter((m) => m.active && !m.excluded)
        .map((m) => ({ id: m.id, samplesPerSec: m.device.samplesPerSec, memoryBytes: m.device.memoryBytes })),
      broadcastPlan: (to, plan) => { for (const id of to) void this.host.sendMessage(id, plan); },
      sitOut: (peers) => { this.host.dispatch({ type: 'sit-out', peers, now: this.host.now() }); },
      evict: (peer, why) => { this.host.dispatch({ type: 'misbehaved', peer, reason: why, now: this.host.now() }); },
      log: (level, text) => { this.host.log(level, text); },
      now: () => this.host.now(),
    };
  }

  /** A member that is gone fails the calls awaiting it at once (the command queue may be blocked on them). */
  private onMembership(before: CoordinatorState, after: CoordinatorState): void {
    if (before.members === after.members) return;
    for (const id of Object.keys(before.members)) {
      if (id in after.members) continue;
      this.rpc.failPeer(id as PeerId, 'left the swarm');
      this.conductor?.memberLeft(id as PeerId);
    }
    if (after.phase === 'done' || after.phase === 'failed') this.rpc.failAll(`run ${after.phase}`);
  }

  start(): void {
    this.host.start();
  }

  /** User intent: start now with whoever has joined. */
  requestStart(): void {
    this.host.dispatch({ type: 'start-requested', now: this.host.now() });
  }

  stop(): void {
    this.rpc.failAll('stopped');
    this.host.stop();
    this.replica.dispose();
  }

  private seconds(): number {
    const t0 = this.host.getState().startedAt;
    return t0 === null ? 0 : (this.host.now() - t0) / 1000;
  }

  private async execute(c: CoordinatorCommand): Promise<boolean> {
    switch (c.type) {
      case 'send-start': await this.sendStart(c.to, c.step, c.epoch, c.batchSize); return true;
      case 'apply-update': await this.applyUpdate(c); return true;
      case 'evaluate':
        if (c.params) this.replica.setParams(c.params); // FedAvg: the round's new global model; DASO: the reporter's
        if (this.init.config.algo === 'daso') this.lossCurve.push({ seconds: this.seconds(), step: c.step, loss: this.host.getState().loss });
        await this.evaluate(c.step);
        return true;
      case 'finished': this.init.onFinished?.(c.ok, c.reason); return true;
      case 'admm-curvature': await this.admmCurvature(c.step, c.to); return true;
      case 'checkpoint': {
        const snap = await this.replica.snapshot();
        this.init.onCheckpoint?.({ step: c.step, epoch: c.epoch, ...snap });
        return true;
      }
      case 'send': case 'disconnect': case 'log': return false;
      default: return c satisfies never;
    }
  }

  /** Consensus ADMM: a curvature job at a round boundary; its eigen-information goes to `to` before their next round. */
  private async admmCurvature(step: number, to: readonly PeerId[]): Promise<void> {
    if (!(this.conductor instanceof Dho2Conductor)) return;
    const e = await this.conductor.curvatureForAdmm(step, to.filter((id) => id in this.host.getState().members));
    if (e === null) return;
    const r = e.eigvals.length;
    const msg: AdmmCurvatureMsg = { type: 'admm-curvature', runId: this.init.config.runId, snapshotStep: step,
      eigvals: { dtype: 'float64', shape: [r], data: e.eigvals }, eigvecs: { dtype: 'float32', shape: [r, r === 0 ? 0 : e.eigvecs.length / r], data: e.eigvecs } };
    this.lastAdmmCurvature = msg;
    for (const id of to) if (id in this.host.getState().members) void this.host.sendMessage(id, msg);
  }

  private async sendStart(to: PeerId, step: number, epoch: number, batchSize: number): Promise<void> {
    const snap = await this.replica.snapshot();
    const wire = (a: Float32Array): WireTensor => ({ dtype: 'float32', shape: [a.length], data: a });
    void this.host.sendMessage(to, {
      type: 'start', runId: this.init.config.runId, step, epoch, optimizerStep: snap.optimizerStep, batchSize,
      params: snap.params.map(wire), slots: snap.slots.map(wire),
    });
    // Consensus ADMM: a joiner gets the installed eigen-information too, before its first round.
    if (this.lastAdmmCurvature !== null) void this.host.sendMessage(to, this.lastAdmmCurvature);
  }

  /** Second-order runs: the conductor's update for the mean gradient; after repeated failures the step is skipped. */
  private async secondOrderUpdate(c: Extract<CoordinatorCommand, { type: 'apply-update' }>): Promise<readonly Float32Array[]> {
    const conductor = this.conductor;
    if (conductor === null) return c.grads;
    for (let attempt = 1; attempt <= SECOND_ORDER_ATTEMPTS; attempt++) {
      try {
        return await conductor.precondition(c.step, c.grads);
      } catch (e) {
        if (e instanceof BadPeerResultError) this.host.dispatch({ type: 'misbehaved', peer: e.peer, reason: e.message, now: this.host.now() });
        conductor.reset();
        this.host.log('warn', `second-order update of step ${c.step} failed (attempt ${attempt}): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // Skipping keeps every replica identical: DHO2 replicas step by −grads, so zeros leave θ as it is.
    this.host.log('error', `step ${c.step} skipped: no second-order update after ${SECOND_ORDER_ATTEMPTS} attempts`);
    return this.init.config.algo === 'dho2' ? c.grads.map((g) => new Float32Array(g.length)) : c.grads;
  }

  private async applyUpdate(c0: Extract<CoordinatorCommand, { type: 'apply-update' }>): Promise<void> {
    const c = this.conductor === null ? c0 : { ...c0, grads: await this.secondOrderUpdate(c0) };
    const grads = c.grads.map((g): WireTensor => ({ dtype: 'float32', shape: [g.length], data: g }));
    // Send first (encode once per worker, no waiting): workers start applying while this replica does the same.
    for (const s of c.sends) void this.host.sendMessage(s.to, { type: 'update', runId: this.init.config.runId, step: c.step, epoch: c.epoch, nextBatchSize: s.nextBatchSize, grads });
    this.replica.applyGradients(c.grads);
    this.lossCurve.push({ seconds: this.seconds(), step: c.step + 1, loss: this.host.getState().loss });
  }

  /** The coordinator replica's parameters now (step-based runs: the swarm's model). */
  async modelParams(): Promise<Float32Array[]> {
    return (await this.replica.snapshot()).params;
  }

  /**
   * Before training: start the run from `params` (a loaded model file) instead of the seeded model. Refused
   * once training started, when every replica already holds the swarm's model.
   */
  useInitialParams(params: readonly Float32Array[]): boolean {
    if (this.host.getState().phase !== 'recruiting') return false;
    this.replica.setParams(params);
    this.host.log('info', 'the run will start from the loaded model');
    return true;
  }

  private async evaluate(step: number): Promise<void> {
    const final = this.host.getState().phase === 'evaluating-final';
    const n = final ? this.testY.length : Math.min(QUICK_EVAL_SAMPLES, this.testY.length);
    const algo = this.init.config.algo;
    const acc = algo === 'fedacnnl' || algo === 'pfedacnnl' ? await this.analyticAccuracy(n) : await this.replica.accuracy(this.testX.subarray(0, n * IMAGE_PIXELS), this.testY.subarray(0, n));
    this.curve.push({ seconds: this.seconds(), step, accuracy: acc });
    this.host.dispatch({ type: 'evaluated', step, accuracy: acc, now: this.host.now() });
  }

  /**
   * Test accuracy of the solved FedACnnL layers on the first `n` test samples (float64, no tfjs), in
   * chunks with a yield between them, so heartbeats keep flowing while this tab evaluates.
   */
  private async analyticAccuracy(n: number): Promise<number> {
    const layers = this.host.getState().analytic?.solved ?? [];
    if (layers.length === 0 || n === 0) return 0;
    const classes = this.init.dataset.numClasses;
    const predicted = new Int32Array(n);
    for (let start = 0; start < n; start += EVAL_CHUNK_ROWS) {
      const rows = Math.min(EVAL_CHUNK_ROWS, n - start);
      const scores = forwardAnalytic({ layers }, this.testX.subarray(start * IMAGE_PIXELS, (start + rows) * IMAGE_PIXELS), rows);
      predicted.set(argmaxRows(scores, rows, classes), start);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return accuracy(predicted, this.testY.subarray(0, n));
  }
}
