/**
 * DHO2 on the coordinator (algo 'dho2'; ALGORITHMS.md §2, docs/decisions/0006-dho2-runtime.md). The reducer
 * runs the data-parallel step loop; for each step's mean gradient this conductor computes the update with
 * partial curvature (§2.3): three all-reduces of k numbers over the shard owners, then each owner's update
 * slice Δ_p, gathered into Δ. Replicas apply Δ with SGD at rate 1 (θ − 1·(−Δ)), so every tab keeps one code
 * path for updates, late joiners included.
 *
 * Curvature: at FOSI's refresh steps the sharded Lanczos (core/optim/sharded-lanczos.ts) runs over
 * NetworkShardOps: blocking ('sync'), or on a parameter snapshot by `curvatureTabs` devices while the others
 * keep training ('parallel', §2.5: the result carries its snapshot step and is dropped if more than T_ese steps
 * stale). A failed or garbage curvature job is dropped whole: the owners clear their basis, the last good
 * eigen-information stays, the model is untouched, and the peer that sent garbage is evicted.
 */
import type { PeerId } from '../../core/ids.ts';
import { flatten, unflatten } from '../../core/math/flat-params.ts';
import { lanczosOrder } from '../../core/optim/lanczos.ts';
import { shardedLanczos } from '../../core/optim/sharded-lanczos.ts';
import { planShards } from '../../core/optim/shard-plan.ts';
import { batchShares } from '../../core/plan/batch-shares.ts';
import type { RunConfig, ShardPlanMsg } from '../../protocol/messages.ts';
import { i32 } from '../../protocol/wire-tensor.ts';
import { baseKindOf, type Dho2Options } from '../second-order-options.ts';
import { NetworkShardOps, type HvpWorker } from './network-shard-ops.ts';
import { BadPeerResultError, HeldFloats, type SecondOrderLinks } from './second-order-links.ts';

/** What the conductor needs from its host (the coordinator runtime). */
export interface ConductorHost {
  readonly config: RunConfig;
  readonly links: SecondOrderLinks;
  readonly paramShapes: readonly (readonly number[])[];
  /** Active, eligible members in a stable order, with their measured speed and memory. */
  members(): readonly { readonly id: PeerId; readonly samplesPerSec: number; readonly memoryBytes: number }[];
  broadcastPlan(to: readonly PeerId[], plan: ShardPlanMsg): void;
  /** Devices to leave out of gradient work (parallel curvature); [] = nobody. */
  sitOut(peers: readonly PeerId[]): void;
  evict(peer: PeerId, why: string): void;
  log(level: 'info' | 'warn', text: string): void;
  now(): number;
}

export interface ShardStatus {
  readonly peer: string;
  readonly size: number;
  readonly heldFloats: number;
  readonly peakFloats: number;
}

export interface Dho2Status {
  readonly variant: string;
  readonly extrapolate: boolean;
  readonly shards: readonly ShardStatus[];
  /** The running curvature job, or null. */
  readonly job: { readonly snapshotStep: number; readonly iteration: number; readonly order: number; readonly workers: readonly string[] } | null;
  readonly eigvals: readonly number[];
  /** Snapshot step of the installed eigen-information; −1 before the first. */
  readonly eigenStep: number;
  readonly installs: number;
  readonly dropped: number;
  readonly lastJobSeconds: number;
  /** Variant 'admm': the last closed consensus round's residuals and penalty; null otherwise or before one. */
  readonly admm: AdmmStatus | null;
}

/** Consensus ADMM after round `round`: primal ‖(x_i − z)_i‖, dual ρ√N‖z − z_prev‖, and ρ for the next round. */
export interface AdmmStatus {
  readonly round: number;
  readonly primal: number;
  readonly dual: number;
  readonly rho: number;
}

interface Layout {
  readonly epoch: number;
  readonly owners: readonly PeerId[];
  readonly sizes: readonly number[];
}

type JobOutcome = { readonly ok: true; readonly eigvals: Float64Array; readonly k: number } | { readonly ok: false; readonly reason: string };

interface Job {
  readonly snapshotStep: number;
  readonly ops: NetworkShardOps;
  readonly workers: readonly PeerId[];
  readonly startedAt: number;
  readonly order: number;
  outcome: JobOutcome | null;
}

export class Dho2Conductor {
  private layout: Layout | null = null;
  private planEpoch = 0;
  /** FOSI's step counter t (steps taken with this conductor). */
  private count = 0;
  private job: Job | null = null;
  private anchored = false;
  private eigvals: Float64Array = new Float64Array(0);
  private eigenStep = -1;
  private installs = 0;
  private dropped = 0;
  private lastJobSeconds = 0;
  private readonly held = new HeldFloats();

  constructor(private readonly host: ConductorHost, private readonly options: Dho2Options) {}

  get epochOfPlan(): number {
    return this.planEpoch;
  }

  /** Called by SecondOrderLinks with every reply's held floats. */
  noteHeld(peer: PeerId, floats: number): void {
    this.held.note(peer, floats);
  }

  status(): Dho2Status {
    const l = this.layout;
    const j = this.job;
    return {
      variant: this.options.variant, extrapolate: this.options.extrapolate,
      shards: l === null ? [] : l.owners.map((peer, p) => ({ peer, size: l.sizes[p] ?? 0, heldFloats: this.held.now(peer), peakFloats: this.held.peak(peer) })),
      job: j === null || j.outcome !== null ? null : { snapshotStep: j.snapshotStep, iteration: j.ops.hvpCount, order: j.order, workers: j.workers },
      eigvals: Array.from(this.eigvals), eigenStep: this.eigenStep, installs: this.installs, dropped: this.dropped, lastJobSeconds: this.lastJobSeconds, admm: null,
    };
  }

  /** The update for `step`'s mean gradient, as per-tensor "gradients" for the replicas' SGD at rate 1 (−Δ). */
  async precondition(step: number, mean: readonly Float32Array[]): Promise<Float32Array[]> {
    const layout = this.ensureLayout();
    const extra = await this.maybeRefresh(step, layout);
    const delta = await this.fosiStep(layout, flatten(mean));
    if (extra !== null) for (let i = 0; i < delta.length; i++) delta[i] = (delta[i] ?? 0) + (extra[i] ?? 0);
    this.count += 1;
    for (let i = 0; i < delta.length; i++) delta[i] = -(delta[i] ?? 0);
    return unflatten(delta, mean.map((g) => g.length));
  }

  /**
   * Consensus ADMM (variant 'admm'): a blocking curvature job at a round boundary, with `workers`' HVPs each at
   * its own x_i (the replicas hold x_i between rounds), installed on the owners; then the owners' V_p rows are
   * gathered into full rows for the members' local FOSI steps. Null when the job failed (logged; the members
   * keep their last eigen-information). Never throws.
   */
  async curvatureForAdmm(step: number, workers: readonly PeerId[]): Promise<{ readonly eigvals: Float64Array; readonly eigvecs: Float32Array } | null> {
    try {
      this.count = step;
      const layout = this.ensureLayout();
      // Only members that hold an x_i compute HVPs: a joiner gets its `start` after this job.
      const job = this.startJob(step, layout, workers);
      await this.runJob(job, layout);
      const installs = this.installs;
      await this.installFinished(layout);
      if (this.installs === installs) return null;
      const r = this.eigvals.length;
      const parts = await Promise.all(layout.owners.map((o, p) => this.host.links.shard(o, 'eigvecs', { vector: r * (layout.sizes[p] ?? 0) })));
      const n = layout.sizes.reduce((a, b) => a + b, 0);
      const eigvecs = new Float32Array(r * n);
      let offset = 0;
      layout.sizes.forEach((size, p) => {
        const v = parts[p]?.vector ?? new Float32Array(0);
        for (let j = 0; j < r; j++) eigvecs.set(v.subarray(j * size, (j + 1) * size), j * n + offset);
        offset += size;
      });
      return { eigvals: this.eigvals.slice(), eigvecs };
    } catch (e) {
      if (e instanceof BadPeerResultError) this.host.evict(e.peer, `bad curvature result: ${e.message}`);
      this.layout = null;
      this.host.log('warn', `ADMM curvature of step ${step} failed: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  /** After a failed step: re-plan before the next one (owners may be mid-step). */
  reset(): void {
    this.layout = null;
  }

  /** A member left or was evicted: if it owned a shard, re-plan (its shard's curvature and moments are lost). */
  memberLeft(peer: PeerId): void {
    if (this.layout?.owners.includes(peer) !== true) return;
    this.layout = null;
    this.host.log('warn', `${peer} owned a shard: re-planning the shards (curvature and optimizer moments start over)`);
  }

  /** FOSI's refresh rule: (t+1) ≥ W and ((t+1) − W) mod T = 0. */
  private refreshDue(): boolean {
    const { warmup, refreshEvery } = this.options;
    return this.count + 1 >= warmup && (this.count + 1 - warmup) % refreshEvery === 0;
  }

  private ensureLayout(): Layout {
    const members = this.host.members();
    if (this.layout !== null) return this.layout;
    const known = members.map((m) => m.memoryBytes).filter((x) => x > 0);
    const fallback = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 1;
    const sizes = planShards(this.host.paramShapes, members.map((m) => (m.memoryBytes > 0 ? m.memoryBytes : fallback)));
    if (!sizes.ok) throw new Error(`cannot shard the model over ${members.length} devices: ${sizes.error}`);
    this.planEpoch += 1;
    this.job = null;
    this.anchored = false;
    this.eigvals = new Float64Array(0);
    const owners = members.map((m) => m.id);
    const cfg = this.host.config;
    const base = baseKindOf(cfg.optimizer);
    this.host.broadcastPlan(owners, {
      type: 'shard-plan', runId: cfg.runId, epoch: this.planEpoch, owners, sizes: i32([sizes.value.length], Int32Array.from(sizes.value)),
      base, learningRate: cfg.learningRate, newtonRate: this.options.newtonRate,
      clip: this.options.clip > 0 ? Math.max(1, this.options.clip) : base === 'adam' ? 1 : 3, decay: 0.9, eigenvalueShift: 0,
      extrapolationSigma: this.options.extrapolate ? this.options.extrapolationSigma : 0, damping: 0,
    });
    this.layout = { epoch: this.planEpoch, owners, sizes: sizes.value };
    this.host.log('info', `DHO2 shards: ${owners.map((o, p) => `${o} ${sizes.value[p] ?? 0}`).join(', ')}`);
    return this.layout;
  }

  /** Refresh bookkeeping at a step boundary; returns the extrapolation displacement to add, if any. */
  private async maybeRefresh(step: number, layout: Layout): Promise<Float32Array | null> {
    await this.installFinished(layout);
    if (!this.refreshDue()) return null;
    const extra = this.options.extrapolate && this.anchored ? await this.gather(layout, 'extrapolate') : null;
    if (this.options.variant === 'sync') {
      const job = this.startJob(step, layout, this.host.members().map((m) => m.id));
      await this.runJob(job, layout);
      await this.installFinished(layout);
    } else if (this.job === null) {
      const members = this.host.members().map((m) => m.id);
      // The last devices compute curvature; at least one keeps training.
      const tabs = Math.max(1, Math.min(this.options.curvatureTabs, members.length - 1));
      const workers = members.length === 1 ? members : members.slice(members.length - tabs);
      const job = this.startJob(step, layout, workers);
      if (members.length > 1) this.host.sitOut(workers);
      void this.runJob(job, layout).finally(() => { this.host.sitOut([]); });
    }
    return extra;
  }

  private startJob(step: number, layout: Layout, workers: readonly PeerId[]): Job {
    const order = this.options.order > 0 ? this.options.order : lanczosOrder(this.options.k);
    const speeds: Record<string, number> = {};
    for (const m of this.host.members()) if (workers.includes(m.id)) speeds[m.id] = Math.max(1, m.samplesPerSec);
    const rows = batchShares(this.options.curvatureBatch, speeds);
    const hvpWorkers: HvpWorker[] = workers.map((peer) => ({ peer, rows: rows[peer] ?? 0 })).filter((w) => w.rows > 0);
    const ops = new NetworkShardOps(this.host.links, layout, hvpWorkers);
    const job: Job = { snapshotStep: step, ops, workers: hvpWorkers.map((w) => w.peer), startedAt: this.host.now(), order, outcome: null };
    this.job = job;
    return job;
  }

  /** Runs the sharded Lanczos of `job`; never throws (the outcome says why it failed). */
  private async runJob(job: Job, layout: Layout): Promise<void> {
    const seed = (this.host.config.seed + job.snapshotStep) >>> 0;
    const workers = job.workers;
    try {
      // Each worker snapshots its replica (at θ of this step: the update is sent after this returns) and fixes its batch.
      await Promise.all(workers.map((w) => this.host.links.curvature(w, 'hvp-begin', seed, job.ops.workerRows(w))));
      const r = await shardedLanczos(job.ops, { order: job.order, seed, k: this.options.k });
      job.outcome = r.ok ? { ok: true, eigvals: r.value.eigvals, k: r.value.k } : { ok: false, reason: `${r.error.kind} at iteration ${r.error.step}` };
    } catch (e) {
      job.outcome = { ok: false, reason: e instanceof Error ? e.message : String(e) };
      if (e instanceof BadPeerResultError) this.host.evict(e.peer, `bad curvature result: ${e.message}`);
    } finally {
      this.lastJobSeconds = (this.host.now() - job.startedAt) / 1000;
      await Promise.allSettled(workers.map((w) => this.host.links.curvature(w, 'hvp-end', 0, 0)));
    }
    if (!job.outcome.ok) {
      this.host.log('warn', `curvature job of step ${job.snapshotStep} dropped (${job.outcome.reason}): keeping the last eigen-information`);
      if (this.layout === layout) await Promise.allSettled(layout.owners.map((o) => this.host.links.shard(o, 'clear-basis', {})));
    }
  }

  /** Installs a finished job's eigen-information on every owner (or drops it when stale or failed). */
  private async installFinished(layout: Layout): Promise<void> {
    const job = this.job;
    if (job?.outcome == null) return;
    this.job = null;
    const outcome = job.outcome;
    if (!outcome.ok) {
      this.dropped += 1;
      return;
    }
    const staleness = this.count - job.snapshotStep;
    if (staleness > this.options.refreshEvery || this.layout !== layout) {
      this.dropped += 1;
      this.host.log('warn', `curvature of step ${job.snapshotStep} is ${staleness} steps stale: dropped`);
      await Promise.allSettled(layout.owners.map((o) => this.host.links.shard(o, 'clear-basis', {})));
      return;
    }
    await Promise.all(layout.owners.map((o) => this.host.links.shard(o, 'install', {}, { arg: outcome.k, values: outcome.eigvals })));
    if (this.options.extrapolate) {
      await Promise.all(layout.owners.map((o) => this.host.links.shard(o, 'anchor', {})));
      this.anchored = true;
    }
    this.eigvals = outcome.eigvals;
    this.eigenStep = job.snapshotStep;
    this.installs += 1;
    const top = outcome.eigvals[outcome.eigvals.length - 1] ?? Number.NaN;
    this.host.log('info', `curvature of step ${job.snapshotStep} installed at step ${this.count}: λ_max ${top.toPrecision(4)}`);
  }

  /** FOSI's step with partial curvature: a = Σ V_p g_p; e = Σ V_p d2_p; Δ = [Δ_p]. */
  private async fosiStep(layout: Layout, g: Float32Array): Promise<Float32Array> {
    const slices = unflatten(g, layout.sizes);
    const r = this.eigvals.length;
    const links = this.host.links;
    const a = sum(await Promise.all(layout.owners.map((o, p) => links.shard(o, 'step-project', { values: r }, { vector: slices[p] ?? new Float32Array(0) }))), r);
    const e = sum(await Promise.all(layout.owners.map((o) => links.shard(o, 'step-base', { values: r }, { values: a }))), r);
    const parts = await Promise.all(layout.owners.map((o, p) => links.shard(o, 'step-finish', { vector: layout.sizes[p] ?? 0 }, { values: e })));
    return flatten(parts.map((x) => x.vector));
  }

  private async gather(layout: Layout, op: 'extrapolate'): Promise<Float32Array> {
    const parts = await Promise.all(layout.owners.map((o, p) => this.host.links.shard(o, op, { vector: layout.sizes[p] ?? 0 })));
    return flatten(parts.map((x) => x.vector));
  }
}

function sum(parts: readonly { readonly values: Float64Array }[], r: number): Float64Array {
  const out = new Float64Array(r);
  for (const p of parts) p.values.forEach((x, j) => (out[j] = (out[j] ?? 0) + x));
  return out;
}
