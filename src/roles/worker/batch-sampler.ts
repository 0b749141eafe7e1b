/**
 * Draws successive mini-batches from a worker's partition: a seeded reshuffle each pass, wrapping around
 * so any batch size works. Pure (the seed is explicit).
 */
import { createRng, type Rng } from '../../core/rng.ts';

export class BatchSampler {
  private order: Int32Array;
  private cursor = 0;
  private readonly rng: Rng;

  constructor(private readonly indices: Int32Array, seed: number) {
    this.rng = createRng(seed);
    this.order = this.shuffled();
  }

  private shuffled(): Int32Array {
    const o = Int32Array.from(this.indices);
    for (let i = o.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const t = o[i] ?? 0;
      o[i] = o[j] ?? 0;
      o[j] = t;
    }
    return o;
  }

  /** Next `n` sample indices (fewer only if the partition is empty). */
  next(n: number): Int32Array {
    const out = new Int32Array(this.order.length === 0 ? 0 : n);
    for (let i = 0; i < out.length; i++) {
      if (this.cursor >= this.order.length) {
        this.order = this.shuffled();
        this.cursor = 0;
      }
      out[i] = this.order[this.cursor++] ?? 0;
    }
    return out;
  }
}
