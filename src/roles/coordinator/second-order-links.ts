/**
 * The coordinator's typed calls to shard owners and curvature workers (algos 'dho2' and 'kfac'), over
 * PeerRpc. Every reply is untrusted: a refusal, a wrong length or a non-finite number becomes a
 * BadPeerResultError naming the peer, which the conductor answers by aborting that exchange (keeping the
 * model and the last good curvature) and evicting the peer.
 */
import type { PeerId } from '../../core/ids.ts';
import type { CurvatureKind, CurvatureReplyMsg, ShardOpName, ShardReplyMsg } from '../../protocol/messages.ts';
import { f32, f64 } from '../../protocol/wire-tensor.ts';
import type { PeerRpc } from '../rpc.ts';

/** A peer answered with something unusable. */
export class BadPeerResultError extends Error {
  static readonly NAME = 'BadPeerResultError';
  constructor(readonly peer: PeerId, detail: string) {
    super(`${peer}: ${detail}`);
    this.name = BadPeerResultError.NAME;
  }
}

export interface ShardResult {
  readonly values: Float64Array;
  readonly vector: Float32Array;
  readonly heldFloats: number;
}

export interface CurvatureResult {
  readonly count: number;
  readonly vector: Float32Array;
  readonly factors: readonly Float64Array[];
}

/** Expected reply lengths (undefined = any); checked before the numbers are used. */
export interface Expect {
  readonly values?: number;
  readonly vector?: number;
}

export class SecondOrderLinks {
  constructor(
    private readonly rpc: PeerRpc,
    private readonly runId: string,
    private readonly planEpoch: () => number,
    private readonly onHeld: (peer: PeerId, floats: number) => void,
  ) {}

  async shard(
    owner: PeerId, op: ShardOpName, expect: Expect,
    args: { arg?: number; values?: Float64Array; valuesShape?: readonly number[]; vector?: Float32Array } = {},
  ): Promise<ShardResult> {
    const values = args.values ?? new Float64Array(0);
    const vector = args.vector ?? new Float32Array(0);
    const reply = await this.rpc.call(owner, (seq) => ({
      type: 'shard-op', runId: this.runId, planEpoch: this.planEpoch(), seq, op, arg: args.arg ?? 0,
      values: f64(args.valuesShape ?? [values.length], values), vector: f32([vector.length], vector),
    }));
    if (reply.type !== 'shard-reply') throw new BadPeerResultError(owner, `answered '${op}' with ${reply.type}`);
    return this.checkShard(owner, op, reply, expect);
  }

  async curvature(worker: PeerId, kind: CurvatureKind, seed: number, rows: number, vector: Float32Array = new Float32Array(0), expectVector?: number): Promise<CurvatureResult> {
    const reply = await this.rpc.call(worker, (seq) => ({
      type: 'curvature-request', runId: this.runId, seq, kind, seed, rows, vector: f32([vector.length], vector),
    }));
    if (reply.type !== 'curvature-reply') throw new BadPeerResultError(worker, `answered '${kind}' with ${reply.type}`);
    return checkCurvature(worker, kind, reply, expectVector);
  }

  private checkShard(owner: PeerId, op: ShardOpName, r: ShardReplyMsg, expect: Expect): ShardResult {
    if (r.error !== '') throw new BadPeerResultError(owner, `refused '${op}': ${r.error}`);
    const values = r.values.data instanceof Float64Array ? r.values.data : new Float64Array(0);
    const vector = r.vector.data instanceof Float32Array ? r.vector.data : new Float32Array(0);
    if (expect.values !== undefined && values.length !== expect.values) throw new BadPeerResultError(owner, `'${op}' returned ${values.length} values, expected ${expect.values}`);
    if (expect.vector !== undefined && vector.length !== expect.vector) throw new BadPeerResultError(owner, `'${op}' returned a slice of ${vector.length}, expected ${expect.vector}`);
    if (!allFinite(values) || !allFinite(vector)) throw new BadPeerResultError(owner, `'${op}' returned a non-finite number`);
    this.onHeld(owner, r.heldFloats);
    return { values, vector, heldFloats: r.heldFloats };
  }
}

function checkCurvature(worker: PeerId, kind: CurvatureKind, r: CurvatureReplyMsg, expectVector: number | undefined): CurvatureResult {
  if (r.error !== '') throw new BadPeerResultError(worker, `could not compute '${kind}': ${r.error}`);
  const vector = r.vector.data instanceof Float32Array ? r.vector.data : new Float32Array(0);
  if (expectVector !== undefined && vector.length !== expectVector) throw new BadPeerResultError(worker, `'${kind}' returned ${vector.length} numbers, expected ${expectVector}`);
  if (!allFinite(vector)) throw new BadPeerResultError(worker, `'${kind}' returned a non-finite number`);
  const factors = r.factors.map((t) => (t.data instanceof Float64Array ? t.data : new Float64Array(0)));
  return { count: r.count, vector, factors };
}

export function allFinite(a: Float32Array | Float64Array): boolean {
  for (const x of a) if (!Number.isFinite(x)) return false;
  return true;
}

/** Curvature floats each owner reported with its replies: the latest and the peak (dashboard, bench). */
export class HeldFloats {
  private readonly byPeer = new Map<string, { now: number; peak: number }>();

  note(peer: PeerId, floats: number): void {
    const h = this.byPeer.get(peer) ?? { now: 0, peak: 0 };
    this.byPeer.set(peer, { now: floats, peak: Math.max(h.peak, floats) });
  }

  now(peer: string): number {
    return this.byPeer.get(peer)?.now ?? 0;
  }

  peak(peer: string): number {
    return this.byPeer.get(peer)?.peak ?? 0;
  }
}
