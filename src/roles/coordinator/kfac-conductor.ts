/**
 * Distributed K-FAC on the coordinator (algo 'kfac'; docs/math/kfac.md): the second-order baseline DHO2 is
 * measured against. Layer l's Kronecker factors live on one device, owners[l mod N], which inverts them (the
 * expensive part) and preconditions that layer's gradient every step. Every `every` steps each device sends
 * factor sums over its share of a statistics batch; the coordinator adds them per layer and ships each layer's
 * sum to its owner. Replicas apply the preconditioned gradient with the run's optimizer (SGD momentum).
 * A failed refresh keeps the previous inverses; a device that sent garbage is evicted.
 */
import type { PeerId } from '../../core/ids.ts';
import { addFactorSums, checkFactorSums, type KfacFactorSums } from '../../core/optim/kfac.ts';
import { batchShares } from '../../core/plan/batch-shares.ts';
import { layerGradient, MLP_DENSE_LAYERS, splitLayerUpdate } from '../../compute/kfac-stats.ts';
import { i32 } from '../../protocol/wire-tensor.ts';
import { baseKindOf, type KfacOptions } from '../second-order-options.ts';
import type { ConductorHost, ShardStatus } from './dho2-conductor.ts';
import { BadPeerResultError, HeldFloats } from './second-order-links.ts';


export interface KfacStatus {
  readonly shards: readonly ShardStatus[];
  readonly refreshes: number;
  readonly failures: number;
  readonly lastRefreshSeconds: number;
}

export class KfacConductor {
  private owners: readonly PeerId[] | null = null;
  private planEpoch = 0;
  private count = 0;
  private installed = false;
  private refreshes = 0;
  private failures = 0;
  private lastRefreshSeconds = 0;
  private readonly held = new HeldFloats();

  constructor(private readonly host: ConductorHost, private readonly options: KfacOptions) {}

  get epochOfPlan(): number {
    return this.planEpoch;
  }

  noteHeld(peer: PeerId, floats: number): void {
    this.held.note(peer, floats);
  }

  status(): KfacStatus {
    const owners = this.owners ?? [];
    return {
      shards: MLP_DENSE_LAYERS.map((l, i) => {
        const peer = owners[i % Math.max(1, owners.length)] ?? '';
        return { peer, size: l.dIn * l.dOut, heldFloats: this.held.now(peer), peakFloats: this.held.peak(peer) };
      }),
      refreshes: this.refreshes, failures: this.failures, lastRefreshSeconds: this.lastRefreshSeconds,
    };
  }

  /** After a failed step: re-plan and refresh before the next one. */
  reset(): void {
    this.owners = null;
    this.installed = false;
  }

  memberLeft(peer: PeerId): void {
    if (this.owners?.includes(peer) !== true) return;
    this.owners = null;
    this.installed = false;
    this.host.log('warn', `${peer} owned K-FAC layers: re-planning (factors start over at the next refresh)`);
  }

  async precondition(_step: number, mean: readonly Float32Array[]): Promise<Float32Array[]> {
    if (this.host.config.model !== 'mlp') throw new Error(`K-FAC supports the dense layers of the 'mlp' model, not '${this.host.config.model}'`);
    const owners = this.ensureOwners();
    const due = this.count % this.options.every === 0 || !this.installed;
    this.count += 1;
    if (due) await this.refresh(owners);
    if (!this.installed) return mean.map((g) => g.slice());
    const parts = await Promise.all(MLP_DENSE_LAYERS.map((l, i) =>
      this.host.links.shard(ownerOf(owners, i), 'kfac-precondition', { vector: l.dIn * l.dOut }, { arg: i, vector: layerGradient(mean, i) })));
    const layers = parts.map((p) => p.vector);
    clipToTrustRegion(layers, MLP_DENSE_LAYERS.map((_, i) => layerGradient(mean, i)), this.host.config.learningRate);
    return splitLayerUpdate(layers);
  }

  private ensureOwners(): readonly PeerId[] {
    if (this.owners !== null) return this.owners;
    const owners = this.host.members().map((m) => m.id);
    if (owners.length === 0) throw new Error('no devices to own K-FAC layers');
    this.planEpoch += 1;
    const cfg = this.host.config;
    this.host.broadcastPlan(owners, {
      type: 'shard-plan', runId: cfg.runId, epoch: this.planEpoch, owners, sizes: i32([MLP_DENSE_LAYERS.length], Int32Array.from(MLP_DENSE_LAYERS, (l) => l.dOut)),
      base: baseKindOf(cfg.optimizer), learningRate: cfg.learningRate, newtonRate: 0, clip: 1, decay: 0, eigenvalueShift: 0,
      extrapolationSigma: 0, damping: this.options.damping,
    });
    this.owners = owners;
    this.host.log('info', `K-FAC layers: ${MLP_DENSE_LAYERS.map((_, i) => `layer ${i} on ${ownerOf(owners, i)}`).join(', ')}`);
    return owners;
  }

  /** Collects factor sums from every device, adds them per layer and installs each on its owner. */
  private async refresh(owners: readonly PeerId[]): Promise<void> {
    const t0 = this.host.now();
    const members = this.host.members();
    const speeds: Record<string, number> = {};
    for (const m of members) speeds[m.id] = Math.max(1, m.samplesPerSec);
    const rows = batchShares(this.options.statsBatch, speeds);
    const seed = (this.host.config.seed + this.count) >>> 0;
    try {
      const replies = await Promise.all(members.filter((m) => (rows[m.id] ?? 0) > 0).map(async (m) => ({ peer: m.id, r: await this.host.links.curvature(m.id, 'kfac-factors', seed, rows[m.id] ?? 0) })));
      const sums: (KfacFactorSums | null)[] = MLP_DENSE_LAYERS.map(() => null);
      for (const { peer, r } of replies) {
        MLP_DENSE_LAYERS.forEach((l, i) => {
          const f = checkFactorSums({ dIn: l.dIn, dOut: l.dOut, count: r.count, aUpper: r.factors[2 * i] ?? new Float64Array(0), gUpper: r.factors[2 * i + 1] ?? new Float64Array(0) }, l.dIn, l.dOut);
          if (!f.ok) throw new BadPeerResultError(peer, `bad K-FAC factors of layer ${i}: ${f.error}`);
          const prev = sums[i];
          const next = prev == null ? f : addFactorSums(prev, f.value);
          if (!next.ok) throw new BadPeerResultError(peer, next.error);
          sums[i] = next.value;
        });
      }
      await Promise.all(sums.map((f, i) => {
        if (f === null) throw new Error('no factor statistics');
        const values = new Float64Array(1 + f.aUpper.length + f.gUpper.length);
        values[0] = f.count;
        values.set(f.aUpper, 1);
        values.set(f.gUpper, 1 + f.aUpper.length);
        return this.host.links.shard(ownerOf(owners, i), 'kfac-install', { values: 0 }, { arg: i, values });
      }));
      this.installed = true;
      this.refreshes += 1;
    } catch (e) {
      this.failures += 1;
      if (e instanceof BadPeerResultError) this.host.evict(e.peer, e.message);
      this.host.log('warn', `K-FAC refresh failed (${e instanceof Error ? e.message : String(e)}): keeping the previous inverses`);
    } finally {
      this.lastRefreshSeconds = (this.host.now() - t0) / 1000;
    }
  }
}

function ownerOf(owners: readonly PeerId[], layer: number): PeerId {
  const o = owners[layer % owners.length];
  if (o === undefined) throw new Error('no owners');
  return o;
}

/** KAISA's and Ba et al.'s KL clip κ: the largest allowed lr² ⟨P, ∇⟩ per step. */
export const KL_CLIP = 1e-3;

/**
 * Scales the preconditioned layer gradients P in place by ν = min(1, √(κ / (lr² Σ⟨P_l, ∇_l⟩))): with small
 * damping the inverse factors can blow a step up by orders of magnitude, and this bounds the step's predicted
 * change of the model's output distribution (Ba, Grosse & Martens 2017, §5; KAISA's kl_clip).
 */
export function clipToTrustRegion(precond: Float32Array[], grads: readonly Float32Array[], lr: number): number {
  let vdot = 0;
  precond.forEach((p, l) => {
    const g = grads[l] ?? new Float32Array(0);
    for (let i = 0; i < p.length; i++) vdot += (p[i] ?? 0) * (g[i] ?? 0);
  });
  const nu = vdot > 0 ? Math.min(1, Math.sqrt(KL_CLIP / (lr * lr * vdot))) : 1;
  if (nu < 1) for (const p of precond) for (let i = 0; i < p.length; i++) p[i] = (p[i] ?? 0) * nu;
  return nu;
}
