/**
 * Room admission as a Transport decorator: on every link, both sides prove they hold the room key
 * (protocol/admission.ts) before the link exists for the layers above. Until then the peer is not in
 * `peers()`, `send()` to it rejects, its bytes other than admission frames get it dropped, and no
 * `peer-connected` is announced; so roles, DASO meshes and curvature jobs can only ever talk to admitted
 * peers, and no model data can reach a tab without the key. A refused peer is reported as an `error`
 * event of kind 'unauthenticated' naming it (the dashboard's log shows it), then disconnected.
 *
 * @example
 * const t = createAuthenticatedTransport(await createPeerJsTransport(init), { key });
 * await t.connect(coordinatorId); // resolves once both sides proved the key; rejects 'unauthenticated' otherwise
 */
import type { PeerId } from '../core/ids.ts';
import { ADMISSION_NONCE_BYTES, AdmissionHandshake, checkRoomKey } from '../protocol/admission.ts';
import { Listeners } from './listeners.ts';
import { TransportError } from './transport.ts';
import type { AbortOptions, Transport, TransportEvent, TransportListener, TransportStats } from './transport.ts';

/** Admission takes two one-way trips; a peer that has not finished it after this long is dropped. */
export const ADMISSION_TIMEOUT_MS = 10_000;
/** How long a refusal waits for our own last admission frame to leave before hanging up. */
const REFUSAL_FLUSH_MS = 1000;

export interface AuthenticatedTransportInit {
  /** The room key, 16-64 bytes. */
  readonly key: Uint8Array;
  /** CSPRNG for nonces; defaults to WebCrypto's. */
  readonly randomBytes?: (n: number) => Uint8Array;
  readonly timeoutMs?: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

class AuthenticatedTransport implements Transport {
  private readonly listeners = new Listeners();
  private readonly pending = new Map<PeerId, { readonly hs: AdmissionHandshake; readonly timer: ReturnType<typeof setTimeout>; lastSend: Promise<void> }>();
  private readonly admitted = new Set<PeerId>();
  /** Refused peers whose link is still closing: their remaining bytes are ignored. */
  private readonly refused = new Set<PeerId>();
  private readonly waiters = new Map<PeerId, Waiter[]>();
  private readonly unsubscribe: () => void;
  private readonly randomBytes: (n: number) => Uint8Array;

  constructor(private readonly inner: Transport, private readonly init: AuthenticatedTransportInit) {
    this.randomBytes = init.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
    checkRoomKey(init.key); // throws now, not on the first link
    this.unsubscribe = inner.subscribe((e) => { this.onInner(e); });
  }

  get self(): PeerId {
    return this.inner.self;
  }

  peers(): readonly PeerId[] {
    return this.inner.peers().filter((p) => this.admitted.has(p));
  }

  private closed = false;

  async connect(peer: PeerId, opts?: AbortOptions): Promise<void> {
    if (this.closed) throw new TransportError('closed', 'transport closed', peer);
    if (this.admitted.has(peer)) return;
    const admitted = new Promise<void>((resolve, reject) => {
      const list = this.waiters.get(peer) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(peer, list);
    });
    admitted.catch(() => undefined); // observed below; avoids an unhandled rejection if connect() throws first
    try {
      await this.inner.connect(peer, opts);
    } catch (e) {
      this.settle(peer, e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
    if (this.inner.peers().includes(peer) && !this.pending.has(peer) && !this.admitted.has(peer)) this.begin(peer);
    const signal = opts?.signal;
    if (signal === undefined) return admitted;
    return Promise.race([admitted, new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', () => { reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')); }, { once: true });
    })]);
  }

  send(to: PeerId, bytes: Uint8Array, opts?: AbortOptions): Promise<void> {
    if (!this.admitted.has(to)) return Promise.reject(new TransportError('closed', `no admitted link to ${to}`, to));
    return this.inner.send(to, bytes, opts);
  }

  disconnect(peer: PeerId, reason: string): void {
    this.inner.disconnect(peer, reason);
  }

  subscribe(listener: TransportListener): () => void {
    return this.listeners.add(listener);
  }

  stats(): TransportStats {
    return this.inner.stats();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.admitted.clear();
    this.unsubscribe();
    for (const { timer } of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const peer of [...this.waiters.keys()]) this.settle(peer, new TransportError('closed', 'transport closed', peer));
    await this.inner.close();
  }

  private onInner(e: TransportEvent): void {
    switch (e.type) {
      case 'peer-connected':
        this.refused.delete(e.peer); // a new link: a fresh chance
        if (!this.pending.has(e.peer) && !this.admitted.has(e.peer)) this.begin(e.peer);
        return;
      case 'message':
        if (this.admitted.has(e.from)) this.listeners.emit(e);
        else if (!this.refused.has(e.from)) this.onAdmissionBytes(e.from, e.bytes);
        return;
      case 'peer-active':
      case 'notice':
        if (this.admitted.has(e.peer)) this.listeners.emit(e);
        return;
      case 'peer-disconnected':
        this.refused.delete(e.peer);
        this.forgetPending(e.peer);
        if (this.admitted.delete(e.peer)) this.listeners.emit(e);
        this.settle(e.peer, new TransportError('negotiation-failed', `link to ${e.peer} ended before admission: ${e.reason}`, e.peer));
        return;
      case 'error':
        this.listeners.emit(e);
        return;
    }
  }

  /** Starts this side of `peer`'s admission: our nonce goes out at once. */
  private begin(peer: PeerId): AdmissionHandshake {
    const hs = new AdmissionHandshake(this.init.key, this.self, peer, this.randomBytes(ADMISSION_NONCE_BYTES));
    const timer = setTimeout(() => { this.refuse(peer, `no admission within ${String(this.init.timeoutMs ?? ADMISSION_TIMEOUT_MS)} ms`); }, this.init.timeoutMs ?? ADMISSION_TIMEOUT_MS);
    const lastSend = this.inner.send(peer, hs.opening()).catch(() => undefined); // a dead link ends in peer-disconnected
    this.pending.set(peer, { hs, timer, lastSend });
    return hs;
  }

  private onAdmissionBytes(peer: PeerId, bytes: Uint8Array): void {
    const hs = this.pending.get(peer)?.hs ?? this.begin(peer);
    const r = hs.accept(bytes);
    if (!r.ok) {
      this.refuse(peer, r.error);
      return;
    }
    const p = this.pending.get(peer);
    if (r.value.reply !== null && p !== undefined) p.lastSend = this.inner.send(peer, r.value.reply).catch(() => undefined);
    if (!r.value.admitted) return;
    this.forgetPending(peer);
    this.admitted.add(peer);
    this.listeners.emit({ type: 'peer-connected', peer });
    this.settle(peer, null);
  }

  private refuse(peer: PeerId, reason: string): void {
    const p = this.pending.get(peer);
    if (p === undefined) return;
    this.forgetPending(peer);
    this.refused.add(peer);
    const error = new TransportError('unauthenticated', reason, peer);
    this.listeners.emit({ type: 'error', error });
    this.settle(peer, error);
    // Our own proof may still be on its way: let it arrive first, so that the peer too learns "wrong key"
    // rather than just "link closed" (bounded, a dead link must not hold the disconnect).
    const flushed = Promise.race([p.lastSend, new Promise<void>((r) => setTimeout(r, REFUSAL_FLUSH_MS))]);
    void flushed.then(() => { this.inner.disconnect(peer, `unauthenticated: ${reason}`); });
  }

  private forgetPending(peer: PeerId): void {
    const p = this.pending.get(peer);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(peer);
  }

  /** Resolves (error null) or rejects everyone waiting in connect(peer). */
  private settle(peer: PeerId, error: Error | null): void {
    const list = this.waiters.get(peer);
    if (list === undefined) return;
    this.waiters.delete(peer);
    for (const w of list) {
      if (error === null) w.resolve();
      else w.reject(error);
    }
  }
}

/** Wraps `inner` so that only peers proving `init.key` ever exist for the layers above. */
export function createAuthenticatedTransport(inner: Transport, init: AuthenticatedTransportInit): Transport {
  return new AuthenticatedTransport(inner, init);
}
