/**
 * Worker runtime: the worker reducer hosted on a transport, with a tfjs replica and the local data set.
 */
import type { PeerId } from '../../core/ids.ts';
import type { Dataset } from '../../core/data/dataset.ts';
import { toFloatBatch } from '../../core/data/batch.ts';
import { ensureTrainable, getModel } from '../../compute/models.ts';
import { Replica } from '../../compute/replica.ts';
import { CLIENT_REPORT_COLUMNS } from '../../protocol/messages.ts';
import type { DasoProbeMsg, DeviceInfo, StartMsg } from '../../protocol/messages.ts';
import type { Transport } from '../../transport/transport.ts';
import { analyticPlan, layerCount, weightsFit } from '../analytic-plan.ts';
import { maskLabel } from '../federated-plan.ts';
import { createMaskKeyPair, derivePairKey, type MaskKeyPair } from '../pair-keys.ts';
import { PAIR_KEY_BYTES, PUBLIC_KEY_BYTES } from '../../protocol/validate-federated.ts';
import { RoleHost } from '../role-host.ts';
import { accumulateLayer, clientReports, maskLayerSums } from './analytic-jobs.ts';
import { hostedClients, localAccuracies, runFedAvgRound, type HostedClient } from './fedavg-job.ts';
import type { GramStats } from '../../core/analytic/gram-stats.ts';
import { BatchSampler } from './batch-sampler.ts';
import { CurvatureJobs } from './curvature-jobs.ts';
import { ShardHost } from './shard-host.ts';
import { baseKindOf, replicaOptimizer } from '../second-order-options.ts';
import { AdmmLocal, baseOptimizerOf } from './admm-local.ts';
import { flatten, unflatten } from '../../core/math/flat-params.ts';
import { DasoSlot, replicaModel, type GroupListener } from './daso-host.ts';
import type { DasoWorkerStatus } from './daso-status.ts';
import { RttProber } from './rtt-probe.ts';
import { createWorkerReducer, dasoPingCommand, initialWorkerState, type WorkerCommand, type WorkerEvent } from './reducer.ts';
import type { WorkerState } from './state.ts';
import type { RunSnapshot } from '../coordinator/runtime.ts';

export interface WorkerRuntimeInit {
  readonly transport: Transport;
  readonly coordinator: PeerId;
  readonly room: string;
  readonly device: DeviceInfo;
  readonly dataset: Dataset;
  /** Clock in ms (tests pass a frozen or virtual one so CPU starvation cannot look like a dead peer). */
  readonly now?: () => number;
  /** DASO: told the groups when the plan arrives (link emulation between groups). */
  readonly groupListener?: GroupListener;
}

export class WorkerRuntime {
  readonly host: RoleHost<WorkerState, WorkerEvent, WorkerCommand>;
  private replica: Replica | null = null;
  private sampler: BatchSampler | null = null;
  /** Federated runs: the clients this tab hosts, with their train/validation/test rows. */
  private clients: HostedClient[] = [];
  /** Masked runs: this tab's ECDH key pair and the pair keys derived so far (peer id → 32 bytes). */
  private maskKeys: MaskKeyPair | null = null;
  private readonly pairKeys = new Map<string, Uint8Array>();
  /** pFedACnnL: each hosted client's head-layer statistics, kept for its personal solve. */
  private headStats: ReadonlyMap<number, GramStats> = new Map();
  /** Second-order runs: the curvature state this tab owns, and its data-parallel curvature work. */
  private shards: ShardHost | null = null;
  private readonly curvature = new CurvatureJobs();
  private partition: Int32Array = new Int32Array(0);
  /** DHO2 consensus ADMM: this tab's x_i and local FOSI state (admm-local.ts), from the first round on. */
  private admm: AdmmLocal | null = null;
  /** DASO runs: the training loop (daso-runner.ts), from the plan on. */
  private readonly daso = new DasoSlot(() => ({
    transport: this.init.transport, coordinator: this.init.coordinator, config: this.requireConfig(), paramSizes: this.paramSizes(),
    send: (to, m) => this.host.sendMessage(to, m), log: (level, text) => { this.host.log(level, text); },
    onProgress: () => { this.host.notify(); }, groupListener: this.init.groupListener,
  }));
  /** DASO RTT grouping: pings the peers a `daso-probe` names (rtt-probe.ts); one per run id, made on the first probe. */
  private prober: RttProber | null = null;
  private proberRun = '';

  constructor(private readonly init: WorkerRuntimeInit) {
    const reduce = createWorkerReducer({ self: init.transport.self, room: init.room, device: init.device });
    this.host = new RoleHost<WorkerState, WorkerEvent, WorkerCommand>({
      transport: init.transport,
      initial: initialWorkerState(init.coordinator, (init.now ?? Date.now)()),
      reduce,
      execute: (c) => this.execute(c),
      now: init.now,
      // RTT probes bypass the serial command queue both ways (answer and pong), so they time the link.
      intercept: (from, msg) => {
        if (msg.type !== 'daso-ping') return false;
        const c = dasoPingCommand(this.host.getState(), from, msg);
        if (c.type === 'send') void this.host.sendMessage(c.to, c.msg); // never rejects: failures are logged
        else if (c.type === 'daso-pong') this.prober?.onPong(c.from, c.nonce);
        else if (c.type === 'log') this.host.log(c.level, c.text);
        return true;
      },
    });
  }

  /** Connects to the coordinator and says hello. */
  async start(signal?: AbortSignal): Promise<void> {
    this.host.start();
    await this.init.transport.connect(this.init.coordinator, { signal });
    this.host.dispatch({ type: 'connected', now: this.host.now() });
  }

  /** DASO runs: the runner's status for the dashboard; null otherwise. */
  dasoStatus(): DasoWorkerStatus | null {
    return this.daso.status();
  }

  /** Second-order runs: floats of curvature state this tab holds now (0 otherwise). */
  curvatureFloats(): number {
    return (this.shards?.heldFloats() ?? 0) + (this.admm?.curvatureFloats ?? 0);
  }

  /**
   * Failover: this tab's replica as a run snapshot (every applied update included: the command queue is
   * drained first), for continuing the run as its coordinator; null without a replica. Call after the run
   * failed and before stop().
   */
  async replicaSnapshot(): Promise<RunSnapshot | null> {
    await this.host.idle();
    if (this.replica === null) return null;
    const { step, epoch } = this.host.getState();
    return { step, epoch, ...(await this.replica.snapshot()) };
  }

  stop(): void {
    this.curvature.dispose();
    this.prober?.stop();
    this.daso.stop('stopped');
    this.host.stop();
    this.replica?.dispose();
    this.replica = null;
  }

  private async execute(c: WorkerCommand): Promise<boolean> {
    switch (c.type) {
      case 'set-partition':
        this.partition = c.indices;
        this.sampler = new BatchSampler(c.indices, (c.config.seed ^ hashString(this.init.transport.self)) >>> 0);
        this.clients = hostedClients(c, { train: this.init.dataset.train.labels, test: this.init.dataset.test.labels }, c.config.seed, c.config.algo === 'pfedacnnl');
        return true;
      // Jobs run detached: a whole partition takes seconds, and the serial queue must keep sending heartbeats
      // meanwhile. Each reports through an event (…-ready or job-failed) and never throws.
      case 'accumulate-layer': void this.job(() => this.accumulateLayer(c)); return true;
      case 'make-mask-key': void this.job(() => this.makeMaskKey()); return true;
      case 'reveal-keys': void this.job(() => this.revealKeys(c.layer, c.dropped)); return true;
      case 'personalize': void this.job(() => this.personalize(c)); return true;
      case 'fedavg-train': void this.job(() => this.fedAvgTrain(c.round, c.params)); return true;
      case 'fedavg-report': void this.job(() => this.fedAvgReport(c.params)); return true;
      case 'init-replica':
        await this.initReplica(c.start);
        return true;
      case 'apply-update':
        this.requireReplica().applyGradients(c.grads);
        return true;
      case 'compute-gradients':
        await this.computeGradients(c.step, c.batchSize);
        return true;
      case 'shard-plan': this.onShardPlan(c.msg); return true;
      case 'shard-op': void this.host.sendMessage(this.init.coordinator, this.requireShards().answer(c.msg)); return true;
      // Detached like the analytic jobs: a slow HVP must not hold up this tab's shard ops or updates.
      case 'curvature': void this.answerCurvature(c.msg); return true;
      case 'admm-train': void this.job(() => this.admmRound(c.msg)); return true;
      case 'admm-curvature': this.admmCurvature(c.msg); return true;
      case 'daso-message': this.daso.onMessage(c.from, c.msg); return true;
      case 'daso-run': void this.job(() => this.runDaso(c.epoch, c.batchSize)); return true;
      // Detached, and not through job(): a probe takes seconds of pings, must not hold up the queue, and a
      // failed one only leaves the coordinator without this tab's times (it does not fail the run).
      case 'daso-probe': void this.probeRtt(c.msg); return true;
      case 'daso-pong': this.prober?.onPong(c.from, c.nonce); return true;
      case 'finished':
        this.prober?.stop();
        this.daso.stop(c.reason);
        this.host.log(c.ok ? 'info' : 'error', `finished: ${c.reason}`);
        return true;
      case 'send': case 'disconnect': case 'log':
        return false;
      default:
        return c satisfies never;
    }
  }

  /** Measures the round-trip times a `daso-probe` asks for and sends the `daso-rtt` answer to the coordinator. */
  private async probeRtt(msg: DasoProbeMsg): Promise<void> {
    try {
      const { transport } = this.init;
      if (this.prober === null || this.proberRun !== msg.runId) {
        this.prober?.stop();
        this.proberRun = msg.runId;
        this.prober = new RttProber({
          self: transport.self, runId: msg.runId,
          // Fails at once without a link (host.sendMessage only logs), so a dropped peer does not wait out every ping.
          send: (to, m) => (transport.peers().includes(to) ? this.host.sendMessage(to, m) : Promise.reject(new Error(`no link to ${to}`))),
          connect: async (peer) => { if (!transport.peers().includes(peer)) await transport.connect(peer, { signal: AbortSignal.timeout(20_000) }); },
          // A real clock, not the host's: tests freeze that one (liveness), which would make every RTT 0.
          now: () => performance.now(),
          sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        });
      }
      const reply = await this.prober.probe(msg);
      const measured = Array.from(reply.rttMs.data).filter((v) => v >= 0).length;
      this.host.log('info', `RTT probe: ${measured} of ${msg.peers.length} peers measured`);
      await this.host.sendMessage(this.init.coordinator, reply);
    } catch (e) {
      this.host.log('warn', `RTT probe failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private paramSizes(): number[] {
    return getModel(this.requireConfig().model).params.map((p) => p.shape.reduce((a, b) => a * b, 1));
  }

  private async runDaso(epoch: number, batchSize: number): Promise<void> {
    if (this.sampler === null) throw new Error('DASO start before the partition');
    await this.daso.run(replicaModel(this.requireReplica(), this.sampler, this.init.dataset.train, this.paramSizes()), epoch, batchSize);
  }

  private admmLocal(): AdmmLocal {
    const config = this.requireConfig();
    this.admm ??= new AdmmLocal(baseOptimizerOf(baseKindOf(config.optimizer), config.learningRate));
    return this.admm;
  }

  /** One consensus-ADMM round: K local FOSI steps on this tab's partition, then x_i to the coordinator. */
  private async admmRound(msg: Extract<WorkerCommand, { type: 'admm-train' }>['msg']): Promise<void> {
    const sizes = this.paramSizes();
    const anchorParts = msg.anchor.map((t) => (t.data instanceof Float32Array ? t.data : new Float32Array(0)));
    if (!msg.restart && (anchorParts.length !== sizes.length || anchorParts.some((a, i) => a.length !== sizes[i]))) throw new Error(`admm-round ${msg.round}: the anchor does not fit the model`);
    const replica = this.requireReplica();
    const sampler = this.sampler;
    if (sampler === null) throw new Error('ADMM round before the partition');
    const train = this.init.dataset.train;
    const r = await this.admmLocal().round(
      { steps: msg.steps, rho: msg.rho, newtonRate: msg.newtonRate, clip: msg.clip, restart: msg.restart, anchor: msg.restart ? new Float32Array(0) : flatten(anchorParts) },
      async () => flatten((await replica.snapshot()).params),
      async (x) => {
        replica.setParams(unflatten(x, sizes));
        const idx = sampler.next(msg.batchSize);
        const batch = toFloatBatch(train, idx, 0, idx.length);
        const g = await replica.gradients(batch.x, batch.y);
        await yieldToEventLoop();
        return { g: flatten(g.grads), count: g.count, lossSum: g.lossSum };
      },
    );
    // The replica holds x_i between rounds: curvature jobs (hvp-begin) snapshot it there.
    const params = unflatten(r.x, sizes);
    replica.setParams(params);
    this.host.dispatch({ type: 'admm-ready', round: msg.round, count: r.count, lossSum: r.lossSum, params, now: this.host.now() });
  }

  private admmCurvature(msg: Extract<WorkerCommand, { type: 'admm-curvature' }>['msg']): void {
    const eigvals = msg.eigvals.data instanceof Float64Array ? msg.eigvals.data : new Float64Array(0);
    const eigvecs = msg.eigvecs.data instanceof Float32Array ? msg.eigvecs.data : new Float32Array(0);
    const bad = this.admmLocal().setEigen(eigvals, eigvecs, this.paramSizes().reduce((a, b) => a + b, 0));
    if (bad !== null) this.host.log('warn', `curvature of step ${msg.snapshotStep} refused: ${bad}`);
  }

  private async initReplica(start: StartMsg): Promise<void> {
    const config = this.host.getState().config;
    if (config === null) throw new Error('start before assign');
    const note = await ensureTrainable(getModel(config.model));
    if (note !== null) this.host.log('warn', note);
    this.replica?.dispose();
    const f32 = (ts: StartMsg['params']): Float32Array[] => ts.map((t) => t.data as Float32Array);
    this.replica = new Replica(getModel(config.model), replicaOptimizer(config), f32(start.params), f32(start.slots), start.optimizerStep);
  }

  private onShardPlan(msg: Extract<WorkerCommand, { type: 'shard-plan' }>['msg']): void {
    const config = this.requireConfig();
    this.shards = new ShardHost(this.init.transport.self, config.algo, this.paramSizes().reduce((a, b) => a + b, 0));
    const r = this.shards.plan(msg);
    if (!r.ok) this.host.log('error', `shard plan refused: ${r.error}`);
  }

  private requireShards(): ShardHost {
    if (this.shards === null) throw new Error('shard op before the shard plan');
    return this.shards;
  }

  private async answerCurvature(msg: Extract<WorkerCommand, { type: 'curvature' }>['msg']): Promise<void> {
    const config = this.requireConfig();
    const reply = await this.curvature.answer(msg, {
      model: getModel(config.model), train: this.init.dataset.train, indices: this.partition,
      n: this.paramSizes().reduce((a, b) => a + b, 0), params: async () => (await this.requireReplica().snapshot()).params,
    });
    void this.host.sendMessage(this.init.coordinator, reply);
  }

  private requireReplica(): Replica {
    if (this.replica === null) throw new Error('no replica yet');
    return this.replica;
  }

  /** Runs a detached job; anything it throws becomes a `job-failed` event. */
  private async job(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (e) {
      this.host.dispatch({ type: 'job-failed', detail: e instanceof Error ? e.message : String(e), now: this.host.now() });
    }
  }

  private requireConfig() {
    const config = this.host.getState().config;
    if (config === null) throw new Error('no partition assigned');
    return config;
  }

  private planOf() {
    const { dataset } = this.init;
    return analyticPlan(this.requireConfig(), dataset.width * dataset.height, dataset.numClasses);
  }

  /** Analytic algos: the hosted clients' statistics of a layer, per group, plain or masked. */
  private async accumulateLayer(c: Extract<WorkerCommand, { type: 'accumulate-layer' }>): Promise<void> {
    const config = this.requireConfig();
    const plan = this.planOf();
    if (!weightsFit(plan, c.layer, c.weights)) throw new Error(`layer-request ${c.layer} carries weights that do not fit the network`);
    const keepPerClient = config.algo === 'pfedacnnl' && c.layer === layerCount(plan) - 1;
    const began = performance.now();
    const sums = await accumulateLayer({ plan, layer: c.layer, weights: c.weights, groups: c.groups, clients: this.clients, train: this.init.dataset.train, keepPerClient, pause: yieldToEventLoop });
    if (keepPerClient) this.headStats = sums.perClient;
    const rows = sums.groups.reduce((n, g) => n + g.count, 0);
    // Where a one-pass run's time goes (the analytic bench collects these lines).
    this.host.log('info', `layer ${c.layer + 1} statistics of ${rows} rows (${this.clients.length} clients) in ${Math.round(performance.now() - began)} ms`);
    if (c.roster.length === 0) {
      this.host.dispatch({ type: 'layer-stats-ready', layer: c.layer, stats: sums.groups, now: this.host.now() });
      return;
    }
    const self = c.roster.indexOf(this.init.transport.self);
    const keys = new Map<number, Uint8Array>();
    for (const [i, peer] of c.roster.entries()) {
      if (i === self) continue;
      keys.set(i, await this.pairKey(peer, c.rosterKeys.subarray(i * PUBLIC_KEY_BYTES, (i + 1) * PUBLIC_KEY_BYTES)));
    }
    const ring = await maskLayerSums(sums.groups, self, keys, maskLabel(config.runId, c.layer, c.roster), c.roster.length, yieldToEventLoop);
    if (!ring.ok) throw new Error(ring.error);
    this.host.dispatch({ type: 'masked-stats-ready', layer: c.layer, ring: ring.value, now: this.host.now() });
  }

  /** The pair key shared with `peer` (derived once per run from its public key). */
  private async pairKey(peer: string, publicKey: Uint8Array): Promise<Uint8Array> {
    const known = this.pairKeys.get(peer);
    if (known) return known;
    if (this.maskKeys === null) throw new Error('no masking key pair yet');
    const key = await derivePairKey(this.maskKeys, publicKey, this.requireConfig().runId);
    if (!key.ok) throw new Error(`cannot agree a mask key with ${peer}: ${key.error}`);
    this.pairKeys.set(peer, key.value);
    return key.value;
  }

  private async makeMaskKey(): Promise<void> {
    this.maskKeys = await createMaskKeyPair();
    this.pairKeys.clear();
    this.host.dispatch({ type: 'mask-key-ready', publicKey: this.maskKeys.publicKeyRaw, now: this.host.now() });
  }

  /** Reveals the pair keys with dropped roster members (only those this tab actually derived). */
  private async revealKeys(layer: number, dropped: readonly string[]): Promise<void> {
    const keys = new Uint8Array(dropped.length * PAIR_KEY_BYTES);
    for (const [i, peer] of dropped.entries()) {
      const key = this.pairKeys.get(peer);
      if (key === undefined) throw new Error(`asked to reveal a mask key with ${peer}, which was not in this tab's roster`);
      keys.set(key, i * PAIR_KEY_BYTES);
    }
    await Promise.resolve();
    this.host.dispatch({ type: 'keys-revealed', layer, dropped, keys, now: this.host.now() });
  }

  private async personalize(c: Extract<WorkerCommand, { type: 'personalize' }>): Promise<void> {
    const plan = this.planOf();
    if (!weightsFit(plan, c.weights.length - 1, c.weights.slice(0, -1))) throw new Error('personalize carries weights that do not fit the network');
    const began = performance.now();
    const rows = await clientReports({ plan, weights: c.weights, groupHeads: c.groupHeads, groups: c.groups, clients: this.clients, train: this.init.dataset.train, test: this.init.dataset.test, headStats: this.headStats, pause: yieldToEventLoop });
    this.host.log('info', `client reports of ${this.clients.length} clients in ${Math.round(performance.now() - began)} ms`);
    this.host.dispatch({ type: 'client-report-ready', rows, now: this.host.now() });
  }

  private async fedAvgTrain(round: number, params: readonly Float32Array[]): Promise<void> {
    const config = this.requireConfig();
    const r = await runFedAvgRound({ model: getModel(config.model), params, clients: this.clients, train: this.init.dataset.train, config, round, onBatch: yieldToEventLoop });
    this.host.dispatch({ type: 'fedavg-ready', round, count: r.count, lossSum: r.lossSum, params: r.params, now: this.host.now() });
  }

  private async fedAvgReport(params: readonly Float32Array[]): Promise<void> {
    const config = this.requireConfig();
    const acc = await localAccuracies(getModel(config.model), params, this.clients, this.init.dataset.test);
    const rows = new Float64Array(this.clients.length * CLIENT_REPORT_COLUMNS);
    this.clients.forEach((c, i) => { rows.set([c.id, c.rows.train.length, acc[i] ?? Number.NaN, Number.NaN, Number.NaN, c.group], i * CLIENT_REPORT_COLUMNS); });
    this.host.dispatch({ type: 'client-report-ready', rows, now: this.host.now() });
  }

  private async computeGradients(step: number, batchSize: number): Promise<void> {
    const now = (): number => this.host.now();
    try {
      if (this.sampler === null) throw new Error('no partition assigned');
      const idx = this.sampler.next(batchSize);
      const { x, y } = toFloatBatch(this.init.dataset.train, idx, 0, idx.length);
      const g = await this.requireReplica().gradients(x, y);
      this.host.dispatch({ type: 'gradients-ready', step, count: g.count, lossSum: g.lossSum, grads: g.grads, now: now() });
    } catch (e) {
      this.host.dispatch({ type: 'job-failed', detail: String(e), now: now() });
    }
  }
}

/** Lets the event loop run (heartbeats, other tabs' messages) between chunks of a long accumulation. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** FNV-1a, to derive a per-worker sampling seed from its id. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
