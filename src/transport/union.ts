/**
 * Several transports seen as one. The coordinator tab uses it to reach its own in-process worker through a
 * memory hub and remote tabs through PeerJS with one Transport.
 *
 * - peers(): the union, in the order peers first connected on any part.
 * - connect(): returns if some part has the peer; otherwise tries the parts in order and keeps the first
 *   success (a memory part refuses an unknown id at once, so put it first).
 * - send(): goes to the first part (in `parts` order) with an open link to the peer.
 * - events: merged; a peer reachable through two parts is announced once (connected when its first link
 *   opens, disconnected when its last link closes).
 * - stats(): summed over parts. close(): closes every part.
 */
import type { PeerId } from '../core/ids.ts';
import { TransportError } from './transport.ts';
import type { AbortOptions, Transport, TransportEvent, TransportListener, TransportStats } from './transport.ts';
import { Listeners } from './listeners.ts';

class UnionTransport implements Transport {
  private readonly listeners = new Listeners();
  /** Per peer, how many parts have an open link to it; insertion order = connection order. */
  private readonly linkCount = new Map<PeerId, number>();
  private readonly unsubscribes: (() => void)[];
  private closing: Promise<void> | undefined;

  constructor(
    readonly self: PeerId,
    private readonly parts: readonly Transport[],
  ) {
    for (const part of parts) for (const p of part.peers()) this.linkCount.set(p, (this.linkCount.get(p) ?? 0) + 1);
    this.unsubscribes = parts.map((part) => part.subscribe((e) => { this.onPartEvent(e); }));
  }

  peers(): readonly PeerId[] {
    return [...this.linkCount.keys()];
  }

  async connect(peer: PeerId, opts?: AbortOptions): Promise<void> {
    if (this.closing) throw new TransportError('closed', 'transport is closed', peer);
    if (this.partFor(peer)) return;
    let last: unknown = new TransportError('peer-unavailable', `no part can reach ${peer}`, peer);
    for (const part of this.parts) {
      opts?.signal?.throwIfAborted();
      try {
        await part.connect(peer, opts);
        return;
      } catch (e: unknown) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  send(to: PeerId, bytes: Uint8Array, opts?: AbortOptions): Promise<void> {
    const part = this.closing ? undefined : this.partFor(to);
    if (!part) return Promise.reject(new TransportError('closed', `no open link to ${to}`, to));
    return part.send(to, bytes, opts);
  }

  disconnect(peer: PeerId, reason: string): void {
    for (const part of this.parts) if (part.peers().includes(peer)) part.disconnect(peer, reason);
  }

  subscribe(listener: TransportListener): () => void {
    return this.listeners.add(listener);
  }

  stats(): TransportStats {
    const total = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };
    for (const part of this.parts) {
      const s = part.stats();
      total.bytesSent += s.bytesSent;
      total.bytesReceived += s.bytesReceived;
      total.messagesSent += s.messagesSent;
      total.messagesReceived += s.messagesReceived;
    }
    return total;
  }

  close(): Promise<void> {
    this.closing ??= Promise.all(this.parts.map((p) => p.close())).then(() => {
      for (const u of this.unsubscribes) u();
      this.listeners.clear();
    });
    return this.closing;
  }

  private partFor(peer: PeerId): Transport | undefined {
    return this.parts.find((p) => p.peers().includes(peer));
  }

  private onPartEvent(e: TransportEvent): void {
    switch (e.type) {
      case 'peer-connected': {
        const n = (this.linkCount.get(e.peer) ?? 0) + 1;
        this.linkCount.set(e.peer, n);
        if (n === 1) this.listeners.emit(e);
        return;
      }
      case 'peer-disconnected': {
        const n = (this.linkCount.get(e.peer) ?? 0) - 1;
        if (n > 0) {
          this.linkCount.set(e.peer, n);
          return;
        }
        this.linkCount.delete(e.peer);
        this.listeners.emit(e);
        return;
      }
      case 'message':
      case 'peer-active':
      case 'notice':
      case 'error':
        this.listeners.emit(e);
        return;
    }
  }
}

/** Combines `parts` into one Transport whose own id is `self`. See the module comment for routing. */
export function createUnionTransport(self: PeerId, parts: readonly Transport[]): Transport {
  return new UnionTransport(self, parts);
}
