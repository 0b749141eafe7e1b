/**
 * Request/reply over the role host's messages: the coordinator's second-order conductors ask shard owners and
 * workers for partial results and await them. Each call gets a fresh sequence number; a reply is accepted only
 * from the peer the request went to, once. A peer that leaves fails its pending calls, so no await hangs on
 * a departed tab.
 *
 * @example
 * const rpc = new PeerRpc((to, m) => host.sendMessage(to, m));
 * const reply = await rpc.call(owner, (seq) => ({ type: 'shard-op', seq, ... }));
 * // in the host's intercept hook: rpc.onReply(from, msg)
 */
import type { PeerId } from '../core/ids.ts';
import type { CurvatureReplyMsg, Message, ShardReplyMsg } from '../protocol/messages.ts';

export type RpcReply = ShardReplyMsg | CurvatureReplyMsg;

/** Why a call did not return a reply: the peer left, or the caller gave up on the whole exchange. */
export class RpcAbortedError extends Error {
  static readonly NAME = 'RpcAbortedError';
  constructor(readonly peer: PeerId, reason: string) {
    super(`${peer}: ${reason}`);
    this.name = RpcAbortedError.NAME;
  }
}

interface Pending {
  readonly peer: PeerId;
  readonly resolve: (r: RpcReply) => void;
  readonly reject: (e: Error) => void;
}

export class PeerRpc {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly send: (to: PeerId, msg: Message) => unknown) {}

  /** Sends `make(seq)` to `peer` and resolves with its reply; rejects with RpcAbortedError if the peer goes. */
  call(peer: PeerId, make: (seq: number) => Message): Promise<RpcReply> {
    const seq = ++this.seq;
    return new Promise<RpcReply>((resolve, reject) => {
      this.pending.set(seq, { peer, resolve, reject });
      this.send(peer, make(seq));
    });
  }

  /** Routes a reply; false when nothing was waiting for it from that peer (a stale, duplicate or forged reply). */
  onReply(from: PeerId, msg: RpcReply): boolean {
    const p = this.pending.get(msg.seq);
    if (p === undefined || p.peer !== from) return false;
    this.pending.delete(msg.seq);
    p.resolve(msg);
    return true;
  }

  /** Fails every call waiting on `peer`. */
  failPeer(peer: PeerId, reason: string): void {
    for (const [seq, p] of this.pending) {
      if (p.peer !== peer) continue;
      this.pending.delete(seq);
      p.reject(new RpcAbortedError(peer, reason));
    }
  }

  /** Fails every pending call (the run ended). */
  failAll(reason: string): void {
    for (const p of this.pending.values()) p.reject(new RpcAbortedError(p.peer, reason));
    this.pending.clear();
  }

  get waiting(): number {
    return this.pending.size;
  }
}
