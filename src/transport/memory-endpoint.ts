/**
 * One endpoint of the in-process memory hub (see memory.ts). It behaves like a PeerJS transport: messages
 * are really chunked (chunk.ts) and reassembled, bytes are counted, framing violations drop the peer.
 * Each side's view of a link opens when the hub delivers that side's 'open' item, so peer-connected is
 * asynchronous on both sides, and always precedes the first message from that peer.
 */
import type { PeerId } from '../core/ids.ts';
import { MAX_MESSAGE_BYTES, TransportError } from './transport.ts';
import type { AbortOptions, Transport, TransportListener, TransportStats } from './transport.ts';
import { Reassembler, splitMessage } from '../protocol/chunk.ts';
import { ActivityThrottle } from './activity.ts';
import { Listeners } from './listeners.ts';

/** What an endpoint needs from its hub. */
export interface MemoryHubPort {
  /** Chunk size in bytes, header included. */
  readonly chunkBytes: number;
  has(id: PeerId): boolean;
  isLinked(a: PeerId, b: PeerId): boolean;
  /** Peers `id` has a link with (open or still opening). */
  linkedPeers(id: PeerId): readonly PeerId[];
  /** Creates the link and queues an 'open' item to each side. */
  link(a: PeerId, b: PeerId): void;
  /** Removes the link, drops undelivered items both ways and queues a 'close' item to `remote`. */
  unlink(local: PeerId, remote: PeerId, reason: string): void;
  /** Queues the chunks of one message from `from` to `to`. */
  enqueueChunks(from: PeerId, to: PeerId, chunks: readonly Uint8Array[]): void;
  unregister(id: PeerId): void;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface OpenLink {
  readonly reassembler: Reassembler;
  readonly activity: ActivityThrottle;
}

/** A Transport endpoint living in a memory hub. Create it with `hub.createTransport(id)`. */
export class MemoryTransport implements Transport {
  private readonly open = new Map<PeerId, OpenLink>();
  private readonly waiters = new Map<PeerId, Waiter[]>();
  private readonly listeners = new Listeners();
  private nextMessageId = 0;
  private closed = false;
  private counters = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };

  constructor(
    readonly self: PeerId,
    private readonly hub: MemoryHubPort,
  ) {}

  peers(): readonly PeerId[] {
    return [...this.open.keys()];
  }

  async connect(peer: PeerId, opts?: AbortOptions): Promise<void> {
    opts?.signal?.throwIfAborted();
    if (this.closed) throw new TransportError('closed', 'transport is closed', peer);
    if (peer === this.self || !this.hub.has(peer)) {
      throw new TransportError('peer-unavailable', `no peer ${peer} in the hub`, peer);
    }
    if (this.open.has(peer)) return;
    if (!this.hub.isLinked(this.self, peer)) this.hub.link(this.self, peer);
    await this.waitOpen(peer, opts?.signal);
  }

  send(to: PeerId, bytes: Uint8Array, opts?: AbortOptions): Promise<void> {
    try {
      opts?.signal?.throwIfAborted();
      if (this.closed) throw new TransportError('closed', 'transport is closed', to);
      if (bytes.byteLength > MAX_MESSAGE_BYTES) {
        throw new TransportError('protocol-violation', `message of ${bytes.byteLength} bytes exceeds MAX_MESSAGE_BYTES`, to);
      }
      if (!this.open.has(to) || !this.hub.isLinked(this.self, to)) {
        throw new TransportError('closed', `no open link to ${to}`, to);
      }
      const chunks = splitMessage(bytes, this.nextMessageId, this.hub.chunkBytes);
      this.nextMessageId = (this.nextMessageId + 1) >>> 0;
      for (const c of chunks) this.counters.bytesSent += c.byteLength;
      this.counters.messagesSent++;
      this.hub.enqueueChunks(this.self, to, chunks);
      return Promise.resolve();
    } catch (e: unknown) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  disconnect(peer: PeerId, reason: string): void {
    if (this.hub.isLinked(this.self, peer)) this.hub.unlink(this.self, peer, reason);
    this.dropLocal(peer, reason);
  }

  subscribe(listener: TransportListener): () => void {
    return this.listeners.add(listener);
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const peer of this.hub.linkedPeers(this.self)) this.disconnect(peer, 'closed');
    for (const peer of [...this.waiters.keys()]) this.rejectWaiters(peer, 'transport closed');
    this.hub.unregister(this.self);
    this.listeners.clear();
    return Promise.resolve();
  }

  /** Hub → endpoint: this side's view of the link to `from` opens. */
  deliverOpen(from: PeerId): void {
    if (this.closed || this.open.has(from) || !this.hub.isLinked(this.self, from)) return;
    const reassembler = new Reassembler({ maxMessageBytes: MAX_MESSAGE_BYTES, maxChunkBytes: this.hub.chunkBytes });
    this.open.set(from, { reassembler, activity: new ActivityThrottle() });
    this.listeners.emit({ type: 'peer-connected', peer: from });
    const ws = this.waiters.get(from) ?? [];
    this.waiters.delete(from);
    for (const w of ws) w.resolve();
  }

  /** Hub → endpoint: the remote side closed the link (or the hub dropped it). */
  deliverClose(from: PeerId, reason: string): void {
    this.dropLocal(from, reason);
  }

  /** Hub → endpoint: one chunk from `from`. */
  deliverChunk(from: PeerId, chunk: Uint8Array): void {
    const link = this.open.get(from);
    if (!link || this.closed) return;
    this.counters.bytesReceived += chunk.byteLength;
    const res = link.reassembler.accept(chunk, 0);
    if (!res.ok) {
      const detail = `${res.error.kind}: ${res.error.detail}`;
      this.listeners.emit({ type: 'error', error: new TransportError('protocol-violation', detail, from) });
      this.disconnect(from, `protocol-violation (${res.error.kind})`);
      return;
    }
    if (res.value === null) {
      if (link.activity.due(Date.now())) this.listeners.emit({ type: 'peer-active', peer: from });
      return;
    }
    this.counters.messagesReceived++;
    this.listeners.emit({ type: 'message', from, bytes: res.value });
  }

  private dropLocal(peer: PeerId, reason: string): void {
    const link = this.open.get(peer);
    if (link) {
      this.open.delete(peer);
      link.reassembler.clear();
      this.listeners.emit({ type: 'peer-disconnected', peer, reason });
    }
    this.rejectWaiters(peer, reason);
  }

  private rejectWaiters(peer: PeerId, reason: string): void {
    const ws = this.waiters.get(peer) ?? [];
    this.waiters.delete(peer);
    for (const w of ws) w.reject(new TransportError('closed', `link to ${peer} closed before it opened: ${reason}`, peer));
  }

  private waitOpen(peer: PeerId, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const ws = this.waiters.get(peer) ?? [];
        this.waiters.set(peer, ws.filter((w) => w !== waiter));
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      };
      this.waiters.set(peer, [...(this.waiters.get(peer) ?? []), waiter]);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
