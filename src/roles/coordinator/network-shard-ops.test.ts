/**
 * The network mapping of DHO2's sharded Lanczos: NetworkShardOps → SecondOrderLinks → PeerRpc → (encoded
 * messages) → ShardHost owners and fake curvature workers, in one process. Oracles: single-device Lanczos on
 * the same operator and seed, and the operator's known spectrum.
 */
import { describe, expect, it } from 'vitest';
import { peerIdFrom, type PeerId } from '../../core/ids.ts';
import { shardedLanczos } from '../../core/optim/sharded-lanczos.ts';
import { extremeSpectrum } from '../../core/optim/spectrum.ts';
import { planShards } from '../../core/optim/shard-plan.ts';
import { decodeMessage, encodeMessage } from '../../protocol/codec.ts';
import type { CurvatureReplyMsg, Message, ShardPlanMsg } from '../../protocol/messages.ts';
import { f32, i32 } from '../../protocol/wire-tensor.ts';
import { PeerRpc } from '../rpc.ts';
import { ShardHost } from '../worker/shard-host.ts';
import { NetworkShardOps } from './network-shard-ops.ts';
import { BadPeerResultError, SecondOrderLinks } from './second-order-links.ts';

const N = 240;
/** Two workers' "Hessians": diagonals whose row-weighted mean has outliers 50, 40, 30 above a bulk in [0, 1). */
const diag = (w: number): Float64Array => Float64Array.from({ length: N }, (_, i) => (i < 3 ? [50, 40, 30][i]! * (w === 0 ? 0.5 : 1.5) : (i % 97) / 97));
const D = [diag(0), diag(1)];
const ROWS = [100, 100];
const meanHv = (v: Float32Array): Float32Array => v.map((x, i) => 0.5 * (D[0]![i]! + D[1]![i]!) * x);

interface Harness {
  readonly links: SecondOrderLinks;
  readonly owners: PeerId[];
  readonly sizes: number[];
  readonly hosts: Map<string, ShardHost>;
}

function harness(p: number, corrupt: string | null = null): Harness {
  const sizes = planShards([[N / 4, 4]], Array.from({ length: p }, () => 1));
  if (!sizes.ok) throw new Error(sizes.error);
  const owners = sizes.value.map((_, i) => peerIdFrom(`w${i}`));
  const hosts = new Map(owners.map((o) => [o as string, new ShardHost(o, 'dho2', N)]));
  const plan: ShardPlanMsg = {
    type: 'shard-plan', runId: 'r', epoch: 1, owners, sizes: i32([p], Int32Array.from(sizes.value)), base: 'sgd', learningRate: 0.1,
    newtonRate: 0.01, clip: 3, decay: 0.9, eigenvalueShift: 0, extrapolationSigma: 0, damping: 0,
  };
  for (const h of hosts.values()) expect(h.plan(plan).ok).toBe(true);
  const rpc: PeerRpc = new PeerRpc((to, msg) => {
    // Through the real codec both ways, as over the wire.
    const m = decodeMessage(encodeMessage(msg));
    if (!m.ok) throw new Error(m.error.detail);
    const req = m.value;
    let reply: Message;
    if (req.type === 'shard-op') reply = hosts.get(to)!.answer(req);
    else if (req.type === 'curvature-request') {
      const w = Number(to.slice(1)) % 2;
      const v = req.vector.data as Float32Array;
      const out = v.map((x, i) => (to === corrupt ? Number.NaN : D[w]![i]! * x));
      reply = { type: 'curvature-reply', runId: 'r', seq: req.seq, count: ROWS[w]!, vector: f32([req.kind === 'hvp' ? N : 0], req.kind === 'hvp' ? out : new Float32Array(0)), factors: [], error: '' } satisfies CurvatureReplyMsg;
    } else throw new Error(`unexpected ${req.type}`);
    const back = decodeMessage(encodeMessage(reply));
    if (!back.ok || (back.value.type !== 'shard-reply' && back.value.type !== 'curvature-reply')) throw new Error('bad reply');
    const r = back.value;
    queueMicrotask(() => { rpc.onReply(to, r); });
  });
  return { links: new SecondOrderLinks(rpc, 'r', () => 1, () => undefined), owners, sizes: sizes.value, hosts };
}

describe('NetworkShardOps: sharded Lanczos over encoded shard ops', () => {
  it.each([1, 2, 4])('on %i owners gives the single-device eigenvalues (same seed, same operator)', async (p) => {
    const h = harness(p);
    const workers = [{ peer: peerIdFrom('w0'), rows: ROWS[0]! }, { peer: peerIdFrom('w1'), rows: ROWS[1]! }];
    const ops = new NetworkShardOps(h.links, h, workers);
    const r = await shardedLanczos(ops, { order: 16, seed: 7, k: 3 });
    const ref = await extremeSpectrum((v) => Promise.resolve(meanHv(v)), { n: N, order: 16, seed: 7, k: 3 });
    if (!r.ok || !ref.ok) throw new Error('lanczos failed');
    Array.from(ref.value.eigvals).forEach((lam, j) => { expect(Math.abs((r.value.eigvals[j]! - lam) / lam)).toBeLessThan(1e-9); });
    // The row-weighted mean operator has eigenvalues 30, 40, 50 on top.
    expect(Array.from(r.value.eigvals).map((x) => Math.round(x * 1e4) / 1e4)).toEqual([30, 40, 50]);
    expect(ops.hvpCount).toBe(16);
    // Each owner holds only its shard's rows: 16 rows × its size floats, plus its working slice.
    for (const [i, o] of h.owners.entries()) expect(h.hosts.get(o)!.heldFloats()).toBeLessThan(1.3 * (16 + 3 + 2) * h.sizes[i]!);
  });

  it('a worker returning NaN makes the call fail with BadPeerResultError naming it, and the owners stay usable', async () => {
    const h = harness(2, 'w1');
    const ops = new NetworkShardOps(h.links, h, [{ peer: peerIdFrom('w0'), rows: 100 }, { peer: peerIdFrom('w1'), rows: 100 }]);
    await expect(shardedLanczos(ops, { order: 8, seed: 7, k: 2 })).rejects.toSatisfy((e: unknown) => e instanceof BadPeerResultError && e.peer === 'w1');
    const clean = harness(2);
    const ok = await shardedLanczos(new NetworkShardOps(clean.links, clean, [{ peer: peerIdFrom('w0'), rows: 100 }]), { order: 8, seed: 7, k: 2 });
    expect(ok.ok).toBe(true);
  });

  it('an owner asked with the wrong plan epoch refuses, and the refusal surfaces as BadPeerResultError', async () => {
    const h = harness(1);
    const stale = new SecondOrderLinks((h.links as unknown as { rpc: PeerRpc }).rpc, 'r', () => 99, () => undefined);
    await expect(stale.shard(peerIdFrom('w0'), 'project', {})).rejects.toBeInstanceOf(BadPeerResultError);
  });
});
