/**
 * Link emulation: a Transport decorator that makes chosen links slow, so that the cost of a slow network
 * (e.g. the Wi-Fi between two laptops, in DASO's benchmark) is measurable on one machine.
 *
 * For a peer whose profile is non-null, every message SENT to it crosses an emulated serial wire first:
 * - the wire carries `bytesPerSecond`; a message of b bytes occupies it for b / bytesPerSecond seconds
 *   (b = the message's payload bytes; chunk headers are the inner transport's business);
 * - messages queue behind each other on the wire, FIFO;
 * - each message is handed to `inner.send` its transmission time plus `latencyMs` after it reached the
 *   wire. Latency is pipelined: it does not hold the wire, so the next message transmits meanwhile.
 * `send()` resolves once the inner send has resolved, so callers feel the bandwidth as backpressure.
 * Received messages are not delayed: each side emulates its own sending direction, so wrapping both ends
 * gives a symmetric link. Everything else (connect, events, stats) passes straight through.
 *
 * Closing or disconnecting rejects the messages still on the emulated wire with TransportError('closed');
 * they are never delivered later. The same happens when the inner transport reports the peer gone.
 *
 * @example
 * const slow = { latencyMs: 50, bytesPerSecond: 10e6 }; // 50 ms, 10 MB/s
 * const t = createEmulatedTransport(inner, { links: (p) => (groupOf(p) === myGroup ? null : slow) });
 */
import type { PeerId } from '../core/ids.ts';
import { MAX_MESSAGE_BYTES, TransportError } from './transport.ts';
import type { AbortOptions, Transport, TransportListener, TransportStats } from './transport.ts';

/** How one emulated link behaves in the sending direction. */
export interface LinkProfile {
  /** One-way latency added to every message, ms (>= 0). */
  readonly latencyMs: number;
  /** Wire bandwidth in bytes per second (> 0; Infinity means no bandwidth cost). */
  readonly bytesPerSecond: number;
}

/** The time source of the emulation; inject a fake one in tests. */
export interface LinkClock {
  /** Current time, ms (any origin, monotone). */
  now(): number;
  /** Resolves after `ms` ms; rejects with the signal's reason if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Options of `createEmulatedTransport`. */
export interface EmulatedTransportInit {
  /** The profile of the link to `peer`, or null for an undelayed link. Asked on every send. */
  readonly links: (peer: PeerId) => LinkProfile | null;
  /** Time source; defaults to `performance.now()` and `setTimeout`. */
  readonly clock?: LinkClock;
}

/** What the emulation added, summed over all messages it handed to the inner transport. */
export interface EmulationStats {
  /** Total modelled delay (queueing behind earlier messages + transmission + latency), ms. */
  readonly emulatedDelayMs: number;
  /** Messages that crossed an emulated wire and were handed to the inner transport. */
  readonly messagesDelayed: number;
  /** Payload bytes of those messages. */
  readonly bytesDelayed: number;
  /** Messages currently on an emulated wire (not yet handed over). */
  readonly messagesPending: number;
}

/** A Transport with link emulation; `emulationStats()` reports what the emulation added. */
export interface EmulatedTransport extends Transport {
  emulationStats(): EmulationStats;
}

/** Wall-clock time source: `performance.now()` and `setTimeout`. */
const realLinkClock: LinkClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      const abortReason = (): Error =>
        signal?.reason instanceof Error ? signal.reason : new TransportError('closed', 'sleep aborted');
      if (signal?.aborted === true) {
        reject(abortReason());
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortReason());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** One message waiting on an emulated wire. */
interface Entry {
  readonly bytes: Uint8Array;
  readonly opts: AbortOptions | undefined;
  /** When send() was called, ms. */
  readonly sentAt: number;
  /** When it is handed to the inner transport, ms. */
  readonly deliverAt: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  /** Removes the caller's abort listener. */
  detach: () => void;
}

/** The emulated wire towards one peer. */
interface Wire {
  /** When the wire finishes transmitting the last queued message, ms. */
  freeAt: number;
  /** deliverAt of the last queued message (hand-offs never overtake each other), ms. */
  lastDeliverAt: number;
  readonly queue: Entry[];
  /** Aborts the pending sleep when the wire is torn down. */
  readonly abort: AbortController;
  sleeping: boolean;
}

function validProfile(p: LinkProfile): boolean {
  return p.latencyMs >= 0 && Number.isFinite(p.latencyMs) && p.bytesPerSecond > 0;
}

class EmulatedTransportImpl implements EmulatedTransport {
  readonly self: PeerId;
  private readonly wires = new Map<PeerId, Wire>();
  private readonly clock: LinkClock;
  private readonly unsubscribeInner: () => void;
  private closing: Promise<void> | undefined;
  private totals = { emulatedDelayMs: 0, messagesDelayed: 0, bytesDelayed: 0 };

  constructor(
    private readonly inner: Transport,
    private readonly init: EmulatedTransportInit,
  ) {
    this.self = inner.self;
    this.clock = init.clock ?? realLinkClock;
    this.unsubscribeInner = inner.subscribe((e) => {
      if (e.type === 'peer-disconnected') this.tearDown(e.peer, `link to ${e.peer} closed: ${e.reason}`);
    });
  }

  peers(): readonly PeerId[] {
    return this.inner.peers();
  }

  connect(peer: PeerId, opts?: AbortOptions): Promise<void> {
    if (this.closing) return Promise.reject(new TransportError('closed', 'transport is closed', peer));
    return this.inner.connect(peer, opts);
  }

  send(to: PeerId, bytes: Uint8Array, opts?: AbortOptions): Promise<void> {
    if (this.closing) return Promise.reject(new TransportError('closed', 'transport is closed', to));
    const wire = this.wires.get(to);
    const profile = this.init.links(to);
    const passThrough = bytes.byteLength > MAX_MESSAGE_BYTES || !this.inner.peers().includes(to);
    // No link or an oversized message: let the inner transport refuse it, without booking wire time.
    if (passThrough || (profile === null && wire === undefined)) return this.inner.send(to, bytes, opts);
    if (profile !== null && !validProfile(profile)) {
      return Promise.reject(new RangeError(`invalid link profile for ${to}: ${JSON.stringify(profile)}`));
    }
    if (opts?.signal?.aborted === true) return this.inner.send(to, bytes, opts); // the inner rejects it
    return this.enqueue(to, wire ?? this.newWire(to), bytes, opts, profile);
  }

  disconnect(peer: PeerId, reason: string): void {
    this.tearDown(peer, `link to ${peer} disconnected: ${reason}`);
    this.inner.disconnect(peer, reason);
  }

  subscribe(listener: TransportListener): () => void {
    return this.inner.subscribe(listener);
  }

  stats(): TransportStats {
    return this.inner.stats();
  }

  emulationStats(): EmulationStats {
    let messagesPending = 0;
    for (const w of this.wires.values()) messagesPending += w.queue.length;
    return { ...this.totals, messagesPending };
  }

  close(): Promise<void> {
    if (!this.closing) {
      for (const peer of [...this.wires.keys()]) this.tearDown(peer, 'transport closed');
      this.closing = this.inner.close().finally(() => {
        this.unsubscribeInner();
      });
    }
    return this.closing;
  }

  private newWire(to: PeerId): Wire {
    const now = this.clock.now();
    const wire: Wire = { freeAt: now, lastDeliverAt: now, queue: [], abort: new AbortController(), sleeping: false };
    this.wires.set(to, wire);
    return wire;
  }

  /** Books the wire for one message and queues it; resolves when the inner send resolves. */
  private enqueue(to: PeerId, wire: Wire, bytes: Uint8Array, opts: AbortOptions | undefined, profile: LinkProfile | null): Promise<void> {
    const now = this.clock.now();
    let arrival = now;
    if (profile !== null) {
      const start = Math.max(now, wire.freeAt);
      wire.freeAt = start + (bytes.byteLength / profile.bytesPerSecond) * 1000; // s → ms
      arrival = wire.freeAt + profile.latencyMs;
    }
    // The queue is FIFO, so a null or lower-latency profile met mid-queue waits for the messages ahead of
    // it; say so in deliverAt too, so that the modelled delay in the stats is the real one.
    const deliverAt = Math.max(arrival, wire.lastDeliverAt);
    wire.lastDeliverAt = deliverAt;
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = { bytes, opts, sentAt: now, deliverAt, resolve, reject, detach: () => undefined };
      const signal = opts?.signal;
      if (signal) {
        const onAbort = (): void => {
          const i = wire.queue.indexOf(entry);
          if (i >= 0) wire.queue.splice(i, 1);
          reject(signal.reason instanceof Error ? signal.reason : new TransportError('closed', 'send aborted', to));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        entry.detach = () => {
          signal.removeEventListener('abort', onAbort);
        };
      }
      wire.queue.push(entry);
      this.drain(to, wire, now);
    });
  }

  /** Hands every message due by `horizon` to the inner transport, then sleeps until the next is due. */
  private drain(to: PeerId, wire: Wire, horizon: number): void {
    if (this.wires.get(to) !== wire || wire.sleeping) return;
    let head = wire.queue[0];
    while (head !== undefined && head.deliverAt <= horizon) {
      wire.queue.shift();
      this.handOff(to, head);
      head = wire.queue[0];
    }
    if (head === undefined) {
      if (wire.freeAt <= horizon) this.wires.delete(to); // idle: forget it so a null profile passes straight
      return;
    }
    const target = head.deliverAt;
    wire.sleeping = true;
    this.clock.sleep(target - this.clock.now(), wire.abort.signal).then(
      () => {
        wire.sleeping = false;
        // A timer may fire a little before `now()` reaches the target: treat the target as reached.
        this.drain(to, wire, Math.max(target, this.clock.now()));
      },
      () => {
        wire.sleeping = false; // torn down: the entries were rejected by tearDown
      },
    );
  }

  private handOff(to: PeerId, entry: Entry): void {
    entry.detach();
    this.totals.emulatedDelayMs += entry.deliverAt - entry.sentAt;
    this.totals.messagesDelayed++;
    this.totals.bytesDelayed += entry.bytes.byteLength;
    this.inner.send(to, entry.bytes, entry.opts).then(entry.resolve, (e: unknown) => {
      entry.reject(e instanceof Error ? e : new Error(String(e)));
    });
  }

  /** Rejects every message still on the wire to `peer` and forgets the wire. */
  private tearDown(peer: PeerId, why: string): void {
    const wire = this.wires.get(peer);
    if (!wire) return;
    this.wires.delete(peer);
    wire.abort.abort(new TransportError('closed', why, peer));
    for (const entry of wire.queue.splice(0)) {
      entry.detach();
      entry.reject(new TransportError('closed', `${why} (message not delivered)`, peer));
    }
  }
}

/**
 * Wraps `inner` so that messages sent to peers with a non-null `init.links(peer)` profile cross an emulated
 * wire of that bandwidth and latency first. See the module comment for the model.
 */
export function createEmulatedTransport(inner: Transport, init: EmulatedTransportInit): EmulatedTransport {
  return new EmulatedTransportImpl(inner, init);
}
