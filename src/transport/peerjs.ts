/**
 * Transport over PeerJS: WebRTC data channels (serialization 'raw', reliable) brokered by our PeerServer.
 * Links are made by `connect` or by answering incoming connections; a link counts as connected only once
 * its DataConnection fired 'open'. Framing, backpressure and reassembly are in peerjs-link.ts.
 *
 * Duplicate links: when both sides dial each other at once, each side keeps the connection dialled by the
 * lower id and closes the other, so both keep the same one. An incoming connection from a peer whose
 * previous connection we answered replaces it (the peer re-dialled, e.g. after a reload). An incoming
 * connection marked as a resume (RESUME_METADATA) is handed to the existing link instead, which swaps to it
 * if the peer proves the link (see peerjs-link.ts, "Resume").
 *
 * @example
 * const t = await createPeerJsTransport({ host: location.hostname, port: 8090, path: '/peerjs',
 *   secure: false, key: 'swarm', iceServers: [] });
 * t.subscribe((e) => { if (e.type === 'message') handle(e.from, e.bytes); });
 * await t.connect(peerIdFrom('room-coordinator'));
 */
import type { DataConnection, Peer, PeerError, PeerErrorType } from 'peerjs';
import { isPeerId, type PeerId } from '../core/ids.ts';
import { MAX_MESSAGE_BYTES, TransportError } from './transport.ts';
import type { AbortOptions, Transport, TransportListener, TransportStats } from './transport.ts';
import { Listeners } from './listeners.ts';
import { PeerJsLink, type LinkCounters, type LinkOwner } from './peerjs-link.ts';
import { kindOfPeerError, openPeer, type PeerJsTransportInit } from './peerjs-open.ts';

export type { PeerJsTransportInit } from './peerjs-open.ts';

/** A dial that has not opened by then fails with 'negotiation-failed' (ICE itself gives up after ~30 s). */
const CONNECT_TIMEOUT_MS = 20_000;
/** How often partial messages are checked for staleness. */
const EXPIRY_SWEEP_MS = 5_000;
/** A partial message that saw no chunk for this long is dropped (and its link closed: a message is lost). */
const STALE_PARTIAL_MS = 60_000;
/** How often each link checks that its send buffer drains (and so notices a stuck channel). */
const PROGRESS_CHECK_MS = 250;
/** Marks a connection dialled to resume an existing link (PeerJS carries metadata with the offer). */
const RESUME_METADATA = { swarm: 'resume' } as const;
/** PeerJS reports an unknown remote id only in this message text ("Could not connect to peer <id>"). */
const UNAVAILABLE_PEER_RE = /Could not connect to peer (\S+)/;

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** The PeerJS Transport. Build it with `createPeerJsTransport`. */
export class PeerJsTransport implements Transport {
  private readonly counters: LinkCounters = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0 };
  /** How links report back (kept off the public surface). */
  private readonly owner: LinkOwner = {
    counters: this.counters,
    opened: (link) => { this.linkOpened(link); },
    message: (link, bytes) => { this.linkMessage(link, bytes); },
    active: (link) => { if (this.announced.get(link.peer) === link) this.listeners.emit({ type: 'peer-active', peer: link.peer }); },
    violation: (link, detail) => { this.linkViolation(link, detail); },
    notice: (link, text) => { if (this.announced.get(link.peer) === link) this.listeners.emit({ type: 'notice', peer: link.peer, text }); },
    redial: (link) => this.dialConnection(link.peer, RESUME_METADATA),
    closed: (link, reason) => { this.linkClosed(link, reason); },
  };
  /** The current link per peer, opening or open. */
  private readonly links = new Map<PeerId, PeerJsLink>();
  /** Links announced with peer-connected, in connection order. */
  private readonly announced = new Map<PeerId, PeerJsLink>();
  private readonly waiters = new Map<PeerId, Waiter[]>();
  private readonly listeners = new Listeners();
  private readonly sweep: ReturnType<typeof setInterval>;
  private readonly progress: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    readonly self: PeerId,
    private readonly peer: Peer,
    /** Fixed chunk size (for measurements); by default chosen per connection. */
    private readonly chunkBytes?: number,
  ) {
    peer.on('connection', (conn) => { this.answer(conn); });
    peer.on('error', (e) => { this.onPeerError(e); });
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const link of [...this.links.values()]) link.expire(now, STALE_PARTIAL_MS);
    }, EXPIRY_SWEEP_MS);
    this.progress = setInterval(() => {
      const now = performance.now();
      for (const link of [...this.links.values()]) link.checkProgress(now);
    }, PROGRESS_CHECK_MS);
  }

  peers(): readonly PeerId[] {
    return [...this.announced.keys()];
  }

  async connect(peer: PeerId, opts?: AbortOptions): Promise<void> {
    opts?.signal?.throwIfAborted();
    if (this.closed) throw new TransportError('closed', 'transport is closed', peer);
    if (peer === this.self) throw new TransportError('peer-unavailable', 'cannot connect to self', peer);
    if (this.announced.has(peer)) return;
    if (!this.links.has(peer)) this.dial(peer);
    await this.waitOpen(peer, opts?.signal);
  }

  send(to: PeerId, bytes: Uint8Array, opts?: AbortOptions): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError('closed', 'transport is closed', to));
    if (bytes.byteLength > MAX_MESSAGE_BYTES) {
      const msg = `message of ${bytes.byteLength} bytes exceeds MAX_MESSAGE_BYTES`;
      return Promise.reject(new TransportError('protocol-violation', msg, to));
    }
    const link = this.announced.get(to);
    if (!link) return Promise.reject(new TransportError('closed', `no open link to ${to}`, to));
    return link.send(bytes, opts?.signal);
  }

  disconnect(peer: PeerId, reason: string): void {
    this.links.get(peer)?.close(reason);
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
    clearInterval(this.sweep);
    clearInterval(this.progress);
    for (const link of [...this.links.values()]) link.close('transport closed');
    for (const peer of [...this.waiters.keys()]) this.rejectWaiters(peer, new TransportError('closed', 'transport closed', peer));
    this.peer.destroy();
    this.listeners.clear();
    return Promise.resolve();
  }

  /** Test hook (not on the Transport interface): writes raw bytes to `to`'s data channel, bypassing framing. */
  sendRawForTest(to: PeerId, bytes: Uint8Array): void {
    const link = this.announced.get(to);
    if (!link) throw new TransportError('closed', `no open link to ${to}`, to);
    link.sendRaw(bytes.slice());
  }

  /** Test hook (not on the Transport interface): resumes the link to `peer` as if it were stuck. */
  resumeForTest(peer: PeerId): boolean {
    return this.announced.get(peer)?.resumeNow() ?? false;
  }

  /** A DataConnection opened. */
  private linkOpened(link: PeerJsLink): void {
    if (this.links.get(link.peer) !== link) {
      link.close('superseded by another connection');
      return;
    }
    this.announced.set(link.peer, link);
    this.listeners.emit({ type: 'peer-connected', peer: link.peer });
    const ws = this.waiters.get(link.peer) ?? [];
    this.waiters.delete(link.peer);
    for (const w of ws) w.resolve();
  }

  /** A whole message arrived. */
  private linkMessage(link: PeerJsLink, bytes: Uint8Array): void {
    if (this.announced.get(link.peer) === link) this.listeners.emit({ type: 'message', from: link.peer, bytes });
  }

  /** The peer broke the framing: report it and drop the peer. */
  private linkViolation(link: PeerJsLink, detail: string): void {
    this.listeners.emit({ type: 'error', error: new TransportError('protocol-violation', detail, link.peer) });
    link.close(`protocol-violation: ${detail}`);
  }

  /** A link ended (reported exactly once per link). */
  private linkClosed(link: PeerJsLink, reason: string): void {
    const active = this.links.get(link.peer) === link;
    if (active) this.links.delete(link.peer);
    if (this.announced.get(link.peer) === link) {
      this.announced.delete(link.peer);
      this.listeners.emit({ type: 'peer-disconnected', peer: link.peer, reason });
    }
    if (active) this.rejectWaiters(link.peer, new TransportError('negotiation-failed', `link to ${link.peer} ended: ${reason}`, link.peer));
  }

  /** A new raw, reliable DataConnection to `peer`; undefined when PeerJS cannot dial now (no signalling server). */
  private dialConnection(peer: PeerId, metadata?: object): DataConnection | undefined {
    // PeerJS's typings promise a connection, but it returns undefined while disconnected from the server.
    const conn: DataConnection | undefined = this.peer.connect(peer, { serialization: 'raw', reliable: true, metadata });
    return conn;
  }

  private dial(peer: PeerId): void {
    const conn = this.dialConnection(peer);
    if (!conn) throw new TransportError('server-error', 'not connected to the signalling server', peer);
    this.links.set(peer, new PeerJsLink(peer, conn, true, this.owner, this.chunkBytes));
  }

  private answer(conn: DataConnection): void {
    const from = conn.peer;
    const acceptable = !this.closed && isPeerId(from) && from !== this.self && conn.serialization === 'raw' && conn.reliable;
    if (!acceptable) {
      conn.close();
      return;
    }
    const existing = this.links.get(from);
    if (isResume(conn.metadata)) {
      if (existing?.isOpen === true) existing.answerResume(conn, from < this.self);
      else conn.close();
      return;
    }
    // Both dialled: keep the connection dialled by the lower id (the far side applies the same rule).
    if (existing?.outgoing && this.self < from) {
      conn.close();
      return;
    }
    this.links.set(from, new PeerJsLink(from, conn, false, this.owner, this.chunkBytes));
    existing?.close('replaced by a newer connection');
  }

  private onPeerError(e: PeerError<`${PeerErrorType}`>): void {
    const kind = kindOfPeerError(e.type);
    const unknown = e.type === 'peer-unavailable' ? UNAVAILABLE_PEER_RE.exec(e.message)?.[1] : undefined;
    if (unknown !== undefined && isPeerId(unknown)) {
      const err = new TransportError('peer-unavailable', `peer ${unknown} is not on the signalling server`, unknown);
      const link = this.links.get(unknown);
      if (link && !link.isOpen) {
        this.rejectWaiters(unknown, err);
        link.close('peer unavailable');
      }
      link?.peerUnavailable();
      return;
    }
    this.listeners.emit({ type: 'error', error: new TransportError(kind, `PeerJS ${e.type}: ${e.message}`) });
  }

  private rejectWaiters(peer: PeerId, e: Error): void {
    const ws = this.waiters.get(peer) ?? [];
    this.waiters.delete(peer);
    for (const w of ws) w.reject(e);
  }

  private waitOpen(peer: PeerId, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const give = (e: Error): void => {
        const rest = (this.waiters.get(peer) ?? []).filter((w) => w !== waiter);
        this.waiters.set(peer, rest);
        if (rest.length === 0) {
          this.waiters.delete(peer);
          const link = this.links.get(peer);
          if (link && !link.isOpen && link.outgoing) link.close('connect gave up');
        }
        waiter.reject(e);
      };
      const onAbort = (): void => { give(signal?.reason instanceof Error ? signal.reason : new Error('aborted')); };
      const timer = setTimeout(() => {
        give(new TransportError('negotiation-failed', `no link to ${peer} after ${CONNECT_TIMEOUT_MS} ms`, peer));
      }, CONNECT_TIMEOUT_MS);
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.waiters.set(peer, [...(this.waiters.get(peer) ?? []), waiter]);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function isResume(metadata: unknown): boolean {
  return typeof metadata === 'object' && metadata !== null && (metadata as { swarm?: unknown }).swarm === RESUME_METADATA.swarm;
}

/**
 * Opens a Peer on the signalling server and wraps it as a Transport. Resolves when the server registered
 * the id; rejects with TransportError 'unavailable-id' when the id is taken, 'server-error' when the server
 * is unreachable (or with the signal's reason when aborted).
 */
export async function createPeerJsTransport(init: PeerJsTransportInit, opts?: AbortOptions): Promise<PeerJsTransport> {
  const { peer, id } = await openPeer(init, opts?.signal);
  return new PeerJsTransport(id, peer);
}
