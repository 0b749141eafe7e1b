/**
 * Worker runtime: the worker reducer hosted on a transport, with a tfjs replica and the local data set.
 */
import type { PeerId } from '../../core/ids.ts';
import type { Dataset } from '../../core/data/dataset.ts';
import { toFloatBatch } from '../../core/data/batch.ts';
import { ensureTrainable, getModel } from '../../compute/models.ts';
import { Replica } from '../../compute/replica.ts';
import type { DeviceInfo, StartMsg } from '../../protocol/messages.ts';
import type { Transport } from '../../transport/transport.ts';
import { ANALYTIC_CHUNK_ROWS, analyticPlan, layerAccumulator, weightsFit } from '../analytic-plan.ts';
import { RoleHost } from '../role-host.ts';
import { BatchSampler } from './batch-sampler.ts';
import { createWorkerReducer, initialWorkerState, type WorkerCommand, type WorkerEvent } from './reducer.ts';
import type { WorkerState } from './state.ts';

export interface WorkerRuntimeInit {
  readonly transport: Transport;
  readonly coordinator: PeerId;
  readonly room: string;
  readonly device: DeviceInfo;
  readonly dataset: Dataset;
  /** Clock in ms (tests pass a frozen or virtual one so CPU starvation cannot look like a dead peer). */
  readonly now?: () => number;
}

export class WorkerRuntime {
  readonly host: RoleHost<WorkerState, WorkerEvent, WorkerCommand>;
  private replica: Replica | null = null;
  private sampler: BatchSampler | null = null;
  /** The partition's sample indices (algo 'fedacnnl' reads all of them for every layer). */
  private indices: Int32Array | null = null;

  constructor(private readonly init: WorkerRuntimeInit) {
    const reduce = createWorkerReducer({ room: init.room, device: init.device });
    this.host = new RoleHost<WorkerState, WorkerEvent, WorkerCommand>({
      transport: init.transport,
      initial: initialWorkerState(init.coordinator, (init.now ?? Date.now)()),
      reduce,
      execute: (c) => this.execute(c),
      now: init.now,
    });
  }

  /** Connects to the coordinator and says hello. */
  async start(signal?: AbortSignal): Promise<void> {
    this.host.start();
    await this.init.transport.connect(this.init.coordinator, { signal });
    this.host.dispatch({ type: 'connected', now: this.host.now() });
  }

  stop(): void {
    this.host.stop();
    this.replica?.dispose();
    this.replica = null;
  }

  private async execute(c: WorkerCommand): Promise<boolean> {
    switch (c.type) {
      case 'set-partition':
        this.sampler = new BatchSampler(c.indices, (c.config.seed ^ hashString(this.init.transport.self)) >>> 0);
        this.indices = c.indices;
        return true;
      case 'accumulate-layer':
        // Detached: a whole partition takes seconds, and the serial queue must keep sending heartbeats meanwhile.
        // The job reports through events (layer-stats-ready / job-failed) and never throws.
        void this.accumulateLayer(c.layer, c.weights);
        return true;
      case 'init-replica':
        await this.initReplica(c.start);
        return true;
      case 'apply-update':
        this.requireReplica().applyGradients(c.grads);
        return true;
      case 'compute-gradients':
        await this.computeGradients(c.step, c.batchSize);
        return true;
      case 'finished':
        this.host.log(c.ok ? 'info' : 'error', `finished: ${c.reason}`);
        return true;
      case 'send': case 'disconnect': case 'log':
        return false;
      default:
        return c satisfies never;
    }
  }

  private async initReplica(start: StartMsg): Promise<void> {
    const config = this.host.getState().config;
    if (config === null) throw new Error('start before assign');
    const note = await ensureTrainable(getModel(config.model));
    if (note !== null) this.host.log('warn', note);
    this.replica?.dispose();
    const f32 = (ts: StartMsg['params']): Float32Array[] => ts.map((t) => t.data as Float32Array);
    this.replica = new Replica(getModel(config.model), { name: config.optimizer, learningRate: config.learningRate }, f32(start.params), f32(start.slots), start.optimizerStep);
  }

  private requireReplica(): Replica {
    if (this.replica === null) throw new Error('no replica yet');
    return this.replica;
  }

  /** FedACnnL: this partition's statistics of `layer`, accumulated chunk by chunk in float64. */
  private async accumulateLayer(layer: number, weights: readonly Float64Array[]): Promise<void> {
    const now = (): number => this.host.now();
    try {
      const config = this.host.getState().config;
      if (config === null || this.indices === null) throw new Error('no partition assigned');
      const { dataset } = this.init;
      const plan = analyticPlan(config, dataset.width * dataset.height, dataset.numClasses);
      if (!weightsFit(plan, layer, weights)) throw new Error(`layer-request ${layer} carries weights that do not fit the network`);
      const acc = layerAccumulator(plan, layer, weights);
      for (let start = 0; start < this.indices.length; start += ANALYTIC_CHUNK_ROWS) {
        const { x, y, count } = toFloatBatch(dataset.train, this.indices, start, ANALYTIC_CHUNK_ROWS);
        acc.add(x, count, y);
        await yieldToEventLoop();
      }
      this.host.dispatch({ type: 'layer-stats-ready', layer, stats: acc.stats(), now: now() });
    } catch (e) {
      this.host.dispatch({ type: 'job-failed', detail: String(e), now: now() });
    }
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
