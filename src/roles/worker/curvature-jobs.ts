/**
 * The worker's data-parallel curvature work for the second-order methods: Hessian-vector products on a
 * fixed curvature batch at a parameter snapshot (DHO2's distributed Lanczos) and K-FAC factor statistics.
 * Each request gets a `curvature-reply`; anything that goes wrong becomes the reply's `error`, never a throw.
 */
import type { Split } from '../../core/data/dataset.ts';
import { toFloatBatch } from '../../core/data/batch.ts';
import { createHvp, type HvpEngine } from '../../compute/hvp.ts';
import { kfacFactorSums } from '../../compute/kfac-stats.ts';
import type { ModelDef } from '../../compute/models.ts';
import type { CurvatureReplyMsg, CurvatureRequestMsg } from '../../protocol/messages.ts';
import { f32, f64 } from '../../protocol/wire-tensor.ts';
import { BatchSampler } from './batch-sampler.ts';

export interface CurvatureContext {
  readonly model: ModelDef;
  readonly train: Split;
  /** This tab's partition (sample indices into the training split). */
  readonly indices: Int32Array;
  /** Flat parameter count. */
  readonly n: number;
  /** The replica's current parameters (per tensor, model order). */
  params(): Promise<Float32Array[]>;
}

interface Answer {
  readonly count: number;
  readonly vector?: Float32Array;
  readonly factors?: readonly Float64Array[];
}

export class CurvatureJobs {
  private engine: { readonly hvp: HvpEngine; readonly rows: number } | null = null;

  async answer(msg: CurvatureRequestMsg, ctx: CurvatureContext): Promise<CurvatureReplyMsg> {
    let a: Answer = { count: 0 };
    let error = '';
    try {
      a = await this.run(msg, ctx);
    } catch (e) {
      error = (e instanceof Error ? e.message : String(e)).slice(0, 200);
    }
    const vector = a.vector ?? new Float32Array(0);
    return {
      type: 'curvature-reply', runId: msg.runId, seq: msg.seq, count: a.count, vector: f32([vector.length], vector),
      factors: (a.factors ?? []).map((f) => f64([f.length], f)), error,
    };
  }

  dispose(): void {
    this.engine?.hvp.dispose();
    this.engine = null;
  }

  private async run(msg: CurvatureRequestMsg, ctx: CurvatureContext): Promise<Answer> {
    switch (msg.kind) {
      case 'hvp-begin': {
        this.dispose();
        const { x, y } = batchOf(ctx, msg.seed, msg.rows);
        // A snapshot: the replica may keep training while this engine answers (parallel curvature).
        this.engine = { hvp: createHvp(ctx.model, await ctx.params(), x, y, { mode: 'fd' }), rows: y.length };
        return { count: y.length };
      }
      case 'hvp': {
        const e = this.engine;
        if (e === null) throw new Error('hvp before hvp-begin');
        if (msg.vector.data.length !== ctx.n) throw new Error(`vector of ${msg.vector.data.length}, expected ${ctx.n}`);
        return { count: e.rows, vector: await e.hvp.hvp(msg.vector.data as Float32Array) };
      }
      case 'hvp-end':
        this.dispose();
        return { count: 0 };
      case 'kfac-factors': {
        const { x, y } = batchOf(ctx, msg.seed, msg.rows);
        const sums = await kfacFactorSums(await ctx.params(), x, y);
        return { count: y.length, factors: sums.flatMap((s) => [s.aUpper, s.gUpper]) };
      }
      default:
        throw new Error(`unknown curvature request ${String(msg.kind)}`);
    }
  }
}

/** `rows` rows of the partition drawn with `seed` (the same rows every time for one seed). */
function batchOf(ctx: CurvatureContext, seed: number, rows: number): { x: Float32Array; y: Uint8Array } {
  if (ctx.indices.length === 0) throw new Error('no partition');
  const idx = new BatchSampler(ctx.indices, seed).next(Math.min(rows, ctx.indices.length));
  return toFloatBatch(ctx.train, idx, 0, idx.length);
}
