/**
 * The worker's side of DHO2 consensus ADMM (variant 'admm'; coordinator: coordinator/admm-reducer.ts): this
 * tab's x_i and its local FOSI state, and one round of K local steps on the augmented gradient
 *
 *     ∇f_i(x) + ρ(x − v),   v = z − u_i (the round's anchor; the coordinator holds u_i),
 *
 * FOSI (core/optim/fosi.ts) with the eigen-information the coordinator last gathered from the shard owners:
 * the hybrid-order step (Newton on the top-k subspace, the base optimizer on the rest). The local objective
 * f_i + (ρ/2)‖x − v‖² has Hessian H + ρI, so its Newton rates are η_j = 1/(λ_j + ρ): the eigenvalues are
 * installed shifted by the round's ρ, again whenever ρ changes. No tfjs here: the runtime passes the gradient
 * of f_i on a fresh batch at x.
 */
import { augmentedGradient } from '../../core/optim/admm.ts';
import { createFosi, type BaseOptimizer, type Fosi, type FosiState } from '../../core/optim/fosi.ts';
import type { EigenInfo } from '../../core/optim/spectrum.ts';
import type { BaseKind } from '../../protocol/messages.ts';

/** FOSI's fixed settings that the coordinator does not send: the reference's velocity decay, no shift. */
const NEWTON_DECAY = 0.9;

export interface AdmmRoundInput {
  readonly steps: number;
  readonly rho: number;
  readonly newtonRate: number;
  readonly clip: number;
  /** true: start from `start` (the tab's `start` parameters, = z) with u_i = 0, so the anchor is `start` too. */
  readonly restart: boolean;
  /** v = z − u_i (ignored when `restart`). */
  readonly anchor: Float32Array;
}

/** The gradient of f_i at x on this step's batch: mean-loss gradient, rows and their loss sum. */
export type LocalGradient = (x: Float32Array) => Promise<{ readonly g: Float32Array; readonly count: number; readonly lossSum: number }>;

export interface AdmmRoundResult {
  readonly x: Float32Array;
  readonly count: number;
  readonly lossSum: number;
}

export function baseOptimizerOf(kind: BaseKind, lr: number): BaseOptimizer {
  return kind === 'adam' ? { kind: 'adam', lr } : kind === 'sgd' ? { kind: 'sgd', lr } : { kind: 'heavy-ball', lr, momentum: 0.9 };
}

export class AdmmLocal {
  private x: Float32Array | null = null;
  private fosi: Fosi | null = null;
  private state: FosiState | null = null;
  /** The last eigen-information received (unshifted). */
  private lastEigen: EigenInfo | null = null;
  /** ρ the installed η were computed with; null: (re)install at the next step. */
  private installedRho: number | null = null;
  private eigenFloats = 0;

  constructor(private readonly base: BaseOptimizer) {}

  /** Floats of curvature state held here: the eigenvector rows (k·n), as the dashboard reports them. */
  get curvatureFloats(): number {
    return this.eigenFloats;
  }

  /**
   * New eigen-information, installed at the next local step. Checked here (it comes from the network):
   * `eigvecs` rows of length n, finite values.
   */
  setEigen(eigvals: Float64Array, eigvecs: Float32Array, n: number): string | null {
    const r = eigvals.length;
    if (eigvecs.length !== r * n) return `eigenvectors hold ${eigvecs.length} floats, expected ${r} x ${n}`;
    if (!eigvals.every(Number.isFinite) || !eigvecs.every(Number.isFinite)) return 'eigen-information holds a non-finite value';
    const rows = Array.from({ length: r }, (_, j) => eigvecs.slice(j * n, (j + 1) * n));
    this.lastEigen = { eigvals: eigvals.slice(), eigvecs: rows, k: r, l: 0 };
    this.installedRho = null;
    this.eigenFloats = r * n;
    return null;
  }

  /** One round: K local steps from x_i (or from `start` on a restart). Returns x_i, rows and loss sum. */
  async round(input: AdmmRoundInput, start: () => Promise<Float32Array>, gradient: LocalGradient): Promise<AdmmRoundResult> {
    if (input.restart || this.x === null || this.fosi === null || this.state === null) {
      this.x = await start();
      this.fosi = createFosi({ base: this.base, alpha: input.newtonRate, clip: input.clip, decay: NEWTON_DECAY, warmup: 1, refreshEvery: 1 });
      this.state = this.fosi.init(this.x);
      this.installedRho = null; // a fresh FOSI state holds no eigen-information: install the last one again
    }
    const anchor = input.restart ? this.x.slice() : input.anchor;
    if (anchor.length !== this.x.length) throw new RangeError(`anchor has ${anchor.length} values, the model ${this.x.length}`);
    const fosi = this.fosi;
    let state = this.state;
    let x = this.x;
    let count = 0;
    let lossSum = 0;
    // The augmented term's z − u is one vector, so ρ(x − z + u) = ρ(x − v) with z = v and u = 0.
    const zero = new Float32Array(x.length);
    const last = this.lastEigen;
    let pending: EigenInfo | null = null;
    if (last !== null && this.installedRho !== input.rho) {
      pending = { ...last, eigvals: last.eigvals.map((lam) => lam + input.rho) };
      this.installedRho = input.rho;
    }
    for (let t = 0; t < input.steps; t++) {
      const r = await gradient(x);
      count += r.count;
      lossSum += r.lossSum;
      const g = augmentedGradient(r.g, x, anchor, zero, input.rho);
      const u = fosi.update(g, state, x, pending);
      pending = null;
      state = u.state;
      const next = new Float32Array(x.length);
      for (let j = 0; j < x.length; j++) next[j] = (x[j] ?? 0) + (u.updates[j] ?? 0);
      x = next;
    }
    this.x = x;
    this.state = state;
    return { x, count, lossSum };
  }
}
