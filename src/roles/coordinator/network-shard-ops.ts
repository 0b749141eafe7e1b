/**
 * ShardOps (core/optim/sharded-lanczos.ts) over the network: each call becomes one `shard-op` to every shard
 * owner, answered by its partials; the HVP is data-parallel (ALGORITHMS.md §2.2's swarm tip): the coordinator
 * assembles q_i from the owners' row slices, every curvature worker multiplies it by the Hessian of its own
 * fixed batch, and the sample-weighted mean is scattered back to the owners as their slices of w.
 *
 * Round trips are fused where the owner can answer ahead (shard-owner.ts): `set-hvp` also returns the first
 * Gram–Schmidt projections and `subtract` the next ones, so `project()` is usually answered from that cache.
 * The coordinator holds one q row and one H·q at a time (2n floats), never the basis.
 */
import { err, ok, type Result } from '../../core/result.ts';
import type { PeerId } from '../../core/ids.ts';
import { flatten, unflatten } from '../../core/math/flat-params.ts';
import type { ShardOps } from '../../core/optim/sharded-lanczos.ts';
import type { SecondOrderLinks } from './second-order-links.ts';

export interface HvpWorker {
  readonly peer: PeerId;
  /** Rows of its curvature batch (the weight of its H·q in the mean). */
  readonly rows: number;
}

export interface ShardLayout {
  readonly owners: readonly PeerId[];
  readonly sizes: readonly number[];
}

export class NetworkShardOps implements ShardOps {
  readonly sizes: readonly number[];
  private readonly n: number;
  /** Rows appended so far (the index of the next one). */
  private rows = 0;
  /** The latest appended row, assembled from the owners' slices: the next HVP's input. */
  private lastRow: { readonly index: number; readonly q: Float32Array } | null = null;
  /** Projections Q_p w_p the owners returned with their last answer, if w has not changed since. */
  private cachedProjections: Float64Array[] | null = null;
  /** Lanczos iterations finished (for the dashboard). */
  hvpCount = 0;

  constructor(
    private readonly links: SecondOrderLinks,
    private readonly layout: ShardLayout,
    private readonly workers: readonly HvpWorker[],
  ) {
    this.sizes = layout.sizes;
    this.n = layout.sizes.reduce((a, b) => a + b, 0);
  }

  /** Rows of `peer`'s curvature batch (0 if it is not a curvature worker of this job). */
  workerRows(peer: PeerId): number {
    return this.workers.find((w) => w.peer === peer)?.rows ?? 0;
  }

  private each<T>(f: (owner: PeerId, p: number) => Promise<T>): Promise<T[]> {
    return Promise.all(this.layout.owners.map((o, p) => f(o, p)));
  }

  async drawStart(seed: number): Promise<Float64Array> {
    this.rows = 0;
    this.lastRow = null;
    this.cachedProjections = null;
    const r = await this.each((o) => this.links.shard(o, 'draw-start', { values: 1 }, { arg: seed }));
    return Float64Array.from(r, (x) => x.values[0] ?? Number.NaN);
  }

  async appendRow(scale: number): Promise<void> {
    this.cachedProjections = null; // one more row: earlier projections are one short
    const r = await this.each((o, p) => this.links.shard(o, 'append-row', { vector: this.sizes[p] ?? 0 }, { arg: scale }));
    this.lastRow = { index: this.rows, q: flatten(r.map((part) => part.vector)) };
    this.rows += 1;
  }

  async hvp(row: number): Promise<Result<Float64Array, string>> {
    if (this.lastRow?.index !== row) return err(`row ${row} is not the latest basis row`);
    const q = this.lastRow.q;
    const parts = await Promise.all(this.workers.map((w) => this.links.curvature(w.peer, 'hvp', 0, w.rows, q, this.n)));
    const total = parts.reduce((s, x) => s + x.count, 0);
    if (!(total > 0)) return err('no curvature rows');
    const mean = new Float64Array(this.n);
    for (const part of parts) {
      const wgt = part.count / total;
      for (let i = 0; i < this.n; i++) mean[i] = (mean[i] ?? 0) + wgt * (part.vector[i] ?? 0);
    }
    const slices = unflatten(Float32Array.from(mean), this.sizes);
    const r = await this.each((o, p) => this.links.shard(o, 'set-hvp', { values: 1 + this.rows }, { arg: row, vector: slices[p] ?? new Float32Array(0) }));
    this.cachedProjections = r.map((x) => x.values.slice(1));
    this.hvpCount += 1;
    return ok(Float64Array.from(r, (x) => x.values[0] ?? Number.NaN));
  }

  async project(): Promise<Float64Array[]> {
    const cached = this.cachedProjections;
    this.cachedProjections = null;
    if (cached !== null) return cached;
    const r = await this.each((o) => this.links.shard(o, 'project', { values: this.rows }));
    return r.map((x) => x.values);
  }

  async subtract(c: Float64Array): Promise<Float64Array> {
    const r = await this.each((o) => this.links.shard(o, 'subtract', { values: 1 + this.rows }, { values: c }));
    this.cachedProjections = r.map((x) => x.values.slice(1));
    return Float64Array.from(r, (x) => x.values[0] ?? Number.NaN);
  }

  async formRitz(coeffs: readonly Float64Array[]): Promise<Float64Array[]> {
    const m = coeffs[0]?.length ?? 0;
    const flat = new Float64Array(coeffs.length * m);
    coeffs.forEach((row, j) => { flat.set(row, j * m); });
    const r = await this.each((o) => this.links.shard(o, 'form-ritz', { values: coeffs.length }, { values: flat, valuesShape: [coeffs.length, m] }));
    return r.map((x) => x.values);
  }

  async scaleRitz(scales: Float64Array): Promise<void> {
    await this.each((o) => this.links.shard(o, 'scale-ritz', { values: 0 }, { values: scales }));
  }
}
