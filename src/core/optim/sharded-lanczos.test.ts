import { describe, expect, it } from 'vitest';
import { dot } from '../linalg/vec.ts';
import { lanczos, type Hvp } from './lanczos.ts';
import { createLocalShardOps, shardHvp, shardedLanczos, type ShardOps, type ShardedHvp } from './sharded-lanczos.ts';
import { extremeSpectrum } from './spectrum.ts';

const N = 301; // prime: no shard count divides it
const eigenvalues = Array.from({ length: N }, (_, i) => (i < 6 ? [50, 30, 22, 15, -9, -6][i]! : 5 * Math.sin(i) ** 2));
/** A non-diagonal symmetric operator: tridiag(0.5, λ, 0.5) (couples neighbouring coordinates across shards). */
const hvp: Hvp = (v) =>
  Promise.resolve(Float32Array.from(v, (x, i) => eigenvalues[i]! * x + 0.5 * ((v[i - 1] ?? 0) + (v[i + 1] ?? 0))));

const SHARDINGS = [[N], [200, 101], [50, 120, 31, 100]];

describe('shardedLanczos', () => {
  it.each(SHARDINGS.map((sizes) => ({ sizes })))('on shards $sizes gives the single-device eigenpairs', async ({ sizes }) => {
    const single = await extremeSpectrum(hvp, { n: N, seed: 17, k: 4, l: 2, order: 30 });
    const plain = await lanczos(hvp, { n: N, seed: 17, order: 30 });
    const ops = createLocalShardOps(sizes, shardHvp(hvp, sizes));
    const sharded = await shardedLanczos(ops, { order: 30, seed: 17, k: 4, l: 2 });
    if (!single.ok || !sharded.ok || !plain.ok) throw new Error('run failed');
    expect([sharded.value.k, sharded.value.l]).toEqual([4, 2]);
    single.value.eigvals.forEach((lam, j) => {
      expect(Math.abs(sharded.value.eigvals[j]! - lam) / Math.abs(lam)).toBeLessThan(1e-5);
    });
    expect(sharded.value.alphas).toHaveLength(30);
    // Same T as single-device Lanczos: only the summation order of the partials differs (measured ≤ 1e-15·‖H‖).
    plain.value.alphas.forEach((a, i) => {
      expect(Math.abs(sharded.value.alphas[i]! - a)).toBeLessThan(1e-8 * 50);
    });
    plain.value.betas.forEach((b, i) => {
      expect(Math.abs(sharded.value.betas[i]! - b)).toBeLessThan(1e-8 * 50);
    });
    // Eigenvectors: concatenating the owners' slices gives the single-device Ritz vectors (up to sign).
    single.value.eigvecs.forEach((v, j) => {
      const joined = new Float32Array(N);
      let off = 0;
      sizes.forEach((size, p) => {
        joined.set(ops.eigvecSlices(p)[j]!, off);
        off += size;
      });
      expect(Math.abs(dot(joined, joined) - 1)).toBeLessThan(1e-5);
      expect(Math.abs(dot(joined, v))).toBeGreaterThan(1 - 1e-5);
    });
  });

  it('holds only basis slices: per-shard memory falls as 1/N', async () => {
    const single = createLocalShardOps([N], shardHvp(hvp, [N]));
    const r1 = await shardedLanczos(single, { order: 24, seed: 3, k: 6 });
    if (!r1.ok) throw new Error('failed');
    const oneDevice = single.basisFloats(0);
    expect(oneDevice).toBe(24 * N);
    expect(r1.value.basisFloatsPerShard).toEqual([24 * N]);
    for (const count of [2, 4]) {
      const sizes = Array.from({ length: count }, (_, p) => Math.floor(((p + 1) * N) / count) - Math.floor((p * N) / count));
      const ops = createLocalShardOps(sizes, shardHvp(hvp, sizes));
      const r = await shardedLanczos(ops, { order: 24, seed: 3, k: 6 });
      if (!r.ok) throw new Error('failed');
      const held = sizes.map((_, p) => ops.basisFloats(p));
      expect(held).toEqual(r.value.basisFloatsPerShard);
      expect(held.reduce((a, b) => a + b, 0)).toBe(oneDevice);
      expect(Math.max(...held)).toBeLessThanOrEqual((1.15 * oneDevice) / count);
    }
  });

  it('reports a shard with garbage HVP output as a failure', async () => {
    const sizes = [100, 201];
    const good = shardHvp(hvp, sizes);
    let calls = 0;
    const poisoned: ShardedHvp = async (v, opts) => {
      const out = await good(v, opts);
      if (++calls === 3) out[1]![7] = Number.NaN;
      return out;
    };
    const r = await shardedLanczos(createLocalShardOps(sizes, poisoned), { order: 10, seed: 1, k: 2 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'bad-hvp', step: 2 } });
    const short: ShardedHvp = (v) => Promise.resolve(v.map((s) => s.slice(1)));
    const r2 = await shardedLanczos(createLocalShardOps(sizes, short), { order: 10, seed: 1, k: 2 });
    expect(r2).toMatchObject({ ok: false, error: { kind: 'bad-hvp', step: 0 } });
    // A remote owner that returns a garbage partial norm: the driver stops instead of dividing by NaN.
    const inner = createLocalShardOps(sizes, good);
    const lying: ShardOps = { ...inner, subtract: async (c) => (await inner.subtract(c)).map(() => Number.NaN) };
    const r3 = await shardedLanczos(lying, { order: 10, seed: 1, k: 2 });
    expect(r3).toMatchObject({ ok: false, error: { kind: 'bad-partial', step: 0, reason: 'beta' } });
  });

  it('stops on breakdown like single-device Lanczos, and honours an abort', async () => {
    const rank2: Hvp = (v) => Promise.resolve(v.map((x, i) => (i === 10 ? 4 * x : i === 250 ? -3 * x : 0)));
    const ops = createLocalShardOps([150, 151], shardHvp(rank2, [150, 151]));
    const r = await shardedLanczos(ops, { order: 12, seed: 5, k: 2, l: 1 });
    if (!r.ok) throw new Error('failed');
    expect(r.value.breakdown).toBe(true);
    expect(r.value.alphas).toHaveLength(3);
    expect(Array.from(r.value.eigvals)).toEqual([-3, 0, 4].map((x) => expect.closeTo(x, 5) as number));
    const ctl = new AbortController();
    ctl.abort();
    const one = createLocalShardOps([N], shardHvp(hvp, [N]));
    const aborted = await shardedLanczos(one, { order: 5, seed: 1, k: 1, signal: ctl.signal });
    expect(aborted).toMatchObject({ ok: false, error: { kind: 'aborted', step: 0 } });
  });

  it('drives any ShardOps implementation: only partial sums cross the interface', async () => {
    // A wrapper that records what the driver asks for; a network implementation would sit here.
    const sizes = [120, 181];
    const inner = createLocalShardOps(sizes, shardHvp(hvp, sizes));
    const log: string[] = [];
    const seen = <T>(name: string, value: T): T => {
      log.push(name);
      return value;
    };
    const spy: ShardOps = {
      sizes,
      drawStart: (seed) => seen('start', inner.drawStart(seed)),
      appendRow: (s) => seen('row', inner.appendRow(s)),
      hvp: (row) => seen(`hvp${row}`, inner.hvp(row)),
      project: () => seen('project', inner.project()),
      subtract: (c) => seen('subtract', inner.subtract(c)),
      formRitz: (c) => seen('ritz', inner.formRitz(c)),
      scaleRitz: (s) => seen('scale', inner.scaleRitz(s)),
    };
    const r = await shardedLanczos(spy, { order: 3, seed: 1, k: 1 });
    expect(r.ok).toBe(true);
    const iteration = (i: number): string[] => [`hvp${i}`, 'project', 'subtract', 'project', 'subtract', 'row'];
    expect(log).toEqual(['start', 'row', ...iteration(0), ...iteration(1), 'hvp2', 'ritz', 'scale']);
  });
});
