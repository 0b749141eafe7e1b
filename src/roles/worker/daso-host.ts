/**
 * Glue between a worker runtime and its DASO runner: builds the runner from a `daso-plan` (wired to the
 * transport and the role host) and adapts the tfjs Replica and the batch sampler to the runner's `DasoModel`.
 * Kept apart so runtime.ts only routes two commands (`DasoSlot`).
 */
import { toFloatBatch } from '../../core/data/batch.ts';
import type { Split } from '../../core/data/dataset.ts';
import type { PeerId } from '../../core/ids.ts';
import type { Replica } from '../../compute/replica.ts';
import type { DasoPlanMsg, Message, RunConfig } from '../../protocol/messages.ts';
import type { Transport } from '../../transport/transport.ts';
import type { LogLevel } from '../commands.ts';
import type { BatchSampler } from './batch-sampler.ts';
import { DasoRunner, type DasoModel } from './daso-runner.ts';
import type { DasoWorkerStatus } from './daso-status.ts';
import type { DasoMessage } from './reducer.ts';
import { flatten } from './daso-steps.ts';
import type { DeviceGroup } from '../../core/daso/groups.ts';

/** Told the groups once a plan arrives (link emulation between groups: daso-links.ts). */
export interface GroupListener {
  setGroups(groups: readonly DeviceGroup[]): void;
}

export interface DasoHostDeps {
  readonly transport: Transport;
  readonly coordinator: PeerId;
  readonly config: RunConfig;
  readonly paramSizes: readonly number[];
  send(to: PeerId, msg: Message): Promise<void>;
  log(level: LogLevel, text: string): void;
  onProgress(): void;
  readonly groupListener?: GroupListener | undefined;
}

export function createDasoRunner(plan: DasoPlanMsg, d: DasoHostDeps): DasoRunner {
  const runner = new DasoRunner({
    self: d.transport.self, coordinator: d.coordinator, config: d.config, plan, paramSizes: d.paramSizes,
    send: (to, msg) => d.send(to, msg),
    connect: (peer) => d.transport.connect(peer, { signal: AbortSignal.timeout(20_000) }),
    linked: (peer) => d.transport.peers().includes(peer),
    log: (level, text) => { d.log(level, text); },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onProgress: () => { d.onProgress(); },
  });
  d.groupListener?.setGroups(runner.groups);
  return runner;
}

/** The Replica and this tab's sampler as a DasoModel. */
export function replicaModel(replica: Replica, sampler: BatchSampler, train: Split, paramSizes: readonly number[]): DasoModel {
  return {
    gradients: async (n) => {
      const idx = sampler.next(n);
      const { x, y } = toFloatBatch(train, idx, 0, idx.length);
      return replica.gradients(x, y);
    },
    applyGradients: (g) => { replica.applyGradients(g); },
    params: async () => flatten((await replica.snapshot()).params),
    setParams: (flat) => {
      let at = 0;
      replica.setParams(paramSizes.map((n) => { const p = flat.slice(at, at + n); at += n; return p; }));
    },
  };
}

/** Early DASO messages kept before the plan: a few batches of every peer, far fewer than a flood. */
const MAX_EARLY = 256;

/**
 * The worker runtime's DASO slot: builds a runner per plan, keeps peer messages that come before the plan
 * (a peer may start first), runs and stops it. `deps` is read when a plan arrives (the config is known then).
 */
export class DasoSlot {
  private runner: DasoRunner | null = null;
  private early: { from: PeerId; msg: DasoMessage }[] = [];

  constructor(private readonly deps: () => DasoHostDeps) {}

  onMessage(from: PeerId, msg: DasoMessage): void {
    if (msg.type !== 'daso-plan') {
      // A peer that got a re-formed plan first may already send under it: keep that for our next runner.
      const ahead = msg.type !== 'daso-schedule' && this.runner !== null && msg.generation > this.runner.generation;
      if (this.runner !== null && !ahead) this.runner.deliver(from, msg);
      else if (this.early.length < MAX_EARLY) this.early.push({ from, msg });
      return;
    }
    if (this.runner !== null && msg.generation <= this.runner.generation) return; // a stale or repeated plan
    this.runner?.stop('replaced by a re-formed plan');
    const runner = createDasoRunner(msg, this.deps());
    for (const e of this.early) runner.deliver(e.from, e.msg);
    this.early = [];
    this.runner = runner;
  }

  /** Trains to the end of the run; throws the runner's failure, if any. */
  async run(model: DasoModel, epoch: number, batchSize: number): Promise<void> {
    const runner = this.runner;
    if (runner === null) throw new Error('DASO start before its plan');
    await runner.run(model, epoch, batchSize);
    if (runner.failure !== null) throw new Error(runner.failure);
  }

  status(): DasoWorkerStatus | null {
    return this.runner?.status() ?? null;
  }

  stop(reason: string): void {
    this.runner?.stop(reason);
  }
}
